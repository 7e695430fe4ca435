using System.Text.Json;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>Closing the year, step 2: check the answers, then close it with the same use case as the API.</summary>
[Authorize(Roles = Roles.FunderFinance)]
public sealed class YearEndCheckModel(GrantLedgerDb db, AuditTrail audit) : YearEndPage(db, audit)
{
    public const string ReportKey = "year-end-report";

    public async Task<IActionResult> OnGetAsync(long? yearId, CancellationToken ct)
    {
        await LoadAsync(yearId, ct);
        if (Year is null || Year.ClosedAt is not null || !Ended) return Redirect("/finance/year-end?" + ChoicesQuery());
        if (ReadChoices() is null) return Redirect("/finance/year-end?" + ChoicesQuery());
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long? yearId, CancellationToken ct)
    {
        await LoadAsync(yearId, ct);
        if (Year is null) return Redirect("/finance/year-end");
        var choices = ReadChoices();
        if (choices is null) return Redirect("/finance/year-end?" + ChoicesQuery()); // the questions are on the first page
        Closing.YearEndReport? report = null;
        // The use case's refusals (already closed, claims undecided, …) go in the error summary: the fields are on the previous page.
        // Figures changed since this page showed them link to the figures, shown anew here to check again.
        if (await AttemptAsync(async () => report = await Closing.CloseYearAsync(Db, Audit, Caller, ProgrammeId, Year.Id, choices, ct),
                f => f == "fingerprint" ? "answers" : ""))
        {
            TempData[ReportKey] = JsonSerializer.Serialize(report);
            return Redirect($"/finance/year-end/done?yearId={Year.Id}");
        }
        return Page();
    }
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>Closing the year, step 1: for each budget category with allocation unspent, lapse or carry forward.</summary>
[Authorize(Roles = Roles.FunderFinance)]
public sealed class YearEndModel(GrantLedgerDb db, AuditTrail audit) : YearEndPage(db, audit)
{
    public Task OnGetAsync(long? yearId, CancellationToken ct) => LoadAsync(yearId, ct);

    public async Task<IActionResult> OnPostAsync(long? yearId, CancellationToken ct)
    {
        await LoadAsync(yearId, ct);
        if (Year is null || Year.ClosedAt is not null) return Redirect("/finance/year-end");
        if (!await EnsureEndedAsync()) return Page();
        return ReadChoices() is null ? Page() : Redirect("/finance/year-end/check?" + ChoicesQuery());
    }
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>Records funding for the year (funding → unallocated) as POST …/funding does, after checking the answers.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class FundModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["amount"] = "The amount", ["description"] = "The description", ["valueDate"] = "The value date",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["amount"] = "Enter the amount", ["description"] = "Enter a description, such as the grant letter's reference",
    };

    /// <summary>What a year is funded with: money, or staff time to allocate to the schools' allowances.</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> Units = [("GBP", "Money"), ("MIN", "Staff time")];

    /// <summary>The amount checked, in its unit's smallest step: pence, or minutes.</summary>
    public long Amount { get; private set; }
    public string Unit { get; private set; } = "GBP";
    public DateOnly Dated { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadYearAsync(ct);

    private static string FieldOf(string f) => f switch { "reference" => "description", "minutes" or "unit" => "amount", _ => f };

    private Fund.Request Read()
    {
        // a form from before staff time could be funded here sends no unit: money
        Unit = Typed("unit").Length == 0 ? "GBP" : ReadChoice("unit", Units.Select(u => u.Value), "Select money or staff time") ?? "GBP";
        var (money, minutes) = ReadAmount("amount", "the amount", Unit);
        Given("description");
        var date = ReadDate("valueDate", "the value date", required: false);
        return new Fund.Request(Unit, money, minutes, Filled("description"), date);
    }

    /// <summary>The form's answers, checked by the use case (nothing written), then shown to confirm.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        if (Year is null) return NotFound();
        var request = Read();
        if (await CheckAsync(() => Fund.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct), FieldOf))
        {
            Checking = true;
            Amount = request.Amount?.Pence ?? request.Minutes!.Value;
            Dated = DatedOn(request.ValueDate);
        }
        return Page();
    }

    /// <summary>Back from the check to the form, with the answers as given.</summary>
    public async Task<IActionResult> OnPostChangeAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        return Page();
    }

    /// <summary>Records the funding: the answers read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        if (Year is null) return NotFound();
        var request = Read();
        return await OnceAsync(async () =>
        {
            var view = await Fund.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct);
            return $"/admin/allocations/done/{view.EntryId}";
        }, "the funding was recorded") ?? Page();
    }
}

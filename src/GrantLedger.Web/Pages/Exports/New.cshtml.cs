using GrantLedger.Web.Audit;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Exports;

/// <summary>Asks for an export (the same use case as POST /api/v1/programmes/{id}/exports, for the same roles) and wakes the runner.</summary>
[Authorize(Roles = ExportText.StartRoles)]
public sealed class NewModel(GrantLedgerDb db, AuditTrail audit, ExportQueue queue) : ProgrammePage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["kind"] = "The kind of export", ["asOf"] = "The date",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["kind"] = "Select what to export" };

    public async Task OnGetAsync(CancellationToken ct) => await ProgrammeAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var kind = Typed("kind");
        if (kind.Length == 0) LeftOut("kind");
        var asOf = ReadDate("asOf", "the date", required: false);
        ExportJob? job = null;
        if (await AttemptAsync(async () => job = await ExportJobs.RequestAsync(Db, Audit, Caller, programmeId, new(kind, asOf), ct)))
        {
            queue.Wake();
            return Redirect($"/exports/{job!.Id}");
        }
        return Page();
    }
}

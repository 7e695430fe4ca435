using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Exports;

/// <summary>A programme's exports, newest first, with their progress; whoever the API lets read export jobs (auditors included).</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ListModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public IReadOnlyList<ExportJobView> Jobs { get; private set; } = [];
    public bool MayStart => ExportText.MayStart(Caller);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        Jobs = await ExportJobs.ListAsync(Db, Caller, programmeId, 50, ct);
    }
}

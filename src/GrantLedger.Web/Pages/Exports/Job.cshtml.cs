using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Exports;

/// <summary>One export: what was asked for, its progress, and the file when it is ready (the same job GET /api/v1/exports/{id} answers).</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class JobModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ExportJobView Job { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => Job = ExportJobView.Of(await ExportJobs.FindAsync(Db, Caller, id, ct));
}

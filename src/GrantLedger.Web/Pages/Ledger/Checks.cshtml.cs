using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Npgsql;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The ledger's invariants over a programme's rows as they stand (/api/v1/audit/programmes/{id}/checks, <c>audit check</c>'s
/// checks): each holds or is broken, and the rows that break it are named, each broken check in the error summary.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ChecksModel(GrantLedgerDb db, AuditTrail audit, NpgsqlDataSource dataSource) : ProgrammePage(db, audit)
{
    public LedgerChecks.Report? Report { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        Report = await LedgerChecks.ReportAsync(dataSource, programmeId, LedgerChecks.NamedByDefault, ct);
        foreach (var (check, i) in Report.Checks.Select((c, i) => (c, i)))
            if (!check.Holds) AddError(RowId(i), $"Does not hold: {check.Name}");
    }

    public static string RowId(int index) => $"check-{index + 1}";
}

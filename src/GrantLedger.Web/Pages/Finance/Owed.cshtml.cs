using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// What is owed: the approved claims no payment run has taken, by half-term and area, each with what a run for it built today
/// would pay and a link to build it. Before, finance learnt what a run would pay only by building it. The auditor reads it
/// for the programme chosen, and the programme's admins for theirs, with nothing to build.
/// </summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class OwedModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public PaymentRuns.OwedNow Owed { get; private set; } = new([], 0, 0, Core.Money.Money.Zero);

    /// <summary>The reader builds runs: finance, not the auditor or an admin.</summary>
    public bool Builds => Caller.Role == Roles.FunderFinance;

    public async Task OnGetAsync(CancellationToken ct) => Owed = await PaymentRuns.OwedAsync(Db, Caller, await ProgrammeAsync(ct), ct);

    public string RunsHref => ListOf("/finance", ProgrammeId!.Value);

    /// <summary>The build form with this row's half-term and area chosen.</summary>
    public static string BuildHref(PaymentRuns.OwedRow r) => FormattableString.Invariant($"/finance?periodId={r.PeriodId}&areaId={r.AreaId}#build");
}

using GrantLedger.Core.Money;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>A run waiting for the funder's finance team, and what it waits for.</summary>
/// <param name="Waiting">its payments not yet confirmed paid or failed (a run exported), in money</param>
/// <param name="SentAt">when its file went to the finance system (a run exported)</param>
public sealed record WaitingRun(PaymentRunSummary Run, Money Waiting, DateTimeOffset? SentAt);

/// <summary>
/// What waits for the funder's finance team, as their payment runs page opens with it: approved claims no run has taken yet
/// (what is owed, read on its own page: summing them reads every one's lines); runs built and not yet approved (by another
/// finance user than their builder: maker–checker), runs approved and not yet exported, and runs exported whose payments
/// the finance system has not all confirmed. Before, the runs list gave each run's status and nobody was told.
/// </summary>
public sealed record FinanceToDo(bool ToPay, IReadOnlyList<WaitingRun> ToApprove, IReadOnlyList<WaitingRun> ToExport, IReadOnlyList<WaitingRun> ToConfirm)
{
    private static readonly string[] Open = ["built", "approved", "exported"];

    public static FinanceToDo None { get; } = new(false, [], [], []);

    public bool Any => ToPay || ToApprove.Count + ToExport.Count + ToConfirm.Count > 0;

    /// <summary>The programme's runs that wait for finance, oldest first (a programme has a few at a time: each is work to do).</summary>
    public static async Task<FinanceToDo> ForProgrammeAsync(GrantLedgerDb db, long programmeId, CancellationToken ct)
    {
        var open = db.Set<PaymentRun>().AsNoTracking().Where(r => r.ProgrammeId == programmeId && Open.Contains(r.State));
        var runs = await PaymentReads.SummariesAsync(open.OrderBy(r => r.Id), ct);
        var sent = await open.Where(r => r.ExportedAt != null).Select(r => new { r.Id, r.ExportedAt }).ToDictionaryAsync(r => r.Id, r => r.ExportedAt, ct);
        List<WaitingRun> In(string state) => runs.Where(r => r.State == state)
            .Select(r => new WaitingRun(r, r.Total - r.PaidTotal - r.FailedTotal, sent.GetValueOrDefault(r.Id))).ToList();
        return new FinanceToDo(await PaymentRuns.AnyOwedAsync(db, programmeId, ct), In("built"), In("approved"), In("exported"));
    }

    /// <summary>A run's money and payees: "£700.00 to 2 schools".</summary>
    public static string Amount(WaitingRun w) => $"{w.Run.Total} to {Gov.Count(w.Run.PayeeCount, "school")}";

    /// <summary>What a run built waits for, said to the finance user reading it: its builder cannot approve it.</summary>
    public static string ApprovalBy(WaitingRun w, long callerId) =>
        w.Run.BuiltBy == callerId ? "built by you: another finance user must approve it" : "waiting for your approval";
}

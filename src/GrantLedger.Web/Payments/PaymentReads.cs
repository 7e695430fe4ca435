using GrantLedger.Core.Money;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Payments;

/// <param name="PayeeReference">the account paid: for an exported run the reference its file carried, whatever the school's is
/// now; before export the school's reference now, which the file takes when it is written (decision 0017)</param>
/// <param name="CurrentPayeeReference">the school's payee reference now</param>
/// <param name="Status">pending (not yet confirmed: sent once the run is exported), paid (on <paramref name="PaidOn"/>), failed, or
/// cancelled (the run was cancelled before export, so nothing was sent)</param>
public sealed record PayeeView(long Id, SchoolSummary School, string? PayeeReference, string? CurrentPayeeReference, Money Amount,
    string RemittanceReference, string Status, DateOnly? PaidOn, IReadOnlyList<string> Claims);

/// <param name="Total">what the run was built to pay; <paramref name="PaidTotal"/> is what the confirmations say was paid and
/// <paramref name="FailedTotal"/> what they say failed (its claims went back to approved). A paid run is done, every payee
/// confirmed, but paid in full only when <paramref name="FailedCount"/> is 0.</param>
public sealed record PaymentRunView(
    long Id, string Reference, long ProgrammeId, string State, long? AreaId, long? PeriodId, DateOnly AsOf, Money Total,
    Money PaidTotal, Money FailedTotal, int FailedCount, int PayeeCount, int ClaimCount, long BuiltBy, DateTimeOffset BuiltAt, long? ApprovedBy, DateTimeOffset? ApprovedAt, long? ExportedBy, DateTimeOffset? ExportedAt,
    string? FileSha256, DateTimeOffset? PaidAt, long? CancelledBy, DateTimeOffset? CancelledAt, string? CancelReason,
    IReadOnlyList<PayeeView> Payees, IReadOnlyList<string> AllowedActions, string ETag);

/// <param name="AreaId">the area the run was built for (null: every area)</param>
/// <param name="PeriodId">the half-term the run was built for (null: every half-term)</param>
public sealed record PaymentRunSummary(long Id, string Reference, string State, long? AreaId, long? PeriodId, DateOnly AsOf, Money Total, Money PaidTotal,
    Money FailedTotal, int FailedCount, int PayeeCount, int ClaimCount, DateTimeOffset BuiltAt, long BuiltBy, long? ApprovedBy);

public static class PaymentReads
{
    /// <summary>A claim a payment run took: its school and the run, whatever became of the payment since.</summary>
    public sealed record ClaimTaken(long ClaimId, long SchoolId, long RunId);

    /// <summary>
    /// Every claim a payment run took (its history's add-to-payment-run), including any whose payment later failed and that left
    /// the run: what a run's payees and a school's payments list as the claims each pays. Filter it by run (and school).
    /// </summary>
    public static IQueryable<ClaimTaken> ClaimsTaken(GrantLedgerDb db) => db.Database.SqlQuery<ClaimTaken>($"""
        SELECT c.id AS "ClaimId", c.school_id AS "SchoolId", (t.details->>'paymentRunId')::bigint AS "RunId"
          FROM claim_transition t JOIN claim c ON c.id = t.claim_id
         WHERE t.trigger = 'add-to-payment-run'
        """);

    /// <summary>What a run's payees add up to: what the confirmations say was paid and failed, and whether any payee, and every one, is confirmed.</summary>
    public sealed record RunTotals(long Paid, long Failed, int FailedCount, bool AnyPayeeConfirmed, bool EveryPayeeConfirmed);

    /// <summary>A run with every payee and the claims each was paid for (the API's answer; the run's page reads a page of them, <see cref="PageAsync"/>).</summary>
    public static async Task<PaymentRunView> DetailAsync(GrantLedgerDb db, CurrentUser caller, long runId, CancellationToken ct)
    {
        var (run, _) = await PaymentRuns.FindAsync(db, caller, runId, ct);
        return View(run, caller, await TotalsAsync(db, runId, ct), await PayeeViewsAsync(db, run.Id, run.Payees, whole: true, ct));
    }

    /// <summary>The run's totals, as PostgreSQL keeps them with its payees (migration 0078).</summary>
    private static async Task<RunTotals> TotalsAsync(GrantLedgerDb db, long runId, CancellationToken ct)
    {
        var t = await db.Set<PaymentRunTotals>().AsNoTracking().SingleAsync(t => t.PaymentRunId == runId, ct);
        return new RunTotals(t.PaidPence, t.FailedPence, t.FailedCount, t.PaidCount + t.FailedCount > 0, t.PaidCount + t.FailedCount == t.PayeeCount);
    }

    /// <summary>
    /// A run as its page shows it: the run and its totals, and the views of the payees <paramref name="filter"/> finds that
    /// <paramref name="skipOf"/> (given how many it finds) and <paramref name="take"/> pick, in the payment file's order.
    /// Only those payees are read whole: a national run pays 20,000 schools, and its page shows 100.
    /// </summary>
    public static async Task<(PaymentRunView Run, RunTotals Totals, IReadOnlyList<PayeeView> Payees)> PageAsync(GrantLedgerDb db, CurrentUser caller, long runId,
        Func<IQueryable<PaymentRunPayee>, IQueryable<PaymentRunPayee>> filter, Func<int, int> skipOf, int take, CancellationToken ct)
    {
        var (run, _) = await PaymentRuns.FindAsync(db, caller, runId, ct, payees: false);
        var totals = await TotalsAsync(db, runId, ct);
        var found = filter(db.Set<PaymentRunPayee>().AsNoTracking().Where(p => p.PaymentRunId == runId));
        var count = await found.CountAsync(ct);
        var page = await found.OrderBy(p => p.Id).Skip(skipOf(count)).Take(take).ToListAsync(ct);
        return (View(run, caller, totals, []), totals, await PayeeViewsAsync(db, runId, page, whole: false, ct));
    }

    private static PaymentRunView View(PaymentRun run, CurrentUser caller, RunTotals totals, IReadOnlyList<PayeeView> payees)
    {
        var state = Kebab.Parse<PaymentRunState>(run.State);
        var allowed = PaymentRunWorkflow.Lifecycle.Actions(state, PaymentRuns.Context(run, caller, totals.EveryPayeeConfirmed)).Select(t => Kebab.Of(t)).ToList();
        return new PaymentRunView(run.Id, run.Reference, run.ProgrammeId, run.State, run.AreaId, run.PeriodId, run.AsOf, new Money(run.TotalPence),
            new Money(totals.Paid), new Money(totals.Failed), totals.FailedCount, run.PayeeCount, run.ClaimCount, run.BuiltBy, run.BuiltAt, run.ApprovedBy, run.ApprovedAt, run.ExportedBy, run.ExportedAt,
            run.FileSha256 is null ? null : Convert.ToHexStringLower(run.FileSha256), run.PaidAt, run.CancelledBy, run.CancelledAt, run.CancelReason,
            payees, allowed, RowVersions.ETag(run.RowVersion));
    }

    /// <summary>The views of a run's payees, in the order given: each with what it shows of its school and the claims it was paid for.</summary>
    /// <param name="whole">the payees are every one of the run's, not a page of them</param>
    private static async Task<IReadOnlyList<PayeeView>> PayeeViewsAsync(GrantLedgerDb db, long runId, IReadOnlyList<PaymentRunPayee> payees, bool whole,
        CancellationToken ct)
    {
        if (payees.Count == 0) return [];
        var schoolIds = payees.Select(p => p.SchoolId).ToList();
        // what a payee shows of its school, not the whole row
        var schools = await db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id))
            .Select(s => new { s.Id, s.Urn, s.Name, s.AreaId, s.PayeeReference }).ToDictionaryAsync(s => s.Id, ct);
        // the claims each payee was paid for (a page's schools named, the whole run's not: every claim the run took is wanted then)
        var taken = ClaimsTaken(db).Where(x => x.RunId == runId);
        var claims = (await (whole ? taken : taken.Where(x => schoolIds.Contains(x.SchoolId))).ToListAsync(ct))
            .ToLookup(x => x.SchoolId, x => ClaimAccess.Reference(x.ClaimId));
        return payees.Select(p =>
        {
            var s = schools[p.SchoolId];
            return new PayeeView(p.Id, new SchoolSummary(s.Id, s.Urn, s.Name, s.AreaId), p.PayeeReference ?? s.PayeeReference, s.PayeeReference,
                new Money(p.AmountPence), p.RemittanceReference, p.Status, p.PaidOn, claims[p.SchoolId].Distinct().Order().ToList());
        }).ToList();
    }

    /// <summary>
    /// A run's payees as CSV, a row each (what the run's page and its API give, to check in a spreadsheet before approving it):
    /// the school, the payee reference the file carries (or will), the remittance reference, the claims paid, the status, the amount.
    /// </summary>
    public static Audit.CsvAnswer PayeesCsv(PaymentRunView run, IEnumerable<PayeeView> payees) =>
        Audit.CsvAnswer.Of($"{run.Reference}-payments.csv",
            ["urn", "school", "payee_reference", "current_payee_reference", "remittance_reference", "claims", "status", "paid_on", "amount"], payees,
            p => [p.School.Urn, p.School.Name, p.PayeeReference, p.CurrentPayeeReference, p.RemittanceReference, string.Join(" ", p.Claims), p.Status,
                  p.PaidOn is { } on ? Core.Ledger.IsoDate.Of(on) : null, p.Amount.ToDecimalString()]);

    /// <summary>
    /// What runs were built for, as the build form names it: the area ("All areas" when none was chosen) and the half-term with
    /// its year ("All half-terms"), for the finance pages.
    /// </summary>
    public static async Task<Func<long?, long?, (string Area, string HalfTerm)>> BuiltForAsync(GrantLedgerDb db,
        IEnumerable<(long? AreaId, long? PeriodId)> runs, CancellationToken ct)
    {
        var list = runs.ToList();
        var areaIds = list.Select(r => r.AreaId).OfType<long>().Distinct().ToList();
        var periodIds = list.Select(r => r.PeriodId).OfType<long>().Distinct().ToList();
        var areas = await db.Areas.AsNoTracking().Where(a => areaIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var halfTerms = await Programmes.Years.PeriodsInYears(db).Where(h => periodIds.Contains(h.Period.Id))
            .ToDictionaryAsync(h => h.Period.Id, h => h.HalfTerm, ct);
        return (area, period) => (area is { } a ? areas[a] : "All areas", period is { } h ? halfTerms[h] : "All half-terms");
    }

    /// <summary>A run's states, as the API names them, in the order of the lifecycle.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetValues<PaymentRunState>().Select(x => Kebab.Of(x)).ToList();

    /// <summary>The programme's runs, newest first, a page at a time: <paramref name="limit"/> of them before the run <paramref name="before"/>.</summary>
    public static async Task<IReadOnlyList<PaymentRunSummary>> ListAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, string? state,
        long? before, int limit, CancellationToken ct)
    {
        var runs = await OfProgrammeAsync(db, caller, programmeId, state, ct);
        if (before is not null) runs = runs.Where(r => r.Id < before);
        return await SummariesAsync(runs.OrderByDescending(r => r.Id).Take(limit), ct);
    }

    /// <summary>The programme's runs (in one state, when given), for whoever may see them: what the API and the finance page list.</summary>
    public static async Task<IQueryable<PaymentRun>> OfProgrammeAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, string? state, CancellationToken ct)
    {
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new Core.Rules.NotFound("programme", programmeId);
        if (!caller.SeesWholeProgramme(programmeId)) throw new Core.Rules.Forbidden("payment runs are seen by their programme's finance, admins and auditors");
        var runs = db.Set<PaymentRun>().AsNoTracking().Where(r => r.ProgrammeId == programmeId);
        if (state is null) return runs;
        if (!States.Contains(state)) throw new Core.Rules.InvalidInput("state", "must be one of " + string.Join(", ", States));
        return runs.Where(r => r.State == state);
    }

    /// <summary>
    /// The runs of a page, in its order, each with what its confirmations say was paid and failed (one row of totals a run): what
    /// a summary shows, not the whole run, whose payment file is a national run's 24,000 lines.
    /// </summary>
    public static async Task<IReadOnlyList<PaymentRunSummary>> SummariesAsync(IQueryable<PaymentRun> page, CancellationToken ct) =>
        (await page.Select(r => new
            {
                r.Id, r.State, r.AreaId, r.PeriodId, r.AsOf, r.TotalPence, r.PayeeCount, r.ClaimCount, r.BuiltAt, r.BuiltBy, r.ApprovedBy,
                r.Totals!.PaidPence, r.Totals.FailedPence, r.Totals.FailedCount,
            }).ToListAsync(ct))
        .Select(x => new PaymentRunSummary(x.Id, PaymentRuns.Reference(x.Id), x.State, x.AreaId, x.PeriodId, x.AsOf, new Money(x.TotalPence),
            new Money(x.PaidPence), new Money(x.FailedPence), x.FailedCount, x.PayeeCount, x.ClaimCount, x.BuiltAt, x.BuiltBy, x.ApprovedBy)).ToList();
}

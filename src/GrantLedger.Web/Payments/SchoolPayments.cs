using GrantLedger.Core.Money;
using GrantLedger.Web.Access;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Payments;

/// <summary>
/// A payment to a school: its line of a payment run whose file has gone to the funder's finance system, as the school's bank
/// statement will show it (the amount and the remittance reference), with the claims it pays.
/// </summary>
/// <param name="Id">the payment's id (its line of the run), the cursor of the next page</param>
/// <param name="Status">pending (sent, not yet confirmed), paid (on <paramref name="PaidOn"/>) or failed (when it failed, its claims
/// went back to approved, for a later run to pay)</param>
/// <param name="SentAt">when the run's file was exported to the finance system</param>
/// <param name="Claims">the claims it pays, by reference</param>
public sealed record SchoolPaymentView(long Id, long PaymentRunId, string PaymentRunReference, string RemittanceReference, Money Amount, string Status,
    DateOnly? PaidOn, DateTimeOffset SentAt, IReadOnlyList<string> Claims);

/// <summary>What has been sent to a school: how many payments, how much of it confirmed paid, how many failed, how many not yet confirmed.</summary>
public sealed record SchoolPaymentTotals(int Payments, Money Paid, int Failed, int NotYetConfirmed);

/// <summary>
/// The payments to one school, newest first: what a school business manager matches their bank statement against. A run
/// counts once its file is exported (exported or paid); a run built, approved or cancelled has paid nobody.
/// </summary>
public static class SchoolPayments
{
    private static readonly string[] Sent = ["exported", "paid"];

    /// <summary>A school's line of a run whose file has gone, and when it went.</summary>
    public sealed class PaymentSent
    {
        public required PaymentRunPayee Payee { get; init; }
        public DateTimeOffset SentAt { get; init; }
    }

    /// <summary>Every school's payments: the lines of runs whose file has gone.</summary>
    private static IQueryable<PaymentSent> AllSent(GrantLedgerDb db) =>
        from p in db.Set<PaymentRunPayee>().AsNoTracking()
        join r in db.Set<PaymentRun>().AsNoTracking() on p.PaymentRunId equals r.Id
        where Sent.Contains(r.State)
        select new PaymentSent { Payee = p, SentAt = r.ExportedAt!.Value };

    /// <summary>
    /// The school, for whoever may see it (its business manager, its area's lead, the programme's staff), and its payments,
    /// newest first.
    /// </summary>
    public static async Task<(Programmes.School School, IQueryable<PaymentSent> Payments)> OfSchoolAsync(GrantLedgerDb db, CurrentUser caller,
        long schoolId, CancellationToken ct) =>
        (await Programmes.Schools.FindVisibleAsync(db, caller, schoolId, ct),
         AllSent(db).Where(s => s.Payee.SchoolId == schoolId).OrderByDescending(s => s.Payee.Id));

    /// <summary>
    /// What has been sent to each of the schools (the caller has found them among those they may see): how many payments,
    /// how much of it confirmed paid, how many failed, how many not yet confirmed. A school sent nothing is not in it.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, SchoolPaymentTotals>> TotalsAsync(GrantLedgerDb db, IReadOnlyCollection<long> schoolIds,
        CancellationToken ct)
    {
        var ids = schoolIds.ToArray();
        var rows = await AllSent(db).Where(s => ids.Contains(s.Payee.SchoolId)).GroupBy(s => s.Payee.SchoolId)
            .Select(g => new
            {
                SchoolId = g.Key, Count = g.Count(),
                Paid = g.Sum(s => s.Payee.Status == "paid" ? s.Payee.AmountPence : 0L),
                Failed = g.Count(s => s.Payee.Status == "failed"), Pending = g.Count(s => s.Payee.Status == "pending"),
            }).ToListAsync(ct);
        return rows.ToDictionary(r => r.SchoolId, r => new SchoolPaymentTotals(r.Count, new Money(r.Paid), r.Failed, r.Pending));
    }

    /// <summary>A page of <paramref name="payments"/> (<see cref="OfSchoolAsync"/>'s, skipped and taken) as the API and the page show them.</summary>
    public static async Task<IReadOnlyList<SchoolPaymentView>> ViewsAsync(GrantLedgerDb db, long schoolId, IQueryable<PaymentSent> payments,
        CancellationToken ct)
    {
        var rows = await payments.ToListAsync(ct);
        if (rows.Count == 0) return [];
        var runIds = rows.Select(r => r.Payee.PaymentRunId).Distinct().ToArray();
        // every claim of the school's that a run took, by the school's claims (a few a half-term), the runs picked here: a
        // condition on the runs let PostgreSQL read every claim those runs took of any school (18,586 rows for 12 claims at 1x)
        var claims = (await PaymentReads.ClaimsTaken(db).Where(c => c.SchoolId == schoolId).ToListAsync(ct)).Where(c => runIds.Contains(c.RunId))
            .ToLookup(c => c.RunId, c => c.ClaimId);
        return rows.Select(r => new SchoolPaymentView(r.Payee.Id, r.Payee.PaymentRunId, PaymentRuns.Reference(r.Payee.PaymentRunId),
            r.Payee.RemittanceReference, new Money(r.Payee.AmountPence), r.Payee.Status, r.Payee.PaidOn, r.SentAt,
            claims[r.Payee.PaymentRunId].Distinct().Order().Select(ClaimAccess.Reference).ToList())).ToList();
    }

    /// <summary>The school's payments, newest first, a page at a time: <paramref name="limit"/> of them before the payment <paramref name="before"/>.</summary>
    public static async Task<IReadOnlyList<SchoolPaymentView>> ListAsync(GrantLedgerDb db, CurrentUser caller, long schoolId, long? before, int limit,
        CancellationToken ct)
    {
        var (_, payments) = await OfSchoolAsync(db, caller, schoolId, ct);
        if (before is not null) payments = payments.Where(p => p.Payee.Id < before);
        return await ViewsAsync(db, schoolId, payments.Take(limit), ct);
    }
}

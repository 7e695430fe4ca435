using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Ledger.LedgerHarness;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>One step of a random history: what kind, on which accounts, for how much.</summary>
public sealed record Step(int Kind, int A, int B, long Amount, int Pick)
{
    public override string ToString() => $"{(new[] { "fund", "allocate", "hold", "post", "void", "pay", "over-post" })[Kind]}({A},{B},{Amount},#{Pick})";
}

public static class LedgerSteps
{
    public static Arbitrary<Step[]> Steps() =>
        (from kind in Gen.Choose(0, 6)
         from a in Gen.Choose(0, 2)
         from b in Gen.Choose(0, 2)
         from amount in Gen.Choose(1, 600)
         from pick in Gen.Choose(0, 20)
         select new Step(kind, a, b, amount, pick))
        .ArrayOf().Where(s => s.Length is > 0 and <= 40).ToArbitrary();
}

/// <summary>
/// Random histories of funding, allocations, holds, posts (full, partial and too large), voids and
/// payments, applied to PostgreSQL through the service's posting path and to the in-memory
/// reference ledger: the same entries succeed and fail, every balance agrees, each unit's trial
/// balance is zero, and every stored balance equals the sum of its transfers.
/// </summary>
public sealed class LedgerPropertyTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Property(MaxTest = 40, Arbitrary = [typeof(LedgerSteps)])]
    public bool RandomHistories_AgreeWithTheReferenceLedger_AndKeepEveryInvariant(Step[] steps) =>
        Task.Run(() => RunAsync(steps)).GetAwaiter().GetResult();

    private async Task<bool> RunAsync(Step[] steps)
    {
        await Db.ResetAsync();
        var h = await CreateAsync(Db);
        var reference = new ReferenceLedger();
        foreach (var id in new[] { h.Unallocated }.Concat(h.Available).Concat(h.Payable))
            reference.Open(id, Unit.Gbp, LimitKind.DebitsWithinCredits);
        reference.Open(h.Funding, Unit.Gbp, LimitKind.None);
        reference.Open(h.Paid, Unit.Gbp, LimitKind.None);

        var holds = new List<(long Db, long Ref, TransferDraft Hold)>();
        foreach (var step in steps)
        {
            TransferDraft? transfer = step.Kind switch
            {
                0 => Move(h.Funding, h.Unallocated, step.Amount),
                1 => Move(h.Unallocated, h.Available[step.A], step.Amount),
                2 => Move(h.Available[step.A], h.Payable[step.B], step.Amount, TransferKind.Pending),
                5 => Move(h.Payable[step.B], h.Paid, step.Amount),
                _ => null,
            };
            long? refPending = null;
            if (transfer is null)
            {
                if (holds.Count == 0) continue;
                var (dbId, refId, hold) = holds[step.Pick % holds.Count];
                var amount = step.Kind switch { 3 => Math.Min(step.Amount, hold.Amount), 4 => hold.Amount, _ => hold.Amount + 1 };
                transfer = Move(hold.DebitAccountId, hold.CreditAccountId, amount, step.Kind == 4 ? TransferKind.VoidPending : TransferKind.PostPending, dbId);
                refPending = refId;
            }

            string? refRefusal = null, dbRefusal = null;
            IReadOnlyList<long> refIds = [];
            try { refIds = reference.Apply(h.Entry(refPending is null ? transfer : transfer with { PendingId = refPending })); }
            catch (RuleBroken e) { refRefusal = Family(e.Rule); }
            try
            {
                var posted = await h.PostAsync(transfer);
                if (transfer.Kind == TransferKind.Pending) holds.Add((posted.TransferIds[0], refIds[0], transfer));
            }
            catch (RuleBroken e) { dbRefusal = Family(e.Rule); }
            Assert.True(refRefusal == dbRefusal, $"{step}: reference said {refRefusal ?? "ok"}, PostgreSQL said {dbRefusal ?? "ok"}");
        }

        foreach (var id in reference.AccountIds)
            Assert.Equal(reference.BalanceOf(id), await h.BalanceAsync(id));
        Assert.Equal(0, await Db.ScalarAsync("SELECT coalesce(sum(debits_posted - credits_posted), 0) FROM account"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT coalesce(sum(debits_pending - credits_pending), 0) FROM account"));
        Assert.Equal(0, await Db.ScalarAsync("""
            SELECT count(*) FROM account a
            LEFT JOIN (SELECT account_id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dq, sum(credits_pending) cq
                       FROM transfer_effect GROUP BY account_id) e ON e.account_id = a.id
            WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                  IS DISTINCT FROM (coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))
            """));
        return true;
    }

    /// <summary>The reference names refusals more finely than PostgreSQL's SQLSTATEs; compare by family.</summary>
    private static string Family(string rule) => rule switch
    {
        "limit-exceeded" => "limit",
        "pending-already-resolved" => "resolved",
        _ => "invalid-resolution",
    };
}

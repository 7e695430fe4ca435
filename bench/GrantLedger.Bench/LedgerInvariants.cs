using System.Diagnostics;
using GrantLedger.Web.Audit;

namespace GrantLedger.Bench;

/// <summary>
/// The ledger still holds after a benchmark, checked by <c>audit check</c>'s own checks over the bench's whole database:
/// every one of them where the benchmark wrote only what the service or its seed writes (<c>seed-national</c>,
/// <c>payment-run</c>); the accounts' (balances tie to their transfers, the trial balance is zero, no limited account is past
/// its limit, every entry has transfers) where pgbench's ceilings and the seeded history post claim entries with no claim
/// behind them, the same statement the service sends for one, with, where claims are submitted (<c>http-posting</c>,
/// <c>hot</c>), that each claim awaiting a decision holds its lines' money. Throws naming what breaks; returns a line for
/// the report.
/// </summary>
public static class LedgerInvariants
{
    public static async Task<string> VerifyAsync(BenchCluster db, IReadOnlyList<LedgerChecks.Check> checks)
    {
        var clock = Stopwatch.StartNew();
        var results = await LedgerChecks.RunAsync(db.DataSource, most: 5, checks: checks);
        var broken = results.Where(r => !r.Holds).ToList();
        if (broken.Count > 0)
            throw new InvalidOperationException("the ledger does not hold: " + string.Join("; ",
                broken.Select(r => $"{r.Name} (broken by {string.Join(", ", r.Found)}{(r.More ? " and more" : "")})")));
        var accounts = (long)(await db.Scalar("SELECT count(*) FROM account"))!;
        var transfers = (long)(await db.Scalar("SELECT count(*) FROM transfer"))!;
        var held = checks.Count == LedgerChecks.All.Count
            ? $"every one of audit check's {checks.Count} checks holds"
            : $"{checks.Count} of audit check's checks hold ({string.Join("; ", results.Select(r => r.Name))})";
        return $"ledger verified: {held} over {accounts:N0} accounts and {transfers:N0} transfers ({clock.Elapsed.TotalSeconds:F1} s)";
    }
}

using Npgsql;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// The ledger's invariants, checked with SQL straight against the database after a crash, an outage or a race: the
/// product's own checks (<see cref="GrantLedger.Web.Audit.LedgerChecks"/>, what <c>audit check</c> runs), each naming the
/// rows that break it.
/// </summary>
public static class LedgerChecks
{
    /// <summary>Fails the test with every violation found, by invariant.</summary>
    public static async Task AssertConsistentAsync(NpgsqlDataSource db)
    {
        var broken = (await GrantLedger.Web.Audit.LedgerChecks.RunAsync(db)).Where(r => !r.Holds)
            .Select(r => $"{r.Name}:\n  " + string.Join("\n  ", r.Found)).ToList();
        Assert.True(broken.Count == 0, "ledger invariants broken:\n" + string.Join("\n", broken));
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T));
    }
}

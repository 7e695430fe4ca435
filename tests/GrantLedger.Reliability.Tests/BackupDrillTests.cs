using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Reliability.Tests;

public sealed class BackupDrillTests(DatabaseFixture db) : ReliabilityTest(db)
{
    private const string Restored = "grantledger_restored";

    [Fact]
    public async Task PgDump_RestoredIntoANewDatabase_GivesTheSameTrialBalanceAccountsAndRecords()
    {
        var w = await WorldAsync();
        var original = await StartServiceAsync("original");
        await original.WarmUpAsync(w.School);
        var load = new ClaimLoad(w);
        await load.RunAsync([new(original.As(w.School), original.As(w.Lead)), new(original.As(w.OtherSchool), original.As(w.Lead))],
            claimsEach: 4, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(load.Acknowledged.Values.Count(step => step == 4) == 8, load.Summary() + Dump(original));
        var held = await w.UnderReviewAsync("HELD-1", "2026-10-06"); // a claim still holding money when the backup is taken

        var folder = Directory.CreateTempSubdirectory("grantledger-backup-");
        var dump = Path.Combine(folder.FullName, "grantledger.dump");
        await using var admin = NpgsqlDataSource.Create(Db.Cluster.ConnectionString());
        try
        {
            // The service processes seal the hash chains in the background: let them finish, so the
            // original stands still while it is compared with its copy.
            await GrantLedger.Web.Audit.Sealing.SealAllAsync(Sql);
            for (var wait = 0; wait < 120 && await Db.ScalarAsync("SELECT count(*) FROM seal_queue") > 0; wait++) await Task.Delay(500);
            Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM seal_queue"));
            // the heads an auditor keeps at the backup, to give the restored copy
            var heads = GrantLedger.Web.Audit.Verification.ReadNoted(
                [GrantLedger.Web.Audit.Verification.HeadsCsv(await GrantLedger.Web.Audit.Verification.VerifyAsync(Sql))]);
            Assert.NotEmpty(heads);
            await ClusterControl.DumpAsync(Db.Cluster, "grantledger_test", dump);
            await Execute(admin, $"DROP DATABASE IF EXISTS {Restored} WITH (FORCE)");
            await Execute(admin, $"CREATE DATABASE {Restored}");
            await ClusterControl.RestoreAsync(Db.Cluster, Restored, dump);
            await using var restoredDb = DatabaseEndpoint.CreateDataSource(Db.Cluster.ConnectionString(Restored));

            // Every table, row for row.
            foreach (var table in await TablesAsync(Sql))
                Assert.True(await DigestAsync(Sql, table) == await DigestAsync(restoredDb, table), $"table {table} differs after the restore");
            await LedgerChecks.AssertConsistentAsync(restoredDb);

            // The hash chains verify on the restored copy: every sealed record is exactly what was sealed.
            var chains = await GrantLedger.Web.Audit.Verification.VerifyAsync(restoredDb, noted: heads);
            Assert.True(chains.Ok && chains.FirstMismatch is null, $"the restored chains do not verify: {chains.FirstMismatch}");
            // and every head kept at the backup is in the restored copy's chain, with its hash
            Assert.All(chains.Noted, h => Assert.Equal("extended", h.Result));
            Assert.Equal(heads.Count, chains.Noted.Count);

            // Through the API: the same trial balance and the same balances on every account, from the restored database.
            var restored = await StartServiceAsync("restored", Db.Cluster.ConnectionString(Restored, GrantLedger.Web.Infrastructure.ServiceRole.Local),
                Db.Cluster.ConnectionString(Restored));
            await restored.WarmUpAsync(w.S.Root);
            var slow = TimeSpan.FromSeconds(90); // reads of a whole ledger, on a busy machine
            foreach (var path in new[]
                     {
                         $"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance", $"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance?depth=3",
                         $"/api/v1/programmes/{w.S.ProgrammeId}/accounts?unit=GBP", $"/api/v1/programmes/{w.S.ProgrammeId}/accounts?unit=MIN",
                         $"/api/v1/claims/{held}",
                     })
            {
                var before = (await original.As(w.S.Root, slow).GetAsync(path)).Expect(HttpStatusCode.OK).Body;
                var after = (await restored.As(w.S.Root, slow).GetAsync(path)).Expect(HttpStatusCode.OK).Body;
                Assert.Equal(WithoutETag(before), WithoutETag(after));
            }
            var tb = (await restored.As(w.S.Root, slow).GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance")).Json;
            Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
            Assert.Contains((await restored.As(w.S.Root, slow).GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/accounts?unit=GBP")).Json["items"]!.AsArray(),
                a => a!["balance"]!.GetValue<string>() != "0.00");

            // The restored ledger is a working one: its guards came back with it, and the held claim can be decided.
            await Assert.ThrowsAsync<PostgresException>(() => Execute(restoredDb, "UPDATE transfer SET amount = amount + 1"));
            (await restored.As(w.Lead, slow).PostAsync($"/api/v1/claims/{held}/approve", null)).Expect(HttpStatusCode.OK);
            await LedgerChecks.AssertConsistentAsync(restoredDb);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Execute(admin, $"DROP DATABASE IF EXISTS {Restored} WITH (FORCE)");
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// An ETag is the row's version (xmin), which a restore renews: a client's If-Match from before the
    /// restore is refused with 409 stale-version, the safe way round. Everything else must match.
    /// </summary>
    private static string WithoutETag(string body) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"eTag\":\"(\\\\.|[^\"\\\\])*\"", "\"eTag\":\"…\"");

    private static async Task Execute(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> TablesAsync(NpgsqlDataSource db)
    {
        var tables = new List<string>();
        await using var cmd = db.CreateCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync()) tables.Add(rows.GetString(0));
        Assert.Contains("transfer", tables);
        return tables;
    }

    /// <summary>A digest of every row of the table, in a fixed order: equal digests, equal contents.</summary>
    private static async Task<string> DigestAsync(NpgsqlDataSource db, string table)
    {
        await using var cmd = db.CreateCommand(
            $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM \"{table}\" t");
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}

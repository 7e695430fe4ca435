using System.IO.Compression;
using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Exports;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace GrantLedger.Reliability.Tests;

/// <summary>
/// Exports read on a reports replica (ConnectionStrings:GrantLedgerReports), a real hot standby of the test cluster
/// streaming its WAL: read there when it has replayed everything committed before the export was asked for, waited for
/// when it has not yet, and passed over for the primary when it does not catch up in time, cannot be reached or fails the
/// export. Every export holds what was committed before it was asked for, wherever it was read.
/// </summary>
public sealed class ReportsReplicaTests(DatabaseFixture db) : ReliabilityTest(db)
{
    [Fact]
    public async Task Exports_AreReadOnTheReplicaOnceItHasCaughtUp_ElseOnThePrimary_AndAlwaysHoldWhatCameBefore()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var root = Directory.CreateTempSubdirectory("grantledger-standby-").FullName;
        var standby = await ClusterControl.StartStandbyAsync(Db.Cluster, root);
        // the shared in-process service's runner would take jobs too (the queue is shared): it waits while this test runs
        var sharedRunner = Db.Factory.Services.GetServices<IHostedService>().OfType<ExportRunner>().Single();
        await sharedRunner.StopAsync(CancellationToken.None);
        try
        {
            await using var replica = NpgsqlDataSource.Create(standby.ConnectionString("grantledger_test"));
            using var factory = Db.Factory.WithWebHostBuilder(b =>
            {
                b.UseSetting("ConnectionStrings:" + ReportsReplica.ConnectionStringName, standby.ConnectionString("grantledger_test", ServiceRole.Local));
                b.UseSetting("GrantLedger:ReportsReplicaWaitSeconds", "8");
            });
            ApiClient FinanceOn(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> service) =>
                new(service.CreateClient(), x.Finance.Http.DefaultRequestHeaders.Authorization!.Parameter, x.Finance.UserId, x.Finance.UserName);
            var finance = FinanceOn(factory);

            // Caught up: read on the replica (its statistics count the export's read-only transaction, rolled back there).
            var rollbacks = await ScalarAsync(replica, "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()");
            var (onReplica, journal) = await ExportAsync(finance, x);
            Assert.Equal(ReportsReplica.Replica, onReplica);
            Assert.Equal(await TransfersAsync(x), journal);
            await WaitUntilAsync(async () => await ScalarAsync(replica,
                "SELECT pg_stat_clear_snapshot(), xact_rollback FROM pg_stat_database WHERE datname = current_database()", column: 1) > rollbacks,
                "the replica's statistics show no export read there");

            // Behind, and not catching up in time (its replay paused): read on the primary, with what was just committed.
            await ExecuteAsync(replica, "SELECT pg_wal_replay_pause()");
            await x.W.S.FundAsync("100.00");
            var (behind, withFunding) = await ExportAsync(finance, x);
            Assert.Equal(ReportsReplica.Primary, behind);
            Assert.Equal(await TransfersAsync(x), withFunding);

            // Behind, and catching up while the export waits: read on the replica once it has, with what was committed before.
            await x.W.S.FundAsync("100.00");
            var waiting = ExportAsync(finance, x);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(waiting.IsCompleted, "the export did not wait for the replica");
            await ExecuteAsync(replica, "SELECT pg_wal_replay_resume()");
            var (caughtUp, withBoth) = await waiting;
            Assert.Equal(ReportsReplica.Replica, caughtUp);
            Assert.Equal(await TransfersAsync(x), withBoth);

            // Unreachable: read on the primary.
            await standby.StopAsync();
            await x.W.S.FundAsync("100.00");
            var (down, withThree) = await ExportAsync(finance, x);
            Assert.Equal(ReportsReplica.Primary, down);
            Assert.Equal(await TransfersAsync(x), withThree);

            // A replica that fails the export part-way (here a database without the ledger's tables, where a real replica
            // would cancel a statement that conflicts with what it replays): written again on the primary. The service
            // above stops first, so that this one's runner takes the job.
            await factory.DisposeAsync();
            using var misread = Db.Factory.WithWebHostBuilder(b =>
                b.UseSetting("ConnectionStrings:" + ReportsReplica.ConnectionStringName, Db.Cluster.ConnectionString("postgres")));
            var financeThere = FinanceOn(misread);
            var (failedThere, stillWhole) = await ExportAsync(financeThere, x);
            Assert.Equal(ReportsReplica.Primary, failedThere);
            Assert.Equal(await TransfersAsync(x), stillWhole);
        }
        finally
        {
            await sharedRunner.StartAsync(CancellationToken.None);
            await standby.StopAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs a CSV export through the API: where it was read, and how many transfers its journal holds.</summary>
    private static async Task<(string ReadFrom, long JournalRows)> ExportAsync(ApiClient finance, ExportWorld x)
    {
        var (job, _) = await ExportWorld.RunJobAsync(finance, x.ProgrammeId, "csv", x.Today);
        Assert.True(job["state"]!.GetValue<string>() == "succeeded", job.ToJsonString());
        using var response = await finance.Http.GetAsync($"/api/v1/exports/{job["id"]}/file");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        using var journal = new StreamReader(zip.Entries.Single(e => e.Name.EndsWith("-journal.csv", StringComparison.Ordinal)).Open());
        var rows = (await journal.ReadToEndAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1; // the header
        return (job["readFrom"]!.GetValue<string>(), rows);
    }

    private Task<long> TransfersAsync(ExportWorld x) => Db.ScalarAsync("SELECT count(*) FROM transfer WHERE programme_id = $1", x.ProgrammeId);

    private static async Task<long> ScalarAsync(NpgsqlDataSource source, string sql, int column = 0)
    {
        await using var cmd = source.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetInt64(column);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail(failure + " within 30 s");
    }
}

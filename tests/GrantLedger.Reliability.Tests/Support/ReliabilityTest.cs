using System.Net;
using Microsoft.Extensions.DependencyInjection;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// Base for the drills: the shared throwaway cluster (emptied before each test), the world set up
/// in-process through the API, then service processes of our own that are always killed at the end,
/// and the cluster always running (and not frozen) again afterwards, whatever happened.
/// </summary>
public abstract class ReliabilityTest(DatabaseFixture db) : DatabaseTest(db)
{
    private readonly List<ServiceProcess> _services = [];

    protected async Task<ServiceProcess> StartServiceAsync(string name = "service", string? connectionString = null)
    {
        var service = await ServiceProcess.StartAsync(connectionString ?? Db.ConnectionString, name);
        _services.Add(service);
        return service;
    }

    /// <summary>
    /// The claim world (2 areas × 2 schools, rates, £1,000 staff cover each) with £20,000 more staff
    /// cover for the first area's two schools (0 and 1), so a load of £250 claims does not run out of budget there.
    /// </summary>
    protected async Task<ClaimWorld> WorldAsync()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.S.FundAsync("40000.00");
        (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            valueDate = "2026-09-01",
            each = new { categoryId = w.Category("staff-cover"), amount = "20000.00", schoolIds = new[] { w.S.Schools[0].Id, w.S.Schools[1].Id } },
        })).Expect(HttpStatusCode.Created);
        return w;
    }

    private bool _durableCommits;

    /// <summary>
    /// The throwaway cluster runs with synchronous_commit off (fast tests), so a commit is acknowledged
    /// before its WAL is written and a database crash loses the last ones: a drill that crashes
    /// PostgreSQL must turn it on, as any real deployment has it. Reset when the test ends.
    /// </summary>
    protected async Task DurableCommitsAsync()
    {
        await using var cmd = Db.DataSource.CreateCommand("ALTER SYSTEM SET synchronous_commit = on");
        await cmd.ExecuteNonQueryAsync();
        _durableCommits = true;
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        await using var cmd = Db.DataSource.CreateCommand("SELECT pg_reload_conf()");
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A fresh view of the database: pooled connections may have died with an outage.</summary>
    protected Npgsql.NpgsqlDataSource Sql
    {
        get
        {
            Db.DataSource.Clear();
            return Db.DataSource;
        }
    }

    public override async Task DisposeAsync()
    {
        foreach (var s in _services) await s.DisposeAsync();
        await ClusterControl.ThawAsync(Db.Cluster); // a drill that froze it and failed before thawing it
        if (!await ClusterControl.IsRunningAsync(Db.Cluster)) await ClusterControl.StartAsync(Db.Cluster);
        // Idle pooled connections do not notice a restarted server: drop them, the in-process service's too.
        Db.DataSource.Clear();
        Db.Factory.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().Clear();
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (_durableCommits)
        {
            await using var cmd = Db.DataSource.CreateCommand("ALTER SYSTEM RESET synchronous_commit");
            await cmd.ExecuteNonQueryAsync();
            await ReloadAsync();
        }
        await base.DisposeAsync();
    }

    protected static string Dump(ServiceProcess s) => $"\n--- {s.Name} log (tail) ---\n{s.Log}";
}

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

    /// <summary>
    /// A service process working as the role that owns nothing (<see cref="DatabaseFixture.ServiceConnectionString"/>), the
    /// migrations applied as the owner, as a deployment runs it (decision 25).
    /// </summary>
    protected async Task<ServiceProcess> StartServiceAsync(string name = "service", string? connectionString = null, string? ownerConnectionString = null)
    {
        var service = await ServiceProcess.StartAsync(connectionString ?? Db.ServiceConnectionString, ownerConnectionString ?? Db.ConnectionString, name);
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

    /// <summary>After the database is back: the same process says it is ready within 30 s.</summary>
    protected static async Task AssertReadyAgainAsync(HttpClient probe, ServiceProcess service)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode? ready = null;
        while (DateTime.UtcNow < deadline && ready != HttpStatusCode.OK)
        {
            try
            {
                using var answer = await probe.GetAsync("/health/ready");
                ready = answer.StatusCode;
            }
            catch (TaskCanceledException) { }
            if (ready != HttpStatusCode.OK) await Task.Delay(250);
        }
        Assert.True(ready == HttpStatusCode.OK, $"/health/ready is {ready} 30 s after PostgreSQL answered again{Dump(service)}");
    }

    /// <summary>
    /// What a load saw of a database outage, between <paramref name="from"/> and <paramref name="until"/>, and what it
    /// left: every request answered (never a hang), as a 2xx or a 503 problem (never a 500), each 503 within
    /// <paramref name="longest"/> and in the outage; every acknowledged step in the database; no 503 to a change saying
    /// that nothing was changed; the ledger's invariants and a balanced trial balance.
    /// </summary>
    protected async Task AssertOutageAnsweredAsync(ClaimLoad load, ServiceProcess service, ClaimWorld w, DateTime from, DateTime until, TimeSpan longest,
        Xunit.Abstractions.ITestOutputHelper output)
    {
        var replies = load.Replies.ToList();
        foreach (var r in replies.OrderBy(r => r.At - r.Took).Where(r => r.At > from.AddSeconds(-1) && r.At - r.Took < until))
            output.WriteLine($"{(r.At - r.Took):HH:mm:ss.fff} +{r.Took.TotalMilliseconds,6:0}ms {r.Step,-12} {r.ClaimId,6} {(r.Status is { } st ? ((int)st).ToString() : "none")}");
        Assert.All(replies, r => Assert.True(r.Status is not null, $"{r.Step}: no answer ({r.Body}) after {r.Took}{Dump(service)}"));
        Assert.All(replies, r => Assert.True((int)r.Status! is >= 200 and < 300 || r.Status == HttpStatusCode.ServiceUnavailable,
            $"{r.Step}: {(int)r.Status!} {r.Body}{Dump(service)}"));
        var unavailable = replies.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(unavailable);
        Assert.All(unavailable, r => Assert.Equal("application/problem+json", r.ContentType));
        Assert.All(unavailable, r => Assert.True(r.Took < longest, $"{r.Step} took {r.Took} to answer 503"));
        Assert.All(unavailable, r => Assert.InRange(r.At, from, until));

        await load.AssertNothingAcknowledgedLostAsync(Sql);
        var saved = await load.AssertEvery503ToAChangeSaysItsOutcomeIsUnknownAsync(Sql);
        output.WriteLine($"{unavailable.Count} answered 503; saved: {string.Join("; ", saved.DefaultIfEmpty("none"))}");
        await LedgerChecks.AssertConsistentAsync(Sql);
        var tb = (await service.As(w.S.Root).GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>(), tb.ToJsonString()));
    }
}

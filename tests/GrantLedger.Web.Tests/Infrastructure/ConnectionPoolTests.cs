using System.Net;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// An operator sizes PostgreSQL's max_connections for the service instances they run: an instance holds the
/// connections its load needs now, not the most a burst once needed, and one client's requests keep to one connection
/// (DatabaseEndpoint.CreateDataSource, docs/performance.md section 9).
/// </summary>
public sealed class ConnectionPoolTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Connections_a_burst_opened_are_closed_once_the_load_falls()
    {
        const string app = "grantledger-pool-test";
        await using var factory = ServiceNamed(app);
        var user = await Db.UserAsync("sbm", Roles.ProgrammeAdmin);
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;
        var client = new ApiClient(http, null, user.UserId, user.UserName);
        (await client.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // the service has started and migrated
        var burstBegan = await NowAsync();

        // a burst: 16 requests at a time, 10 times over
        for (var i = 0; i < 10; i++)
            foreach (var answer in await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.GetAsync("/api/v1/me"))))
                answer.Expect(HttpStatusCode.OK);
        var afterBurst = await OpenedSinceAsync(app, burstBegan);
        Assert.True(afterBurst >= 3, $"the burst opened {afterBurst} connections: too few for the test to show anything");

        // then one request at a time: within two of the pool's pruning rounds (10 s each) one connection is left
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long left;
        do
        {
            for (var i = 0; i < 20; i++) (await client.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
            left = await OpenedSinceAsync(app, burstBegan);
        } while (left > 1 && clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.True(left <= 1, $"{left} of the {afterBurst} connections the burst opened are still open after {clock.Elapsed.TotalSeconds:F0} s of one request at a time");
    }

    /// <summary>
    /// The sealer and the export runner work every few seconds; in the requests' pool their statements would open a second
    /// connection beside a client's, and Npgsql would then hand the client each in turn (docs/performance.md, section 9).
    /// </summary>
    [Fact]
    public async Task Background_work_runs_on_connections_of_its_own()
    {
        const string app = "grantledger-background-test";
        await using var factory = ServiceNamed(app, sealEverySeconds: "0.2"); // the sealer, five times a second
        (await factory.CreateClient().GetAsync("/health/live")).EnsureSuccessStatusCode(); // starts the service; no database work
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await Db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", $"{app} background") == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no background connection 10 s after start-up");
            await Task.Delay(100);
        }
        var since = await NowAsync();

        await Task.Delay(TimeSpan.FromSeconds(2)); // ten rounds of the sealer, one of the export runner, no requests

        Assert.Equal(0, await Db.ScalarAsync("""
            SELECT count(*) FROM pg_stat_activity
             WHERE application_name = $1 AND (backend_start >= to_timestamp($2 / 1000000.0) OR state_change >= to_timestamp($2 / 1000000.0))
            """, app, since));
        Assert.True(await Db.ScalarAsync("""
            SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state_change >= to_timestamp($2 / 1000000.0)
            """, $"{app} background", since) >= 1, "the background connections did no work meanwhile");
    }

    /// <summary>
    /// A refusal is answered with the request's connection already back in the pool, as an answer is; also when EF's
    /// pool hands the request a context whose last request ended with its connection still open (a page's ledger SQL, a
    /// file or stream answer, a failure): EF keeps that open in the context's count of opens across requests.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_refusal_gives_the_requests_connection_back_before_it_is_written(bool contextLeftOpenBefore)
    {
        await using var factory = ServiceNamed("grantledger-refusal-test"); // a pool of contexts no other test uses
        (await factory.CreateClient().GetAsync("/health/live")).EnsureSuccessStatusCode();
        if (contextLeftOpenBefore)
            for (var i = 0; i < 4; i++) // one at a time: each takes the context the pool has held longest, so all of them
            {
                await using var earlier = factory.Services.CreateAsyncScope();
                await earlier.ServiceProvider.GetRequiredService<GrantLedger.Web.Infrastructure.GrantLedgerDb>().Database.OpenConnectionAsync();
            }

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GrantLedger.Web.Infrastructure.GrantLedgerDb>();
        await db.Database.OpenConnectionAsync(); // as the API token's check leaves it
        var request = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        request.Response.Body = new MemoryStream();

        var handled = await scope.ServiceProvider.GetRequiredService<GrantLedger.Web.Infrastructure.ProblemAnswers>()
            .TryHandleAsync(request, new GrantLedger.Core.Rules.InvalidInput("amount", "must be positive"), CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(422, request.Response.StatusCode);
        Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
    }

    /// <summary>
    /// A refused token (401) gives back the connection its check opened before the refusal is written, so a client
    /// sending a stale token holds none meanwhile and the context goes back to EF's pool with its count of opens right
    /// (EF's own close closes the next request's connection).
    /// </summary>
    [Fact]
    public async Task A_refused_token_gives_its_connection_back()
    {
        await using var factory = ServiceNamed("grantledger-token-test");
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", ApiTokens.Prefix + "unknown");
        for (var i = 0; i < 4; i++) // one at a time: each takes the context the pool has held longest, so all of them
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/me")).StatusCode);

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GrantLedger.Web.Infrastructure.GrantLedgerDb>();
        await db.Database.OpenConnectionAsync();
        await db.Database.CloseConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
    }

    /// <summary>
    /// An operator who turns Npgsql's log up (Logging:LogLevel:Npgsql) sees its connections and statements in the service's
    /// own log, as the freeze drill's cancellations were found (docs/reliability.md); unless they do, it logs warnings only
    /// (appsettings.json), not a line a statement.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("Debug")]
    public async Task Npgsqls_own_log_is_the_services_at_the_level_set(string? level)
    {
        var logged = new LogCapture();
        await using var factory = Db.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:GrantLedger", Db.ServiceConnectionString + ";Application Name=grantledger-log-test");
            if (level is not null) b.UseSetting("Logging:LogLevel:Npgsql", level);
            b.ConfigureLogging(l => l.AddProvider(logged));
        });
        (await factory.CreateClient().GetAsync("/health/ready")).EnsureSuccessStatusCode(); // its query is on the background pool

        var npgsql = logged.Entries.Where(e => e.Category.StartsWith("Npgsql.", StringComparison.Ordinal)).ToList();
        if (level is null) Assert.DoesNotContain(npgsql, e => e.Level < LogLevel.Warning);
        else Assert.Contains(npgsql, e => e.Message.Contains("schema_migration"));
    }

    /// <summary>The service with its own connection pools, named <paramref name="app"/> in pg_stat_activity.</summary>
    private WebApplicationFactory<Program> ServiceNamed(string app, string? sealEverySeconds = null) => Db.Factory.WithWebHostBuilder(b =>
    {
        b.UseSetting("ConnectionStrings:GrantLedger", Db.ServiceConnectionString + $";Application Name={app}");
        if (sealEverySeconds is not null) b.UseSetting(GrantLedger.Web.Audit.Sealer.IntervalSetting, sealEverySeconds);
    });

    /// <summary>The database's clock, in µs since the Unix epoch.</summary>
    private Task<long> NowAsync() => Db.ScalarAsync("SELECT (extract(epoch from clock_timestamp()) * 1000000)::bigint");

    /// <summary>The service's connections to the test database opened since <paramref name="sinceMicros"/> (the Unix epoch in µs).</summary>
    private Task<long> OpenedSinceAsync(string app, long sinceMicros) => Db.ScalarAsync("""
        SELECT count(*) FROM pg_stat_activity
         WHERE application_name = $1 AND backend_start >= to_timestamp($2 / 1000000.0)
        """, app, sinceMicros);
}

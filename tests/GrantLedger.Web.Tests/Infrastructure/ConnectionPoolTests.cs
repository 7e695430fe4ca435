using System.Net;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// An operator sizes PostgreSQL's max_connections for the service instances they run: an instance holds the
/// connections its load needs now, not the most a burst once needed (DatabaseEndpoint.CreateDataSource).
/// </summary>
public sealed class ConnectionPoolTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Connections_a_burst_opened_are_closed_once_the_load_falls()
    {
        const string app = "grantledger-pool-test";
        await using var factory = Db.Factory.WithWebHostBuilder(b =>
            b.UseSetting("ConnectionStrings:GrantLedger", Db.ConnectionString + $";Application Name={app}"));
        var user = await Db.UserAsync("sbm", Roles.ProgrammeAdmin);
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;
        var client = new ApiClient(http, null, user.UserId, user.UserName);
        (await client.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // the service has started and migrated
        var burstBegan = await Db.ScalarAsync("SELECT (extract(epoch from clock_timestamp()) * 1000000)::bigint");

        // a burst: 16 requests at a time, 10 times over
        for (var i = 0; i < 10; i++)
            foreach (var answer in await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.GetAsync("/api/v1/me"))))
                answer.Expect(HttpStatusCode.OK);
        var afterBurst = await OpenedSinceAsync(app, burstBegan);
        Assert.True(afterBurst >= 3, $"the burst opened {afterBurst} connections: too few for the test to show anything");

        // then one request at a time, for longer than the pool's idle lifetime (10 s)
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until) (await client.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);

        var left = await OpenedSinceAsync(app, burstBegan);
        Assert.True(left <= 2, $"{left} of the {afterBurst} connections the burst opened are still open after 15 s of one request at a time");
    }

    /// <summary>The service's connections to the test database opened since <paramref name="sinceMicros"/> (the Unix epoch in µs).</summary>
    private Task<long> OpenedSinceAsync(string app, long sinceMicros) => Db.ScalarAsync("""
        SELECT count(*) FROM pg_stat_activity
         WHERE application_name = $1 AND backend_start >= to_timestamp($2 / 1000000.0)
        """, app, sinceMicros);
}

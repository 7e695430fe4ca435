using System.Diagnostics;
using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

public sealed class DatabaseOutageTests(DatabaseFixture db, Xunit.Abstractions.ITestOutputHelper output) : ReliabilityTest(db)
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PostgresStopsMidLoad_ServiceAnswers503Problems_ThenRecoversWithoutRestart_LosingNothingAcknowledged()
    {
        var w = await WorldAsync();
        await DurableCommitsAsync();
        var service = await StartServiceAsync("service");
        await service.WarmUpAsync(w.School);
        var workers = Enumerable.Range(0, 4).Select(i => new ClaimLoad.Worker(
            service.As(i % 2 == 0 ? w.School : w.OtherSchool, ClientTimeout), service.As(w.Lead, ClientTimeout))).ToList();
        var load = new ClaimLoad(w);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = load.RunAsync(workers, claimsEach: 40, stop.Token);
        using var probe = new HttpClient { BaseAddress = service.BaseAddress, Timeout = ClientTimeout };
        using var browser = await service.SignedInPagesAsync(w.School.UserName);

        // The outage: PostgreSQL stops at once with requests in flight, and stays down for a few seconds under load.
        while (load.AcknowledgedCount < 30 && !running.IsCompleted) await Task.Delay(10);
        var down = DateTime.UtcNow;
        await ClusterControl.StopImmediateAsync(Db.Cluster);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        using (var ready = await probe.GetAsync("/health/ready"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"/health/ready took {clock.Elapsed} to say the database is down");
        using (var live = await probe.GetAsync("/health/live"))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // a person at a page is shown the service's own page, 503, not a problem document
        using (var page = await browser.GetAsync("/school/claims"))
        {
            var html = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable, $"/school/claims while down: {(int)page.StatusCode} {html}");
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Equal("/unavailable", page.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.Contains("Sorry, there is a problem with the service", html);
            Assert.Contains("Nothing has been changed", html);
        }
        await Task.Delay(TimeSpan.FromSeconds(3));

        // PostgreSQL comes back; the same process is ready again within 30 s and takes writes.
        await ClusterControl.StartAsync(Db.Cluster);
        await AssertReadyAgainAsync(probe, service);
        var ackedBeforeRecovery = load.AcknowledgedCount;
        var recovered = DateTime.UtcNow.AddSeconds(1); // a request already answered 503 may land just after ready
        while (load.AcknowledgedCount < ackedBeforeRecovery + 30 && !running.IsCompleted) await Task.Delay(20);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(180));

        output.WriteLine($"down {down:HH:mm:ss.fff}, ready again {recovered.AddSeconds(-1):HH:mm:ss.fff}");
        // After recovery every write succeeds, from the same process.
        Assert.True(load.AcknowledgedCount >= ackedBeforeRecovery + 30, $"writes did not resume: {load.Summary()}{Dump(service)}");
        await AssertOutageAnsweredAsync(load, service, w, down, recovered, TimeSpan.FromSeconds(15), output);
    }
}

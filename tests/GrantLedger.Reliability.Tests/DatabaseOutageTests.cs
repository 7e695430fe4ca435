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
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode? readyAgain = null;
        while (DateTime.UtcNow < deadline && readyAgain != HttpStatusCode.OK)
        {
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                readyAgain = ready.StatusCode;
            }
            catch (TaskCanceledException) { }
            if (readyAgain != HttpStatusCode.OK) await Task.Delay(250);
        }
        Assert.True(readyAgain == HttpStatusCode.OK, $"/health/ready is {readyAgain} 30 s after PostgreSQL came back{Dump(service)}");
        var ackedBeforeRecovery = load.AcknowledgedCount;
        var recovered = DateTime.UtcNow.AddSeconds(1); // a request already answered 503 may land just after ready
        while (load.AcknowledgedCount < ackedBeforeRecovery + 30 && !running.IsCompleted) await Task.Delay(20);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(180));

        var replies = load.Replies.ToList();
        output.WriteLine($"down {down:HH:mm:ss.fff}, ready again {recovered.AddSeconds(-1):HH:mm:ss.fff}");
        foreach (var r in replies.OrderBy(r => r.At - r.Took))
            output.WriteLine($"{(r.At - r.Took):HH:mm:ss.fff} +{r.Took.TotalMilliseconds,6:0}ms {r.Step,-12} {(r.Status is { } st ? ((int)st).ToString() : "none")}");
        // Never a 500, never a hang: every answer came, in bounded time, as a 2xx or a 503 problem.
        Assert.All(replies, r => Assert.True(r.Status is not null, $"{r.Step}: no answer ({r.Body}) after {r.Took}{Dump(service)}"));
        Assert.All(replies, r => Assert.True((int)r.Status! is >= 200 and < 300 || r.Status == HttpStatusCode.ServiceUnavailable,
            $"{r.Step}: {(int)r.Status!} {r.Body}{Dump(service)}"));
        var unavailable = replies.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(unavailable);
        Assert.All(unavailable, r => Assert.Equal("application/problem+json", r.ContentType));
        Assert.All(unavailable, r => Assert.True(r.Took < TimeSpan.FromSeconds(15), $"{r.Step} took {r.Took} to answer 503"));
        Assert.All(unavailable, r => Assert.InRange(r.At, down, recovered));
        // After recovery every write succeeds, from the same process.
        Assert.True(load.AcknowledgedCount >= ackedBeforeRecovery + 30, $"writes did not resume: {load.Summary()}{Dump(service)}");

        await load.AssertNothingAcknowledgedLostAsync(Sql);
        var savedThoughUnknown = await load.AssertEvery503ToAChangeSaysItsOutcomeIsUnknownAsync(Sql);
        output.WriteLine($"{unavailable.Count} answered 503; saved: {string.Join("; ", savedThoughUnknown.DefaultIfEmpty("none"))}");
        await LedgerChecks.AssertConsistentAsync(Sql);
        var tb = (await service.As(w.S.Root).GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>(), tb.ToJsonString()));
    }
}

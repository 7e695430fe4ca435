using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

public sealed class CrashTests(DatabaseFixture db) : ReliabilityTest(db)
{
    [Fact]
    public async Task KillNine_MidLoad_EveryAcknowledgedRequestSurvives_AndNothingIsHalfWritten()
    {
        var w = await WorldAsync();
        var service = await StartServiceAsync("crashing service");
        await service.WarmUpAsync(w.School);
        var school2 = await w.S.SchoolUserAsync(Db, 2);
        var workers = new[]
        {
            new ClaimLoad.Worker(service.As(w.School), service.As(w.Lead)),
            new ClaimLoad.Worker(service.As(w.School), service.As(w.Lead)),
            new ClaimLoad.Worker(service.As(w.OtherSchool), service.As(w.Lead)),
            new ClaimLoad.Worker(service.As(w.OtherSchool), service.As(w.Lead)),
        };
        var load = new ClaimLoad(w);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var running = load.RunAsync(workers, claimsEach: 15, stop.Token);

        // Kill -9 once the service has acknowledged 60 requests, with requests still in flight.
        while (load.AcknowledgedCount < 60 && !running.IsCompleted) await Task.Delay(10);
        service.Kill();
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(180));
        Assert.True(load.AcknowledgedCount >= 60, $"the load ended before the crash: {load.Summary()}{Dump(service)}");
        Assert.DoesNotContain(load.Replies, r => (int?)r.Status >= 500);

        // Restarted, the service answers again and the database holds everything acknowledged, consistently.
        await service.StartAgainAsync();
        await load.AssertNothingAcknowledgedLostAsync(Sql);
        await LedgerChecks.AssertConsistentAsync(Sql);
        var tb = (await service.As(w.S.Root).GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>(), tb.ToJsonString()));

        // And it carries on: a claim after the restart goes all the way through.
        var after = new ClaimLoad(w);
        await after.RunAsync([new ClaimLoad.Worker(service.As(school2), service.As(w.OtherLead))], claimsEach: 1, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(after.Acknowledged.Values.Single() == 4, after.Summary() + Dump(service));
        await LedgerChecks.AssertConsistentAsync(Sql);
    }
}

using System.Diagnostics;
using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

/// <summary>
/// A database that stops answering without refusing: the host frozen, or a network that drops packets. Nothing is refused
/// and no connection breaks; every statement simply gets no answer. The service must still answer every request, in a time
/// its connection string bounds, and be itself again when the database answers, without a restart.
/// </summary>
public sealed class DatabaseFreezeTests(DatabaseFixture db, Xunit.Abstractions.ITestOutputHelper output) : ReliabilityTest(db)
{
    /// <summary>
    /// The drill's bounds, in the service's connection string as an operator sets them (Npgsql's defaults are 30 s for a
    /// statement, 2 s for its cancellation and 15 s for a connection): a statement without an answer in 3 s is cancelled,
    /// the cancellation waited for 1 s, a new connection 3 s.
    /// </summary>
    private const string Bounds = ";Command Timeout=3;Cancellation Timeout=1000;Timeout=3";

    /// <summary>
    /// The longest a request may take to be answered under <see cref="Bounds"/>: its statement's Command Timeout (3 s), then
    /// Npgsql's cancel request, which waits up to twice the connection's Timeout for the frozen server (6 s) and then breaks
    /// the connection, so that the transaction's rollback waits for nothing: about 9 s. Not twice that (a submission written
    /// alone after its group's statements got no answer waited 12.2 s before that was mended), and not a cancellation that
    /// waited for a thread (up to 15 s before <see cref="GrantLedger.Web.Infrastructure.CancellationThreads"/>).
    /// </summary>
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(11);

    /// <summary>
    /// Claims in flight at once, each on a connection of its own when PostgreSQL freezes: each of their cancellations holds a
    /// thread for 6 s, more than the thread pool keeps idle on a 2-core machine. With four the pool had threads to spare
    /// on a quiet machine and not always in CI (12.1 s, twice in six runs); with the pool's own minimum, sixteen had requests
    /// wait up to 15 s and thirty-two had /health/ready wait 14 s, on a quiet machine.
    /// </summary>
    private const int Workers = 16;

    [Fact]
    public async Task PostgresStopsAnsweringMidLoad_EveryRequestIsAnsweredInBoundedTime_ThenTheServiceRecoversWithoutRestart_LosingNothingAcknowledged()
    {
        var w = await WorldAsync();
        await DurableCommitsAsync();
        var service = await StartServiceAsync("service", Db.ServiceConnectionString + Bounds);
        await service.WarmUpAsync(w.School);
        var workers = Enumerable.Range(0, Workers).Select(i => new ClaimLoad.Worker(
            service.As(i % 2 == 0 ? w.School : w.OtherSchool, TimeSpan.FromSeconds(60)), service.As(w.Lead, TimeSpan.FromSeconds(60)))).ToList();
        var load = new ClaimLoad(w);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = load.RunAsync(workers, claimsEach: 40, stop.Token);
        using var probe = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        // The freeze: every PostgreSQL process stopped with requests in flight, for longer than any of the bounds.
        while (load.AcknowledgedCount < 30 && !running.IsCompleted) await Task.Delay(10);
        var frozenAt = DateTime.UtcNow;
        await ClusterControl.FreezeAsync(Db.Cluster);
        DateTime thawedAt;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var clock = Stopwatch.StartNew();
            using (var ready = await probe.GetAsync("/health/ready"))
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            output.WriteLine($"/health/ready said 503 in {clock.Elapsed}");
            Assert.True(clock.Elapsed < Longest, $"/health/ready took {clock.Elapsed} to say the database does not answer");
            using (var live = await probe.GetAsync("/health/live"))
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            // a read is answered 503 too, and says that nothing was changed
            clock.Restart();
            var read = await service.As(w.School).GetAsync("/api/v1/claims");
            Assert.True(read.Status == HttpStatusCode.ServiceUnavailable, $"a read while frozen: {(int)read.Status} {read.Body}");
            Assert.Equal("nothing-changed", read.Json["outcome"]!.GetValue<string>());
            Assert.True(clock.Elapsed < Longest, $"a read took {clock.Elapsed} to be answered 503");
            var until = frozenAt.AddSeconds(12);
            if (until > DateTime.UtcNow) await Task.Delay(until - DateTime.UtcNow);
        }
        finally
        {
            await ClusterControl.ThawAsync(Db.Cluster);
            thawedAt = DateTime.UtcNow;
        }

        // The database answers again: the same process is ready within 30 s and takes writes.
        await AssertReadyAgainAsync(probe, service);
        var ackedBeforeRecovery = load.AcknowledgedCount;
        while (load.AcknowledgedCount < ackedBeforeRecovery + 30 && !running.IsCompleted) await Task.Delay(20);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(180));

        output.WriteLine($"frozen {frozenAt:HH:mm:ss.fff}, thawed {thawedAt:HH:mm:ss.fff}");
        Assert.True(load.AcknowledgedCount >= ackedBeforeRecovery + 30, $"writes did not resume: {load.Summary()}{Dump(service)}");
        // every request, 2xx or 503, answered within the bounds (a late one named with the service's log, whose warnings say
        // which wait it was); then what the answers said checked against the database
        var slowest = load.Replies.MaxBy(r => r.Took)!;
        output.WriteLine($"slowest answer: {slowest.Step} of claim {slowest.ClaimId}, {slowest.Took} ({(int?)slowest.Status})");
        var late = load.Replies.Where(r => r.Took >= Longest).ToList();
        Assert.True(late.Count == 0, string.Join("\n", late.Select(r =>
            $"{r.Step} of claim {r.ClaimId}, sent at {r.At - r.Took:HH:mm:ss.fff}, took {r.Took} to be answered {(int?)r.Status}")) + Dump(service));
        await AssertOutageAnsweredAsync(load, service, w, frozenAt, thawedAt.Add(Longest), Longest, output);
    }
}

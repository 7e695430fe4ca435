using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// A bounded load of claims, each taken through create → add a day of staff time → submit →
/// start review → approve, by several workers at once (a school business manager and their area
/// lead each). It remembers, per claim, the furthest step the service acknowledged with a 2xx, and
/// every other answer, so a test can check afterwards that nothing acknowledged was lost.
/// A worker that gets no answer (connection refused, reset, timeout) or a 503 drops that claim
/// and starts the next one.
/// </summary>
public sealed class ClaimLoad
{
    /// <summary>The steps of a claim, in order; a claim's state after each acknowledged step.</summary>
    public static readonly string[] States = ["draft", "draft", "submitted", "under-review", "approved"];

    public sealed record Worker(ApiClient School, ApiClient Lead);

    /// <param name="ClaimId">the claim the step was for (null for a create)</param>
    public sealed record Reply(string Step, long? ClaimId, HttpStatusCode? Status, string? ContentType, string Body, TimeSpan Took, DateTime At);

    private static int _staffCounter;

    private readonly ClaimWorld _w;
    private readonly ConcurrentDictionary<long, int> _acknowledged = new();

    public ConcurrentQueue<Reply> Replies { get; } = new();
    public int AcknowledgedCount;

    public ClaimLoad(ClaimWorld w) => _w = w;

    /// <summary>Claim id → the furthest step acknowledged (0 created, 1 line added, 2 submitted, 3 under review, 4 approved).</summary>
    public IReadOnlyDictionary<long, int> Acknowledged => _acknowledged;

    /// <summary>Runs the workers until <paramref name="stop"/> is cancelled or each has taken <paramref name="claimsEach"/> claims through.</summary>
    public Task RunAsync(IEnumerable<Worker> workers, int claimsEach, CancellationToken stop) =>
        Task.WhenAll(workers.Select(w => Task.Run(() => WorkAsync(w, claimsEach, stop))));

    private async Task WorkAsync(Worker worker, int claims, CancellationToken stop)
    {
        // claims counts claims created; a refused create (503 during an outage) is retried, within a bound
        for (int done = 0, attempts = 0; done < claims && attempts < claims * 20 && !stop.IsCancellationRequested; attempts++)
        {
            var staff = $"R-{Interlocked.Increment(ref _staffCounter)}";
            var created = await SendAsync("create", null, () => worker.School.PostAsync("/api/v1/claims",
                new { periodId = _w.Periods["aut1"], description = "reliability load" }));
            if (created is null) { await PauseAsync(stop); continue; }
            done++;
            var id = created.Id;
            _acknowledged[id] = 0;
            Func<Task<Answer>>[] steps =
            [
                () => worker.School.PostAsync($"/api/v1/claims/{id}/lines", new
                {
                    kind = "staff-time", categoryId = _w.Category("staff-cover"), staffRef = staff, role = "leader", activity = "training",
                    date = "2026-10-05", days = 1m,
                }),
                () => worker.School.PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true }),
                () => worker.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null),
                () => worker.Lead.PostAsync($"/api/v1/claims/{id}/approve", null),
            ];
            for (var s = 0; s < steps.Length && !stop.IsCancellationRequested; s++)
            {
                if (await SendAsync(StepName(s + 1), id, steps[s]) is null) break;
                _acknowledged[id] = s + 1;
            }
        }
    }

    private static string StepName(int step) => Steps[Math.Min(step, Steps.Length - 1)];

    /// <returns>the answer when it was a 2xx; null otherwise (recorded in <see cref="Replies"/>)</returns>
    private async Task<Answer?> SendAsync(string step, long? claimId, Func<Task<Answer>> send)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var answer = await send();
            Replies.Enqueue(new Reply(step, claimId, answer.Status, answer.ContentType, answer.Body.Length > 2_000 ? answer.Body[..2_000] : answer.Body, clock.Elapsed, DateTime.UtcNow));
            if ((int)answer.Status is >= 200 and < 300)
            {
                Interlocked.Increment(ref AcknowledgedCount);
                return answer;
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Replies.Enqueue(new Reply(step, claimId, null, null, $"{e.GetType().Name}: {e.Message}", clock.Elapsed, DateTime.UtcNow));
            return null;
        }
    }

    private static async Task PauseAsync(CancellationToken stop)
    {
        try { await Task.Delay(100, stop); } catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Every acknowledged step is in the database: each claim is at least as far as acknowledged, and
    /// at most one step further (a step can commit and the answer be lost with the crash).
    /// </summary>
    public async Task AssertNothingAcknowledgedLostAsync(Npgsql.NpgsqlDataSource db)
    {
        var lost = new List<string>();
        foreach (var (id, step) in _acknowledged)
        {
            var (reached, state, lines) = await ReachedAsync(db, id);
            if (reached is null) lost.Add($"claim {id}: acknowledged step {StepName(step)} but the claim is gone");
            else if (reached < step || reached > step + 1)
                lost.Add($"claim {id}: acknowledged {StepName(step)}, but it is {state} with {lines} line(s)");
        }
        Assert.True(lost.Count == 0, string.Join("\n", lost));
    }

    /// <summary>
    /// Every 503 to a step (each a change) says in its problem's "outcome" that whether it was saved is unknown: it may
    /// have been (a COMMIT that reached the database before it stopped answering). None says nothing was changed.
    /// </summary>
    /// <returns>the steps answered 503 that were in fact saved</returns>
    public async Task<List<string>> AssertEvery503ToAChangeSaysItsOutcomeIsUnknownAsync(Npgsql.NpgsqlDataSource db)
    {
        var saved = new List<string>();
        foreach (var r in Replies.Where(r => r.Status == HttpStatusCode.ServiceUnavailable))
        {
            var outcome = System.Text.Json.Nodes.JsonNode.Parse(r.Body)?["outcome"]?.GetValue<string>();
            Assert.True(outcome == "unknown", $"a 503 to {r.Step} of claim {r.ClaimId} says its outcome is {outcome ?? "(nothing)"}: {r.Body}");
            if (r.ClaimId is { } id && (await ReachedAsync(db, id)).Reached >= Array.IndexOf(Steps, r.Step))
                saved.Add($"{r.Step} of claim {id} (answered after {r.Took.TotalMilliseconds:0} ms)");
        }
        return saved;
    }

    private static readonly string[] Steps = ["create", "add-line", "submit", "start-review", "approve"];

    /// <returns>how far the claim is (its step's index in <see cref="Steps"/>), or null when it is not there</returns>
    private static async Task<(int? Reached, string? State, long Lines)> ReachedAsync(Npgsql.NpgsqlDataSource db, long id)
    {
        await using var cmd = db.CreateCommand("SELECT c.state, (SELECT count(*) FROM claim_line l WHERE l.claim_id = c.id) FROM claim c WHERE c.id = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        await using var row = await cmd.ExecuteReaderAsync();
        if (!await row.ReadAsync()) return (null, null, 0);
        var (state, lines) = (row.GetString(0), row.GetInt64(1));
        return (state == "draft" ? (lines > 0 ? 1 : 0) : Array.IndexOf(States, state), state, lines);
    }

    public string Summary() => string.Join(", ", Replies.GroupBy(r => $"{r.Step} {(r.Status is { } s ? ((int)s).ToString() : "no answer")}")
        .OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
}

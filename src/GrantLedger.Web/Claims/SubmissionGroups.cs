using System.Data.Common;
using System.Diagnostics.Metrics;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Claim submissions through the API, written together when they arrive together: one transaction, one commit and
/// one hand-over of each school's budget accounts for several claims, where each costs PostgreSQL its own
/// (docs/performance.md, section 15). Every claim keeps its own history row, audit event and journal entry, and each
/// request is answered only after its claim is committed.
/// </summary>
/// <remarks>
/// At most <see cref="Writers"/> transactions of submissions are written at once. A submission that finds a writer
/// free and none waiting is written at once, alone, as any other transition is; one that finds them busy waits, and
/// when a writer is free the submissions waiting (up to <see cref="MostInAGroup"/>) are written together: their claims
/// locked and read in one round trip, in claim order, then each checked as if alone (one that fails its checks is
/// answered with its refusal and left out), then every claim's rows in one batch with COMMIT. A submission that has
/// waited <see cref="Patience"/> without a writer is written alone by its own request. If the group's writes are refused — one claim past its budget, a staff day
/// past a full day, a TLR claimed twice, a deadlock — nothing of the group is written and each of its claims is written
/// alone by its own request, which answers its own outcome (but if the database could not be reached or stopped answering,
/// each is answered 503 at once: alone, it would wait as long again); for <see cref="AloneAfterRefusal"/> after that, submissions
/// are written alone (as a budget runs out, group after group would be refused). An idempotent request (its answer
/// stored in its own transaction) is never grouped. What the groups do is counted on the meter <see cref="MeterName"/>.
/// </remarks>
public sealed class SubmissionGroups(IServiceScopeFactory scopes, IConfiguration config, ILogger<SubmissionGroups> log, IMeterFactory meters)
{
    /// <summary>
    /// The meter of submissions' grouping, for whoever runs the service: <c>dotnet-counters monitor -p PID --counters
    /// GrantLedger.Submissions</c>, or any OpenTelemetry exporter. Groups per claim show how much the writer
    /// shares its commits; outwaited submissions, writers held up (by a long lock); refused groups, budgets running out.
    /// </summary>
    public const string MeterName = "GrantLedger.Submissions";

    private readonly Counter<long> _groupedCount = meters.Create(MeterName).CreateCounter<long>("grantledger.submissions.grouped", "{submission}",
        "submissions written in a group of two or more, one transaction for the group");
    private readonly Counter<long> _groupCount = meters.Create(MeterName).CreateCounter<long>("grantledger.submissions.groups", "{transaction}",
        "groups of two or more submissions written");
    private readonly Counter<long> _outwaitedCount = meters.Create(MeterName).CreateCounter<long>("grantledger.submissions.outwaited", "{submission}",
        "submissions that waited their patience for a writer and were written alone");
    private readonly Counter<long> _refusedCount = meters.Create(MeterName).CreateCounter<long>("grantledger.submissions.groups_refused", "{transaction}",
        "groups that failed (the database refused a claim's budget, staff day or TLR, or could not be reached): each claim then written alone");

    /// <summary>Off (<c>GrantLedger:GroupSubmissions</c> false), every submission is written alone: to compare, or to rule grouping out.</summary>
    private readonly bool _on = config.GetValue("GrantLedger:GroupSubmissions", true);

    /// <summary>
    /// Transactions of submissions written at once (<c>GrantLedger:SubmissionWriters</c>). One: on two cores, two writers
    /// grouped half as much and cost the machine more per claim (docs/performance.md, section 16).
    /// </summary>
    public int Writers { get; } = Math.Max(1, config.GetValue("GrantLedger:SubmissionWriters", 1));

    public const int MostInAGroup = 8;

    private sealed record Waiting(CurrentUser Caller, AuditTrail.Actor Who, long ClaimId, Transitions.Request Request, string? IfMatch)
    {
        /// <summary>The claim as written with its group, or null: write it alone.</summary>
        public TaskCompletionSource<ClaimScope?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>After a group is refused, how long submissions are written alone: a budget running out refuses group after group.</summary>
    public static readonly TimeSpan AloneAfterRefusal = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a submission waits for a writer before it is written alone, by its own request
    /// (<c>GrantLedger:SubmissionPatienceMs</c>): writers held up by a lock (a bulk allocation's on many schools' budgets,
    /// say) do not hold up every school's submissions.
    /// </summary>
    public TimeSpan Patience { get; } = TimeSpan.FromMilliseconds(Math.Max(0, config.GetValue("GrantLedger:SubmissionPatienceMs", 100)));

    private readonly LinkedList<Waiting> _waiting = Watched(meters.Create(MeterName));
    private int _writing;
    private long _grouped;
    private long _outwaited;
    private long _aloneUntil; // Environment.TickCount64

    /// <summary>The queue of submissions waiting for a writer, its length read by the meter when it is read (under the queue's lock).</summary>
    private static LinkedList<Waiting> Watched(Meter meter)
    {
        var queue = new LinkedList<Waiting>();
        meter.CreateObservableUpDownCounter("grantledger.submissions.waiting", () =>
        {
            lock (queue) return queue.Count;
        }, "{submission}", "submissions waiting for a writer");
        return queue;
    }

    /// <summary>A group was refused less than <see cref="AloneAfterRefusal"/> ago: submissions are written alone.</summary>
    public bool Alone => Environment.TickCount64 < Interlocked.Read(ref _aloneUntil);

    /// <summary>Submissions waiting for a writer now.</summary>
    public int WaitingNow
    {
        get
        {
            lock (_waiting) return _waiting.Count;
        }
    }

    /// <summary>Submissions written in groups of two or more since the service started.</summary>
    public long Grouped => Interlocked.Read(ref _grouped);

    /// <summary>Submissions that waited <see cref="Patience"/> for a writer and were written alone since the service started.</summary>
    public long Outwaited => Interlocked.Read(ref _outwaited);

    /// <returns>the claim as submitted (<see cref="Transitions.FireAsync"/>)</returns>
    public async Task<ClaimScope> SubmitAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, Transitions.Request request,
        string? ifMatch, CancellationToken ct)
    {
        Task<ClaimScope> AloneAsync() => Transitions.FireAsync(db, audit, caller, claimId, ClaimTrigger.Submit, request, ifMatch, ct);
        if (!_on || db.Database.CurrentTransaction is not null || Alone) return await AloneAsync();
        LinkedListNode<Waiting>? waiting = null;
        lock (_waiting)
        {
            if (_writing < Writers && _waiting.Count == 0) _writing++;
            else _waiting.AddLast(waiting = new(new Waiting(caller, audit.CurrentActor(), claimId, request, ifMatch)));
        }
        if (waiting is null)
        {
            try
            {
                return await AloneAsync();
            }
            finally
            {
                Finished();
            }
        }
        var done = waiting.Value.Done.Task;
        ClaimScope? written;
        try
        {
            written = await done.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            // Its patience ran out; a group may have taken it at the same moment, even after the wait gave up (so whether
            // it waits on is decided here, under the queue's lock, never by whether its outcome is known yet).
            bool left;
            lock (_waiting)
            {
                // still in the queue: not in a group, and now never will be
                left = waiting.List is not null;
                if (left) _waiting.Remove(waiting);
            }
            if (left)
            {
                Interlocked.Increment(ref _outwaited);
                _outwaitedCount.Add(1);
                return await AloneAsync();
            }
            written = await done; // in a group: its outcome, whenever the group has it
        }
        return written ?? await AloneAsync();
    }

    /// <summary>A writer is free: the submissions waiting, if any, go next.</summary>
    private void Finished()
    {
        lock (_waiting)
        {
            _writing--;
            if (Alone)
                while (Dequeue() is { } w) w.Done.SetResult(null);
            while (_writing < Writers && _waiting.Count > 0)
            {
                var group = new List<Waiting>();
                while (group.Count < MostInAGroup && Dequeue() is { } w) group.Add(w);
                if (group.Count == 1)
                {
                    group[0].Done.SetResult(null); // nothing to write it with: its own request writes it alone
                    break;
                }
                _writing++;
                // on a flow of its own: not the request's whose submission freed the writer (its HttpContext is not this group's)
                using (ExecutionContext.SuppressFlow()) _ = Task.Run(() => WriteAsync(group));
            }
        }
    }

    private Waiting? Dequeue()
    {
        if (_waiting.First is not { } first) return null;
        _waiting.RemoveFirst();
        return first.Value;
    }

    private async Task WriteAsync(List<Waiting> group)
    {
        try
        {
            // a claim in the group twice (a double click) is written once: the other request is written alone, and the claim's
            // row lock decides which submits it; the other is answered as the claim then is (409)
            var ordered = group.DistinctBy(w => w.ClaimId).OrderBy(w => w.ClaimId).ToList();
            foreach (var again in group.Except(ordered)) again.Done.SetResult(null);
            var decided = new List<(Waiting Waiting, Transitions.Decided Transition)>();
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GrantLedgerDb>();
            await db.InTransactionAsync(async () =>
            {
                // every claim locked and read in one round trip, in claim order
                var (readHolds, reserveIds) = Transitions.LockNeeds(ClaimTrigger.Submit);
                var locked = await ClaimAccess.LockForTransitionsAsync(db, ordered.Select(w => w.ClaimId).ToList(), readHolds, reserveIds,
                    CancellationToken.None, readRates: true);
                for (var k = 0; k < ordered.Count; k++)
                {
                    var w = ordered[k];
                    try
                    {
                        decided.Add((w, await Transitions.DecideAsync(db, w.Who, w.Caller, ClaimAccess.Take(db, w.Caller, w.ClaimId, locked[k]),
                            ClaimTrigger.Submit, w.Request, w.IfMatch, CancellationToken.None)));
                    }
                    catch (Exception e) when (e is not (DbException or InvalidOperationException or OperationCanceledException))
                    {
                        w.Done.SetException(e); // its own refusal (a rule, a stale version, not found …): as it would be alone
                    }
                }
                if (decided.Count > 0) await Transitions.WriteAsync(db, decided.Select(d => d.Transition).ToList(), CancellationToken.None);
            });
            // counted before the requests are answered: one answered reads its group on the meter (counted after, a client that
            // read the meter on its answer could find its own group missing)
            if (decided.Count > 1)
            {
                Interlocked.Add(ref _grouped, decided.Count);
                _groupedCount.Add(decided.Count);
                _groupCount.Add(1);
            }
            foreach (var (w, d) in decided) w.Done.SetResult(d.Scope);
        }
        catch (Exception e)
        {
            // nothing of the group was written: each claim still waiting is written alone by its own request, and so are
            // the submissions of the next moment
            Interlocked.Exchange(ref _aloneUntil, Environment.TickCount64 + (long)AloneAfterRefusal.TotalMilliseconds);
            _refusedCount.Add(1);
            if (ProblemAnswers.IsDatabaseUnavailable(e))
            {
                // the database does not answer: written alone, each would wait as long again before its 503
                log.LogWarning(e, "a group of {Count} submissions failed: the database is unavailable", group.Count);
                foreach (var w in group) w.Done.TrySetException(e);
                return;
            }
            if (e is not PostgresException) log.LogWarning(e, "a group of {Count} submissions failed; each is written alone", group.Count);
            foreach (var w in group) w.Done.TrySetResult(null);
        }
        finally
        {
            Finished();
        }
    }
}

using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>A claim with what every use case needs around it: its school, programme, period and year.</summary>
public sealed record ClaimScope(Claim Claim, School School, Programme Programme, Period Period, ProgrammeYear Year)
{
    /// <summary>
    /// The claim's evidence, history, programme's categories and whether its school has an agreed plan, read with the
    /// row lock (the same round trip): what a transition and its answer need besides the claim. Null when the claim was
    /// read without the lock.
    /// </summary>
    public ClaimAnswerRows? AnswerRows { get; init; }

    /// <summary>The programme's budget categories by id, read with the row lock: only a locked claim posts to the ledger.</summary>
    public Dictionary<long, BudgetCategory> Categories =>
        AnswerRows?.Categories ?? throw new InvalidOperationException("a claim's categories are read with its row lock (ClaimAccess.LockAsync, LockForTransitionAsync)");

    public ClaimState State => Kebab.TryParse<ClaimState>(Claim.State, out var s) ? s : throw new InvalidOperationException(Claim.State);

    public ClaimContext Context(CurrentUser caller, Core.Money.Money total, string? reason = null) =>
        new(new Actor(caller.Id, caller.Role, InScope(caller)), Claim.CreatedBy, Claim.SubmittedBy, Claim.FirstApprovedBy, total,
            Programme.SecondApprovalThresholdPence is { } t ? new Core.Money.Money(t) : null, reason);

    /// <summary>The caller's scope reaches this claim for the rows of their role.</summary>
    public bool InScope(CurrentUser caller) => caller.Role switch
    {
        Roles.SchoolBusinessManager => caller.SchoolId == School.Id,
        Roles.AreaLead => caller.AreaId == School.AreaId,
        _ => caller.CanSeeProgramme(Programme.Id),
    };
}

/// <summary>A claim locked for a transition (<see cref="ClaimAccess.LockForTransitionAsync"/>).</summary>
/// <param name="Holds">the pending transfers its lines hold, by id (empty unless asked for: only a trigger that resolves holds needs them)</param>
/// <param name="Reserved">ids for the transition's journal entry: one entry id, two transfer ids per line (null unless asked for)</param>
public sealed record LockedClaim(ClaimScope Scope, Dictionary<long, Transfer> Holds, ReservedIds? Reserved)
{
    /// <summary>For each priced line, by id, the rate of its code in force on its date (read only for a submission).</summary>
    public Dictionary<long, (long Id, long AmountPence, string Basis)> RatesInForce { get; init; } = [];

    /// <summary>
    /// The transaction's time, PostgreSQL's now(), read with the lock: the time the transition's history row, audit event and
    /// journal entry take by default, so the claim's own times (submitted, decided, updated) take it too, never the service's clock.
    /// </summary>
    public DateTimeOffset Now { get; init; }
}

/// <summary>Finding claims the caller may see, locking one for a change, and its ETag.</summary>
public static class ClaimAccess
{
    private sealed record Found(Claim Claim, School School, Programme Programme, Period Period, ProgrammeYear Year);

    // Compiled once: every transition and every claim read starts with it, and EF's per-query pipeline (not PostgreSQL)
    // was most of a submission's cost (docs/performance.md). The claim with its lines, school, programme, period and
    // year in one round trip (each of the four exists: foreign keys). Tracked like the claim always was, and the four
    // around it too: EF tracks a query as a whole, and nothing changes them.
    private static readonly Func<GrantLedgerDb, long, CancellationToken, Task<Found?>> ClaimById = EF.CompileAsyncQuery(
        (GrantLedgerDb db, long claimId, CancellationToken ct) =>
            (from c in db.Set<Claim>().Include(c => c.Lines)
             join s in db.Schools on c.SchoolId equals s.Id
             join p in db.Programmes on c.ProgrammeId equals p.Id
             join pe in db.Periods on c.PeriodId equals pe.Id
             join y in db.ProgrammeYears on c.ProgrammeYearId equals y.Id
             where c.Id == claimId
             select new Found(c, s, p, pe, y)).SingleOrDefault());

    /// <summary>Reads a claim the caller may see (404 if there is none, 403 if it is outside their scope).</summary>
    public static async Task<ClaimScope> FindAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct, bool forUpdate = false)
    {
        // The lock first, then the read: each statement of a READ COMMITTED transaction sees what was committed
        // before it began, so the read sees the claim as the previous holder of the lock left it.
        var rows = forUpdate ? await LockRowAsync(db, claimId, ct) ?? throw new NotFound("claim", claimId) : null;
        var found = await ClaimById(db, claimId, ct) ?? throw new NotFound("claim", claimId);
        caller.EnsureSchool(found.School);
        found.Claim.Lines.Sort((a, b) => a.LineNo.CompareTo(b.LineNo));
        return new ClaimScope(found.Claim, found.School, found.Programme, found.Period, found.Year) { AnswerRows = rows };
    }

    /// <summary>
    /// Takes the row lock and, in the same round trip, reads the claim's answer rows (evidence, history, agreed plan):
    /// they are written only under this lock (evidence by the school's edits, history by transitions), so what is read
    /// here is what the answer would read after commit, less the history row the transition itself adds; and the transaction's
    /// time, for the change to take (<see cref="GrantLedgerDb.NowAsync"/>). Null if there is no such claim.
    /// </summary>
    private static async Task<ClaimAnswerRows?> LockRowAsync(GrantLedgerDb db, long claimId, CancellationToken ct)
    {
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Statements.Of("SELECT now() FROM claim WHERE id = $1 FOR UPDATE", claimId));
        ClaimAnswerRows.AddTo(batch, claimId);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        db.KnowNow(reader.GetFieldValue<DateTimeOffset>(0));
        await reader.NextResultAsync(ct);
        return await ClaimAnswerRows.ReadAsync(reader, ct);
    }

    /// <summary>The answer rows of a claim read without the lock (one round trip).</summary>
    public static async Task<ClaimAnswerRows> AnswerRowsAsync(GrantLedgerDb db, long claimId, CancellationToken ct)
    {
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        ClaimAnswerRows.AddTo(batch, claimId);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ClaimAnswerRows.ReadAsync(reader, ct);
    }

    /// <summary>
    /// Locks a claim for a transition and reads, in the same round trip, everything the transition and its answer need:
    /// the claim as the lock's holder left it (SELECT … FOR UPDATE returns the row's latest version), its lines, its
    /// school, programme, period and year, its answer rows, and — as the trigger may need them — the holds its lines name
    /// and ids for its journal entry (one entry id, two transfer ids per line: a line holds money and time at most). The
    /// rows are read by hand (<see cref="EntityRows"/>) and not tracked: a transition writes its rows by hand in one batch
    /// with its entry (<see cref="Transitions"/>), and any copy of the claim this context tracks is let go, so a later
    /// query in the same context reads it afresh.
    /// </summary>
    public static async Task<LockedClaim> LockForTransitionAsync(GrantLedgerDb db, CurrentUser caller, long claimId, bool readHolds,
        bool reserveIds, CancellationToken ct, bool readRates = false) =>
        Take(db, caller, claimId, (await LockForTransitionsAsync(db, [claimId], readHolds, reserveIds, ct, readRates))[0]);

    /// <summary>
    /// Several claims locked for transitions in one round trip, in the order given (the order their locks are taken in),
    /// each read as <see cref="LockForTransitionAsync"/> reads it; null where there is no such claim. Each is the caller's
    /// only once <see cref="Take"/> has checked it. With <paramref name="readRates"/> (a submission), each priced line is read
    /// with the rate of its code in force on its date, in the statement that reads the lines.
    /// </summary>
    internal static async Task<List<LockedClaim?>> LockForTransitionsAsync(GrantLedgerDb db, IReadOnlyList<long> claimIds, bool readHolds,
        bool reserveIds, CancellationToken ct, bool readRates = false)
    {
        var sql = TransitionSql.Of(db);
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var claimId in claimIds)
        {
            batch.BatchCommands.Add(Statements.Of(sql.Reads[0], claimId));
            batch.BatchCommands.Add(Statements.Of(readRates ? sql.LinesWithRates : sql.Reads[1], claimId));
            ClaimAnswerRows.AddTo(batch, claimId);
            if (readHolds) batch.BatchCommands.Add(Statements.Of(sql.Holds, claimId));
            if (reserveIds)
                batch.BatchCommands.Add(Journal.ReserveIds("(SELECT 2 * count(*) FROM claim_line WHERE claim_id = $1)", new NpgsqlParameter { Value = claimId }));
        }

        var all = new List<LockedClaim?>(claimIds.Count);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        for (var k = 0; k < claimIds.Count; k++)
        {
            // the reader stands at this claim's first answer: the previous claim's last is left behind
            if (k > 0) await reader.NextResultAsync(ct);
            (Claim Claim, School School, Programme Programme, Period Period, ProgrammeYear Year, DateTimeOffset Now)? found = null;
            if (await reader.ReadAsync(ct))
            {
                var at = 0;
                found = (EntityRows.Read<Claim>(db, reader),
                    EntityRows.Read<School>(db, reader, at += EntityRows.Count<Claim>(db)),
                    EntityRows.Read<Programme>(db, reader, at += EntityRows.Count<School>(db)),
                    EntityRows.Read<Period>(db, reader, at += EntityRows.Count<Programme>(db)),
                    EntityRows.Read<ProgrammeYear>(db, reader, at += EntityRows.Count<Period>(db)),
                    reader.GetFieldValue<DateTimeOffset>(at + EntityRows.Count<ProgrammeYear>(db)));
                db.KnowNow(found.Value.Now);
            }
            await reader.NextResultAsync(ct);
            var rates = new Dictionary<long, (long, long, string)>();
            while (await reader.ReadAsync(ct))
            {
                var line = EntityRows.Read<ClaimLine>(db, reader);
                found!.Value.Claim.Lines.Add(line);
                var at = EntityRows.Count<ClaimLine>(db);
                if (readRates && !reader.IsDBNull(at))
                    rates.Add(line.Id, (reader.GetInt64(at), reader.GetInt64(at + 1), reader.GetString(at + 2)));
            }
            await reader.NextResultAsync(ct);
            var rows = await ClaimAnswerRows.ReadAsync(reader, ct);
            var holds = new Dictionary<long, Transfer>();
            if (readHolds && await reader.NextResultAsync(ct))
                while (await reader.ReadAsync(ct))
                {
                    var hold = EntityRows.Read<Transfer>(db, reader);
                    holds.Add(hold.Id, hold);
                }
            ReservedIds? reserved = null;
            if (reserveIds && await reader.NextResultAsync(ct)) reserved = await Journal.ReadReservedAsync(reader, ct);
            all.Add(found is not { } f ? null
                : new LockedClaim(new ClaimScope(f.Claim, f.School, f.Programme, f.Period, f.Year) { AnswerRows = rows }, holds, reserved)
                {
                    RatesInForce = rates, Now = f.Now,
                });
        }
        return all;
    }

    /// <summary>
    /// A claim locked by <see cref="LockForTransitionsAsync"/>, the caller's if it exists (404) and is in their scope (403);
    /// any copy of it the context tracks is let go.
    /// </summary>
    internal static LockedClaim Take(GrantLedgerDb db, CurrentUser caller, long claimId, LockedClaim? locked)
    {
        if (locked is null) throw new NotFound("claim", claimId);
        caller.EnsureSchool(locked.Scope.School);
        foreach (var tracked in db.ChangeTracker.Entries().Where(e => e.Entity is Claim { Id: var id } && id == claimId
                                                                       || e.Entity is ClaimLine { ClaimId: var owner } && owner == claimId).ToList())
            tracked.State = EntityState.Detached;
        return locked;
    }

    /// <summary>The statements of <see cref="LockForTransitionAsync"/>, written once from EF's model of each entity's columns.</summary>
    private sealed record TransitionSql(string[] Reads, string Holds, string LinesWithRates)
    {
        private static TransitionSql? _built;

        public static TransitionSql Of(GrantLedgerDb db) => _built ??= new(
            [
                // the claim locked (FOR UPDATE OF c returns its latest version) with the four rows around it (each exists: keys), and
                // the transaction's time (LockedClaim.Now)
                $"SELECT {EntityRows.Columns<Claim>(db, "c")}, {EntityRows.Columns<School>(db, "s")}, {EntityRows.Columns<Programme>(db, "p")}, "
                + $"{EntityRows.Columns<Period>(db, "pe")}, {EntityRows.Columns<ProgrammeYear>(db, "y")}, now() "
                + "FROM claim c JOIN school s ON s.id = c.school_id JOIN programme p ON p.id = c.programme_id "
                + "JOIN period pe ON pe.id = c.period_id JOIN programme_year y ON y.id = c.programme_year_id WHERE c.id = $1 FOR UPDATE OF c",
                $"SELECT {EntityRows.Columns<ClaimLine>(db, "l")} FROM claim_line l WHERE l.claim_id = $1 ORDER BY l.line_no",
            ],
            $"SELECT {EntityRows.Columns<Transfer>(db, "t")} FROM transfer t WHERE t.id IN "
            + "(SELECT money_hold_id FROM claim_line WHERE claim_id = $1 UNION ALL SELECT time_hold_id FROM claim_line WHERE claim_id = $1)",
            // the lines, each priced one with the rate of its code in force on its date (the card's unique key finds it)
            $"SELECT {EntityRows.Columns<ClaimLine>(db, "l")}, f.id, f.amount_pence, f.basis FROM claim_line l "
            + "LEFT JOIN LATERAL (SELECT r.id, r.amount_pence, r.basis FROM rate p JOIN rate r ON r.programme_id = p.programme_id AND r.code = p.code "
            + "AND r.effective_from <= l.work_date WHERE p.id = l.rate_id ORDER BY r.effective_from DESC LIMIT 1) f ON true "
            + "WHERE l.claim_id = $1 ORDER BY l.line_no");
    }

    /// <summary>
    /// Locks the claim's row for the rest of the transaction, so that two people acting on one claim
    /// at once queue: the second sees what the first did (and is refused if it no longer fits).
    /// </summary>
    public static Task<ClaimScope> LockAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct) =>
        FindAsync(db, caller, claimId, ct, forUpdate: true);

    /// <summary>
    /// Locks a draft for the school's business manager to change: the version they read (If-Match, when sent), then
    /// their school and the draft state, checked in that order.
    /// </summary>
    public static async Task<ClaimScope> LockDraftAsync(GrantLedgerDb db, CurrentUser caller, long claimId, string? ifMatch, CancellationToken ct)
    {
        var c = await LockAsync(db, caller, claimId, ct);
        CheckVersion(c.Claim, ifMatch);
        EnsureDraft(c, caller);
        return c;
    }

    public static string ETag(Claim claim) => RowVersions.ETag(claim.Version);

    /// <summary>With If-Match, a change applies only to the version the client read; otherwise 409.</summary>
    public static void CheckVersion(Claim claim, string? ifMatch) => RowVersions.Check("claim", claim.Version, ifMatch);

    private static void EnsureDraft(ClaimScope c, CurrentUser caller)
    {
        if (caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != c.School.Id)
            throw new Forbidden("only the school's business manager can change its claims");
        if (c.Claim.State != "draft")
            throw new RuleBroken("claim-not-draft",
                $"The claim is '{c.Claim.State}': it changes only through the workflow now, not by editing.", 409,
                details: new Dictionary<string, object?> { ["state"] = c.Claim.State });
    }

    public const string ReferencePrefix = "CLM-";

    public static string Reference(long claimId) => $"{ReferencePrefix}{claimId:000000}";

    /// <summary>The claim a reference <see cref="Reference"/> made names: "CLM-000042" is claim 42.</summary>
    public static long IdOf(string reference) => long.Parse(reference.AsSpan(ReferencePrefix.Length), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What a claim's view reads besides the claim: its evidence, its history, its programme's budget categories by id,
/// and whether its school has an agreed plan.
/// </summary>
public sealed record ClaimAnswerRows(List<ClaimAnswerRows.EvidenceRow> Evidence, List<TransitionView> History,
    Dictionary<long, BudgetCategory> Categories, bool HasAgreedPlan)
{
    public sealed record EvidenceRow(long Id, long? ClaimLineId, string FileName, string ContentType, int SizeBytes, byte[] Sha256,
        DateTimeOffset UploadedAt);

    // Plain statements in one batch rather than three EF queries: one round trip, and no query pipeline per read
    // (docs/performance.md). The plan is only looked for here; a claim whose school has one reads it with EF.
    internal static void AddTo(NpgsqlBatch batch, long claimId)
    {
        batch.BatchCommands.Add(Statements.Of(
            "SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = $1 ORDER BY id", claimId));
        batch.BatchCommands.Add(Statements.Of(
            "SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id, (details->>'paymentRunId')::bigint "
            + "FROM claim_transition WHERE claim_id = $1 ORDER BY id", claimId));
        batch.BatchCommands.Add(Statements.Of(
            "SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id "
            + "WHERE c.id = $1", claimId));
        batch.BatchCommands.Add(Statements.Of(
            "SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id "
            + "WHERE c.id = $1 AND p.state = 'agreed')", claimId));
    }

    internal static async Task<ClaimAnswerRows> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var evidence = new List<EvidenceRow>();
        while (await reader.ReadAsync(ct))
            evidence.Add(new EvidenceRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.GetFieldValue<byte[]>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        await reader.NextResultAsync(ct);
        var history = new List<TransitionView>();
        while (await reader.ReadAsync(ct))
        {
            history.Add(new TransitionView(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt64(8))
            {
                PaymentRunId = reader.IsDBNull(9) ? null : reader.GetInt64(9),
            });
        }
        await reader.NextResultAsync(ct);
        var categories = new Dictionary<long, BudgetCategory>();
        while (await reader.ReadAsync(ct))
            categories.Add(reader.GetInt64(0), new BudgetCategory
            {
                Id = reader.GetInt64(0), ProgrammeId = reader.GetInt64(1), Code = reader.GetString(2), Name = reader.GetString(3),
                Unit = reader.GetString(4), Kind = reader.GetString(5), CreatedAt = reader.GetFieldValue<DateTimeOffset>(6),
            });
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var hasPlan = reader.GetBoolean(0);
        return new ClaimAnswerRows(evidence, history, categories, hasPlan);
    }
}

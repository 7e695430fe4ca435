using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
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
        AnswerRows?.Categories ?? throw new InvalidOperationException("a claim's categories are read with its row lock (ClaimAccess.LockAsync)");

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
    /// here is what the answer would read after commit, less the history row the transition itself adds. Null if there
    /// is no such claim.
    /// </summary>
    private static async Task<ClaimAnswerRows?> LockRowAsync(GrantLedgerDb db, long claimId, CancellationToken ct)
    {
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT true FROM claim WHERE id = $1 FOR UPDATE") { Parameters = { new() { Value = claimId } } });
        ClaimAnswerRows.AddTo(batch, claimId);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
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
    /// Locks the claim's row for the rest of the transaction, so that two people acting on one claim
    /// at once queue: the second sees what the first did (and is refused if it no longer fits).
    /// </summary>
    public static Task<ClaimScope> LockAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct) =>
        FindAsync(db, caller, claimId, ct, forUpdate: true);

    public static string ETag(Claim claim) => RowVersions.ETag(claim.Version);

    /// <summary>With If-Match, a change applies only to the version the client read; otherwise 409.</summary>
    public static void CheckVersion(Claim claim, string? ifMatch) => RowVersions.Check("claim", claim.Version, ifMatch);

    public static void EnsureDraft(ClaimScope c, CurrentUser caller)
    {
        if (caller.Role != Roles.SchoolBusinessManager || caller.SchoolId != c.School.Id)
            throw new Forbidden("only the school's business manager can change its claims");
        if (c.Claim.State != "draft")
            throw new RuleBroken("claim-not-draft",
                $"The claim is '{c.Claim.State}': it changes only through the workflow now, not by editing.", 409,
                details: new Dictionary<string, object?> { ["state"] = c.Claim.State });
    }

    public static string Reference(long claimId) => $"CLM-{claimId:000000}";
}

/// <summary>
/// What a claim's view reads besides the claim: its evidence, its history, its programme's budget categories by id,
/// and whether its school has an agreed plan.
/// </summary>
/// <param name="LastTransitionId">the id of the last history row read (0 if none): rows saved after it are this request's</param>
public sealed record ClaimAnswerRows(List<ClaimAnswerRows.EvidenceRow> Evidence, List<TransitionView> History, long LastTransitionId,
    Dictionary<long, BudgetCategory> Categories, bool HasAgreedPlan)
{
    public sealed record EvidenceRow(long Id, long? ClaimLineId, string FileName, string ContentType, int SizeBytes, byte[] Sha256,
        DateTimeOffset UploadedAt);

    // Plain statements in one batch rather than three EF queries: one round trip, and no query pipeline per read
    // (docs/performance.md). The plan is only looked for here; a claim whose school has one reads it with EF.
    internal static void AddTo(NpgsqlBatch batch, long claimId)
    {
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT id, claim_line_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM evidence WHERE claim_id = $1 ORDER BY id")
            { Parameters = { new() { Value = claimId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT id, trigger, from_state, to_state, actor_id, actor_role, occurred_at, reason, entry_id FROM claim_transition WHERE claim_id = $1 ORDER BY id")
            { Parameters = { new() { Value = claimId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT g.id, g.programme_id, g.code, g.name, g.unit, g.kind, g.created_at FROM budget_category g JOIN claim c ON g.programme_id = c.programme_id "
            + "WHERE c.id = $1")
            { Parameters = { new() { Value = claimId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT EXISTS (SELECT FROM action_plan p JOIN claim c ON p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id "
            + "WHERE c.id = $1 AND p.state = 'agreed')")
            { Parameters = { new() { Value = claimId } } });
    }

    internal static async Task<ClaimAnswerRows> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var evidence = new List<EvidenceRow>();
        while (await reader.ReadAsync(ct))
            evidence.Add(new EvidenceRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.GetFieldValue<byte[]>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        await reader.NextResultAsync(ct);
        var history = new List<TransitionView>();
        var lastId = 0L;
        while (await reader.ReadAsync(ct))
        {
            lastId = reader.GetInt64(0);
            history.Add(new TransitionView(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)));
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
        return new ClaimAnswerRows(evidence, history, lastId, categories, hasPlan);
    }
}

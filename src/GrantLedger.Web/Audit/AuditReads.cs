using System.Globalization;
using System.Text;
using System.Text.Json;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>The auditor's other questions: balances as of any date and recording time, a claim's history, the audit trail, sealing.</summary>
public static class AuditReads
{
    /// <summary>The audit trail's page: 100 events unless limit asks 1 to 1,000 (its CSV has every event the query finds).</summary>
    public static readonly PageSize EventsPage = new(1000, 100);

    public sealed record BalanceRow(long AccountId, string Code, string Unit, string NormalSide, string DebitsPosted, string CreditsPosted,
        string Balance, string DebitsPending, string CreditsPending);

    /// <param name="NextCursor">the accountId to pass as after for the next page; null on the last page, and when read whole</param>
    public sealed record Balances(long ProgrammeId, DateOnly AsOf, DateTimeOffset? RecordedBy, IReadOnlyList<BalanceRow> Accounts,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] long? NextCursor);

    /// <summary>The balances' page: every account unless limit asks 1 to 5,000 (a national programme has tens of thousands).</summary>
    public static readonly WholeUnlessLimited BalancesPage = new(5000);

    /// <summary>
    /// Every account that had moved by the value date <paramref name="asOf"/>, counting only what was
    /// recorded by <paramref name="recordedBy"/> (what the ledger said then) or everything (what we know now), ordered by unit
    /// then code (an account's key): from the account after <paramref name="after"/> on, and at most <paramref name="limit"/>
    /// of them (all when null).
    /// </summary>
    public static async Task<Balances> BalancesAsync(NpgsqlDataSource dataSource, CurrentUser caller, long programmeId, DateOnly? asOf,
        DateTimeOffset? recordedBy, string? prefix, long? after, int? limit, CancellationToken ct)
    {
        caller.EnsureWholeProgramme(programmeId);
        Ledger.LedgerReads.EnsureAsOfNotInTheFuture(asOf);
        var date = asOf ?? UkTime.Today;
        (string Unit, string Code)? from = null;
        if (after is { } cursor)
        {
            await using var find = dataSource.CreateCommand("SELECT unit, code FROM account WHERE id = $1 AND programme_id = $2");
            find.Parameters.Add(new() { Value = cursor });
            find.Parameters.Add(new() { Value = programmeId });
            await using (var found = await find.ExecuteReaderAsync(ct))
                if (await found.ReadAsync(ct)) from = (found.GetString(0), found.GetString(1));
            if (from is null) throw new InvalidInput("after", "is not an account of this programme: pass the nextCursor of the page before");
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // a page is planned for any cursor and size from its first run on a connection (the plan its sixth run would choose):
        // planned for their own values, a connection's first five runs took 0.13–0.62 s at PINS's size, where this plan takes 0.05–0.11 s
        // (docs/performance-reads.md, "The auditor's balances a page at a time"); SET LOCAL ends with the page's transaction, and
        // the whole list, read with its own plan, needs none
        await using var transaction = limit is null ? null : await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (transaction is not null) batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL plan_cache_mode = force_generic_plan"));
        batch.BatchCommands.Add(Statements.Of(limit is null ? WholeBalances : PageOfBalances,
            programmeId, date, recordedBy?.ToUniversalTime() ?? DateTimeOffset.MaxValue,
            new NpgsqlParameter { Value = (object?)prefix ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter { Value = (object?)from?.Unit ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter { Value = (object?)from?.Code ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            // one more than the page, to know whether another follows; no limit (null) reads every account
            new NpgsqlParameter { Value = limit is { } n ? n + 1L : (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint }));
        var rows = new List<BalanceRow>();
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var unit = r.GetString(2);
            var side = r.GetString(3);
            var (dp, cp, dq, cq) = (r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7));
            rows.Add(new BalanceRow(r.GetInt64(0), r.GetString(1), unit, side, Amounts.Format(unit, dp), Amounts.Format(unit, cp),
                Amounts.Format(unit, side == "debit" ? dp - cp : cp - dp), Amounts.Format(unit, dq), Amounts.Format(unit, cq)));
        }
        long? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            next = rows[^1].AccountId;
        }
        return new Balances(programmeId, date, recordedBy, rows, next);
    }

    /// <summary>Every account's balances (from the cursor on): the programme's transfers summed by account, at once.</summary>
    private const string WholeBalances = """
        SELECT a.id, a.code, a.unit, a.normal_side, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
          FROM account_balances_as_of($1, $2, $3) b
          JOIN account a ON a.id = b.account_id
         WHERE ($4::text IS NULL OR starts_with(a.code, $4))
           AND ($5::text IS NULL OR (a.unit, a.code) > ($5::text, $6::text))
         ORDER BY a.unit, a.code
         LIMIT $7
        """;

    /// <summary>
    /// A page of them: the programme's accounts walked in order by their key's index (unit, code) from the cursor, each taken
    /// if it had moved by the date (a look-up on each side's transfer index: two EXISTS in a disjunction, which PostgreSQL
    /// evaluates as the walk reaches each account, where a lone EXISTS became a join that summed every transfer first), until
    /// the page is full; then each one's own transfers summed. With the whole list's plan a page cost what the whole list
    /// did, 0.76 s for every page at PINS's size (57,612 accounts, 176,663 transfers); with this one 0.05 s for 1,000
    /// accounts and 0.08–0.16 s for 5,000 (docs/performance-reads.md, "The auditor's balances a page at a time").
    /// </summary>
    private const string PageOfBalances = """
        WITH page AS MATERIALIZED (
            SELECT a.id, a.code, a.unit, a.normal_side
              FROM account a
             WHERE a.programme_id = $1
               AND ($4::text IS NULL OR starts_with(a.code, $4))
               AND ($5::text IS NULL OR (a.unit, a.code) > ($5::text, $6::text))
               AND (EXISTS (SELECT FROM transfer t WHERE t.debit_account_id = a.id AND t.value_date <= $2 AND t.recorded_at <= $3)
                    OR EXISTS (SELECT FROM transfer t WHERE t.credit_account_id = a.id AND t.value_date <= $2 AND t.recorded_at <= $3))
             ORDER BY a.unit, a.code
             LIMIT $7)
        SELECT p.id, p.code, p.unit, p.normal_side, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
          FROM page p
          CROSS JOIN LATERAL (
               SELECT coalesce(sum(e.debits_posted), 0)::bigint AS debits_posted, coalesce(sum(e.credits_posted), 0)::bigint AS credits_posted,
                      coalesce(sum(e.debits_pending), 0)::bigint AS debits_pending, coalesce(sum(e.credits_pending), 0)::bigint AS credits_pending
                 FROM transfer_effect e
                WHERE e.account_id = p.id AND e.value_date <= $2 AND e.recorded_at <= $3) b
         ORDER BY p.unit, p.code
        """;

    public sealed record Event(long Id, DateTimeOffset OccurredAt, long? UserId, string? UserName, string? Role, string Action,
        string RecordType, long? RecordId, long? ProgrammeId, JsonElement Details, string? ClientAddress);

    /// <summary>The audit trail's orders: as written (oldest first, the default) or the latest first.</summary>
    public static readonly string[] Orders = ["written", "newest"];

    public sealed class EventQuery
    {
        public long? ProgrammeId { get; set; }
        /// <summary>the type of record the events are about: one the trail records (another is refused, 422 naming recordType)</summary>
        [OneOf(typeof(AuditAction), nameof(AuditAction.RecordTypes))] public string? RecordType { get; set; }
        public long? RecordId { get; set; }
        public long? UserId { get; set; }
        /// <summary>an action the trail records ("claim.approve"), or an action's record part with its dot ("claim.") for every action that starts with it; another is refused, 422 naming action</summary>
        [OneOf(typeof(AuditAction), nameof(AuditAction.Filters))] public string? Action { get; set; }
        /// <summary>occurred at or after this moment; a date alone ("2026-12-03") from the start of that day in the UK</summary>
        [DayOrMoment] public DateTimeOffset? From { get; set; }
        /// <summary>occurred before this moment; a date alone ("2026-12-03") up to the end of that day in the UK, as the journal's to includes its day</summary>
        [DayOrMoment] public DateTimeOffset? To { get; set; }
        /// <summary>events after this id (the nextCursor of the previous page, in the order written)</summary>
        public long? After { get; set; }
        /// <summary>events before this id (the nextCursor of the previous page, newest first)</summary>
        public long? Before { get; set; }
        /// <summary>"written" (the default: oldest first, as the trail was written) or "newest" (the latest first)</summary>
        [OneOf(typeof(AuditReads), nameof(Orders))] public string? Order { get; set; }
        [Limit(typeof(AuditReads), nameof(EventsPage))] public int? Limit { get; set; }
    }

    /// <summary>
    /// from–to as given: a date alone is a whole UK day (from its start, to its end), as the journal search's from and to
    /// include their days; a moment is that moment. to before from is refused, as the journal search refuses it.
    /// </summary>
    public static void ReadRange(EventQuery q, string? fromGiven, string? toGiven)
    {
        if (IsoDate.Parse(fromGiven) is { } first) q.From = UkTime.StartOf(first);
        var last = IsoDate.Parse(toGiven);
        if (last is not null) q.To = UkTime.EndOf(last.Value);
        // a day ends as the next begins: from the 4th to the 3rd meet at that midnight, and are reversed all the same
        if (q.From > q.To || (last is not null && q.From == q.To)) throw new InvalidInput("to", "must not be before from");
    }

    public sealed record EventPage(IReadOnlyList<Event> Items,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] long? NextCursor); // null on the last page, not left out

    /// <summary>
    /// The audit trail in the order it was written, or newest first, a page at a time (the next page after the cursor in
    /// the written order, before it newest first). Programme-scoped staff see their programme's events.
    /// </summary>
    public static async Task<EventPage> EventsAsync(NpgsqlDataSource dataSource, CurrentUser caller, EventQuery q, bool all, CancellationToken ct)
    {
        var limit = all ? q.Limit ?? EventsPage.Default : EventsPage.Of(q.Limit);
        var errors = new FieldErrors();
        // a filter naming what the trail never records found nothing, and read as "nothing of that kind happened"
        if (q.RecordType is not null && !AuditAction.RecordTypes.Contains(q.RecordType))
            errors.Add("recordType", "must be a record type the audit trail records: " + string.Join(", ", AuditAction.RecordTypes));
        if (q.Action is not null && !AuditAction.Filters.Contains(q.Action))
            errors.Add("action", "must be an action the audit trail records, or an action's record part ending in \".\" for all of them: "
                                 + string.Join(", ", AuditAction.Filters));
        if (q.Order is not null && !Orders.Contains(q.Order)) errors.Add("order", "must be written (oldest first) or newest (the latest first)");
        errors.ThrowIfAny();
        var newest = q.Order == "newest";
        long? programme = q.ProgrammeId;
        if (!caller.SeesAllProgrammes)
        {
            programme ??= caller.ProgrammeId;
            caller.EnsureWholeProgramme(programme ?? 0);
        }
        // Only the filters given, each its own condition: a statement per combination of filters, so that PostgreSQL plans
        // each with the index that serves it. One statement for every filter ("$1 IS NULL OR …"), prepared by Npgsql, came to
        // be planned once for all of them: a page of a rare action, or of one person's events, read the whole trail
        // (docs/performance-reads.md, the auditor's reads).
        await using var cmd = dataSource.CreateCommand();
        var p = cmd.Parameters;
        var where = new StringBuilder();
        string? And(string condition, object? value, NpgsqlTypes.NpgsqlDbType type)
        {
            if (value is null) return null;
            p.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            var written = condition.Replace("@", "$" + p.Count.ToString(CultureInfo.InvariantCulture));
            where.Append(where.Length == 0 ? " WHERE " : " AND ").Append(written);
            return written;
        }
        And("programme_id = @", programme, NpgsqlTypes.NpgsqlDbType.Bigint);
        And("record_type = @", q.RecordType, NpgsqlTypes.NpgsqlDbType.Text);
        And("record_id = @", q.RecordId, NpgsqlTypes.NpgsqlDbType.Bigint);
        And("user_id = @", q.UserId, NpgsqlTypes.NpgsqlDbType.Bigint);
        // The action written into the statement, not sent as a parameter: it is one of the trail's own (checked above), and
        // PostgreSQL plans each with what it knows of it. An action with a parameter got, after five pages, the plan for an
        // average action, which walks the trail in id order: 0.4–0.9 s a page for an action rare or not yet written (year.closed).
        // An action's record part ("claim.") is the actions that start with it (audit_action holds no other).
        List<string>? actions = null;
        if (q.Action is { } action)
        {
            actions = action.EndsWith('.')
                ? AuditAction.All.Select(a => a.Name).Where(n => n.StartsWith(action, StringComparison.Ordinal)).Distinct().ToList()
                : [action];
            if (actions.Any(a => !AuditAction.Filters.Contains(a))) throw new InvalidOperationException("an action the trail does not know");
            where.Append(where.Length == 0 ? " WHERE " : " AND ").Append("action IN (").AppendJoin(", ", actions.Select(a => $"'{a}'")).Append(')');
        }
        var range = new[]
        {
            And("occurred_at >= @", q.From?.ToUniversalTime(), NpgsqlTypes.NpgsqlDbType.TimestampTz),
            And("occurred_at < @", q.To?.ToUniversalTime(), NpgsqlTypes.NpgsqlDbType.TimestampTz),
        }.OfType<string>().ToList();
        // A time range is also a range of ids: no event in it is older than its oldest id, nor newer than its newest. Read
        // that bound from the time index first (the events of the range, not their rows), then page from it by id. Without
        // it PostgreSQL walked the ids from the trail's start (or end) to the range, reading every event between: 0.7 s for
        // a day at national scale. Not for one record's events, which are few. (OFFSET 0 keeps the bound's own plan: PostgreSQL
        // would otherwise look for the first id in id order, the same walk.)
        if (range.Count > 0 && q.RecordId is null)
            where.Append(newest ? " AND id <= (SELECT max(r.id)" : " AND id >= (SELECT min(r.id)")
                 .Append(" FROM (SELECT id FROM audit_event WHERE ").Append(string.Join(" AND ", range)).Append(" OFFSET 0) r)");
        var cursor = new[]
        {
            And("id > @", q.After, NpgsqlTypes.NpgsqlDbType.Bigint),
            And("id < @", q.Before, NpgsqlTypes.NpgsqlDbType.Bigint),
        }.OfType<string>();
        // A page of one action, nothing else narrowing it, is its ids read first from the action's index (the index alone),
        // then those events by id. Left to itself PostgreSQL walks the trail's ids for a common action, expecting it every
        // few events; where the page falls among days of other events it read a hundred thousand events or more for one
        // page (claim.approve before a cursor: 82–268 ms; by its ids 1.3–1.5 ms; docs/performance-reads.md).
        if (actions is [var only] && programme is null && q.RecordType is null && q.RecordId is null && q.UserId is null && range.Count == 0
            && !all)
            where.Append(" AND id = ANY (ARRAY(SELECT id FROM audit_event WHERE action = '").Append(only).Append('\'')
                 .AppendJoin("", cursor.Select(c => " AND " + c))
                 .Append($" ORDER BY id {(newest ? "DESC" : "ASC")} LIMIT {limit + 1}))");
        // in the order written, or newest first; the page's size written in (one of a few), so that each plan knows it
        cmd.CommandText = $"""
            SELECT id, occurred_at, user_id, user_name, role, action, record_type, record_id, programme_id, details::text, client_address
              FROM audit_event{where}
             ORDER BY id {(newest ? "DESC" : "ASC")}{(all ? "" : $" LIMIT {limit + 1}")}
            """;
        var items = new List<Event>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                using var details = JsonDocument.Parse(r.GetString(9));
                items.Add(new Event(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), Long(r, 2), Text(r, 3), Text(r, 4), r.GetString(5),
                    r.GetString(6), Long(r, 7), Long(r, 8), details.RootElement.Clone(), Text(r, 10)));
            }
        if (all || items.Count <= limit) return new EventPage(items, null);
        items.RemoveAt(limit);
        return new EventPage(items, items[^1].Id);
    }

    public static readonly string[] EventCsvHeader =
        ["event_id", "occurred_at", "user_id", "user_name", "role", "action", "record_type", "record_id", "programme_id", "details", "client_address"];

    public static IReadOnlyList<string?> EventCsvRow(Event e) =>
    [
        S(e.Id), UtcMomentJsonConverter.Text(e.OccurredAt), S(e.UserId), e.UserName, e.Role, e.Action,
        e.RecordType, S(e.RecordId), S(e.ProgrammeId), e.Details.GetRawText(), e.ClientAddress,
    ];

    public sealed record ChainStatus(string Chain, long Sealed, DateTimeOffset? LastSealedAt, long Unsealed, DateTimeOffset? OldestUnsealedAt,
        double LagSeconds, string? Head);

    public sealed record SealStatus(DateTimeOffset At, double MaxLagSeconds, long Unsealed, IReadOnlyList<ChainStatus> Chains);

    /// <summary>How far sealing lags behind the writers, per chain: what waits, and since when.</summary>
    public static async Task<SealStatus> SealStatusAsync(NpgsqlDataSource dataSource, CurrentUser caller, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT s.chain, COALESCE(s.sealed, 0), s.last_sealed_at, s.unsealed, s.oldest_unsealed_at,
                   COALESCE(extract(epoch FROM now() - s.oldest_unsealed_at), 0)::float8,
                   (SELECT encode(h.hash, 'hex') FROM chain_seal h WHERE h.chain = s.chain AND h.seq = s.sealed)
              FROM audit.seal_status s
             ORDER BY s.chain
            """);
        var chains = new List<ChainStatus>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                var chain = r.GetString(0);
                if (!MaySee(caller, chain)) continue;
                chains.Add(new ChainStatus(chain, r.GetInt64(1), r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3),
                    r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4), Math.Max(0, r.GetDouble(5)), Text(r, 6)));
            }
        return new SealStatus(DateTimeOffset.UtcNow, chains.Count == 0 ? 0 : chains.Max(c => c.LagSeconds), chains.Sum(c => c.Unsealed), chains);
    }

    /// <summary>Auditors and admins of every programme see every chain; programme staff their programme's journal.</summary>
    public static bool MaySee(CurrentUser caller, string chain) =>
        caller.SeesAllProgrammes
        || (chain.StartsWith("journal:", StringComparison.Ordinal)
            && long.TryParse(chain["journal:".Length..], CultureInfo.InvariantCulture, out var programme)
            && caller.SeesWholeProgramme(programme));

    public static async Task<IReadOnlyList<string>> VisibleChainsAsync(NpgsqlDataSource dataSource, CurrentUser caller, CancellationToken ct)
    {
        var chains = new List<string>();
        await using var cmd = dataSource.CreateCommand("SELECT chain FROM chain_seal GROUP BY chain UNION SELECT chain FROM seal_queue");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (MaySee(caller, r.GetString(0))) chains.Add(r.GetString(0));
        return chains;
    }

    internal static NpgsqlParameter Nullable(object? value, NpgsqlTypes.NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static string? S(long? v) => v?.ToString(CultureInfo.InvariantCulture);
    internal static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
    internal static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}

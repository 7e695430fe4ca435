using System.Text.Json;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using Npgsql;

namespace GrantLedger.Web.Ledger;

public sealed record PostedEntry(long EntryId, DateTimeOffset RecordedAt, IReadOnlyList<long> TransferIds);

/// <summary>An entry's id and its transfers' ids, taken before it is written (<see cref="Journal.ReserveIds"/>).</summary>
public sealed record ReservedIds(long EntryId, IReadOnlyList<long> TransferIds);

/// <summary>
/// The one way into the ledger: an entry and all its transfers in a single SQL statement (one round
/// trip). PostgreSQL does the rest in the same statement: balances, limits, resolution rules,
/// closed periods; it refuses with a named SQLSTATE that <see cref="LedgerRefusals"/> turns into a rule.
/// </summary>
public static class Journal
{
    // The statement (bench/*.pgbench.sql send the same one as the ceilings).
    private const string InsertSql = """
        WITH entry AS (
            INSERT INTO journal_entry (programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING id, programme_id, value_date, recorded_at
        )
        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                              value_date, recorded_at)
        SELECT entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
               entry.value_date, entry.recorded_at
          FROM entry, unnest($8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[])
               WITH ORDINALITY AS t(unit, debit, credit, amount, kind, pending_id, n)
         ORDER BY t.n
        RETURNING entry_id, id, recorded_at
        """;

    // Several entries whose ids ReserveIds took, in one statement: the entries' columns as arrays ($1–$8), then each
    // transfer's entry id, columns and own id ($9–$16). The ledger's statement-level checks run once for them all.
    private const string InsertReservedSql = """
        WITH entry AS (
            INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id, reverses_entry_id)
            OVERRIDING SYSTEM VALUE
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[])
            RETURNING id, programme_id, value_date, recorded_at
        )
        INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id,
                              value_date, recorded_at)
        OVERRIDING SYSTEM VALUE
        SELECT t.id, entry.id, entry.programme_id, t.unit, t.debit, t.credit, t.amount, t.kind, t.pending_id,
               entry.value_date, entry.recorded_at
          FROM unnest($9::bigint[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::bigint[], $16::bigint[])
               WITH ORDINALITY AS t(entry_id, unit, debit, credit, amount, kind, pending_id, id, n)
          JOIN entry ON entry.id = t.entry_id
         ORDER BY t.n
        RETURNING entry_id, id, recorded_at
        """;

    /// <summary>
    /// Takes one entry id and <paramref name="transfers"/> transfer ids (an SQL integer expression). The
    /// sequences are the identity columns' own, by the names PostgreSQL gave them (pg_get_serial_sequence would look
    /// them up in the catalogue on every call, for every id).
    /// </summary>
    private static string ReserveSql(string transfers) => $"""
        SELECT nextval('journal_entry_id_seq'),
               ARRAY(SELECT nextval('transfer_id_seq') FROM generate_series(1, {transfers}))
        """;

    /// <summary>
    /// Takes an entry's id and its transfers' ids from the ledger's own sequences before the entry is
    /// written, so that rows naming them (a claim line's hold, a claim's history row) can be written
    /// first and the entry last (its statement locks the accounts it moves until commit): a statement for
    /// the caller's batch, the number of transfer ids an SQL expression (which may read the rows the entry
    /// is for); read its row with <see cref="ReadReservedAsync"/>.
    /// </summary>
    public static NpgsqlBatchCommand ReserveIds(string transfers, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(ReserveSql(transfers));
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }

    /// <summary>The ids reserved by the reader's current result (a <see cref="ReserveIds"/> statement).</summary>
    public static async Task<ReservedIds> ReadReservedAsync(NpgsqlDataReader row, CancellationToken ct)
    {
        await row.ReadAsync(ct);
        return new ReservedIds(row.GetInt64(0), row.GetFieldValue<long[]>(1));
    }

    public static async Task<PostedEntry> PostAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, EntryDraft entry,
        CancellationToken ct = default)
    {
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Statement(entry));
        try
        {
            // Prepared once per physical connection (Npgsql keeps it across pooled opens), so each
            // entry skips parsing and planning the statement: the service's posting rate was 0.68–0.75
            // of the same statement prepared by pgbench at one writer (docs/benchmarks.md).
            await batch.PrepareAsync(ct);
            await using var rows = await batch.ExecuteReaderAsync(ct);
            return await ReadPostedAsync(rows, ct);
        }
        catch (PostgresException e) when (LedgerRefusals.Translate(e) is { } rule)
        {
            throw rule;
        }
    }

    /// <summary>
    /// The entry's statement, for <see cref="PostAsync"/> or for a batch of the caller's that ends with it (read its rows
    /// with <see cref="ReadPostedAsync"/>; turn its failures into rules with <see cref="LedgerRefusals.Translate"/>).
    /// </summary>
    public static NpgsqlBatchCommand Statement(EntryDraft entry)
    {
        entry.Validate();
        var cmd = new NpgsqlBatchCommand(InsertSql);
        var p = cmd.Parameters;
        p.Add(new() { Value = entry.ProgrammeId });
        p.Add(new() { Value = entry.ValueDate });
        p.Add(new() { Value = entry.Description });
        p.Add(new() { Value = entry.ActorId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        p.Add(new() { Value = entry.Cause.ToCode() });
        p.Add(new() { Value = entry.CauseId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        p.Add(new() { Value = entry.ReversesEntryId ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        AddTransfers(p, entry.Transfers);
        return cmd;
    }

    /// <summary>
    /// Several entries, each with the ids <see cref="ReserveIds"/> took for it (one per transfer, in order), as one statement
    /// for a batch of the caller's: PostgreSQL checks and applies all their transfers at once, so each entry after the first
    /// costs it a fraction of one alone (docs/performance.md, section 19). Its rows are the transfers', in order; its
    /// failures are any one entry's (<see cref="LedgerRefusals.Translate"/>), and nothing of any is written.
    /// </summary>
    public static NpgsqlBatchCommand Entries(IReadOnlyList<(EntryDraft Draft, ReservedIds Ids)> entries)
    {
        if (entries.Count == 0) throw new ArgumentException("no entries", nameof(entries));
        foreach (var (entry, reserved) in entries)
        {
            entry.Validate();
            if (reserved.TransferIds.Count != entry.Transfers.Count)
                throw new ArgumentException($"{reserved.TransferIds.Count} ids reserved for {entry.Transfers.Count} transfers", nameof(entries));
        }
        var cmd = new NpgsqlBatchCommand(InsertReservedSql);
        var p = cmd.Parameters;
        p.Add(new() { Value = entries.Select(e => e.Ids.EntryId).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.ProgrammeId).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.ValueDate).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.Description).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.ActorId).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.Cause.ToCode()).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.CauseId).ToArray() });
        p.Add(new() { Value = entries.Select(e => e.Draft.ReversesEntryId).ToArray() });
        p.Add(new() { Value = entries.SelectMany(e => e.Draft.Transfers.Select(_ => e.Ids.EntryId)).ToArray() });
        AddTransfers(p, entries.SelectMany(e => e.Draft.Transfers).ToList());
        p.Add(new() { Value = entries.SelectMany(e => e.Ids.TransferIds).ToArray() });
        return cmd;
    }

    /// <summary>The transfers' six columns as arrays, in order.</summary>
    private static void AddTransfers(NpgsqlParameterCollection p, IReadOnlyList<TransferDraft> transfers)
    {
        p.Add(new() { Value = transfers.Select(t => t.Unit.ToCode()).ToArray() });
        p.Add(new() { Value = transfers.Select(t => t.DebitAccountId).ToArray() });
        p.Add(new() { Value = transfers.Select(t => t.CreditAccountId).ToArray() });
        p.Add(new() { Value = transfers.Select(t => t.Amount).ToArray() });
        p.Add(new() { Value = transfers.Select(t => t.Kind.ToCode()).ToArray() });
        p.Add(new() { Value = transfers.Select(t => t.PendingId).ToArray() });
    }

    /// <summary>
    /// Takes the ids of many entries at once (one statement, however many): <paramref name="transfersPerEntry"/> gives how many
    /// transfers each has; each entry's ids are its own, in order, for <see cref="PostEntriesAsync"/>.
    /// </summary>
    public static async Task<IReadOnlyList<ReservedIds>> ReserveAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<int> transfersPerEntry,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT ARRAY(SELECT nextval('journal_entry_id_seq') FROM generate_series(1, $1)),
                   ARRAY(SELECT nextval('transfer_id_seq') FROM generate_series(1, $2))
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = transfersPerEntry.Count });
        cmd.Parameters.Add(new() { Value = transfersPerEntry.Sum() });
        await using var row = await cmd.ExecuteReaderAsync(ct);
        await row.ReadAsync(ct);
        var (entryIds, transferIds) = (row.GetFieldValue<long[]>(0), row.GetFieldValue<long[]>(1));
        var reserved = new List<ReservedIds>(entryIds.Length);
        for (int i = 0, taken = 0; i < entryIds.Length; taken += transfersPerEntry[i], i++)
            reserved.Add(new ReservedIds(entryIds[i], new ArraySegment<long>(transferIds, taken, transfersPerEntry[i])));
        return reserved;
    }

    /// <summary>Several entries with their ids taken (<see cref="ReserveAsync"/>), posted in one statement (<see cref="Entries"/>).</summary>
    public static async Task PostEntriesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyList<(EntryDraft Draft, ReservedIds Ids)> entries,
        CancellationToken ct)
    {
        if (entries.Count == 0) return;
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(Entries(entries));
        try
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (LedgerRefusals.Translate(e) is { } rule)
        {
            throw rule;
        }
    }

    /// <summary>The entry as posted, from the reader's current result (a <see cref="Statement"/>'s rows).</summary>
    public static async Task<PostedEntry> ReadPostedAsync(NpgsqlDataReader rows, CancellationToken ct)
    {
        var ids = new List<long>();
        long entryId = 0;
        DateTimeOffset recordedAt = default;
        while (await rows.ReadAsync(ct))
        {
            entryId = rows.GetInt64(0);
            ids.Add(rows.GetInt64(1));
            recordedAt = rows.GetFieldValue<DateTimeOffset>(2);
        }
        return new PostedEntry(entryId, recordedAt, ids);
    }
}

/// <summary>The ledger's refusals, raised by PostgreSQL with our SQLSTATEs, and its named unique indexes, as named business rules.</summary>
public static class LedgerRefusals
{
    public static RuleBroken? Translate(PostgresException e)
    {
        var details = ParseDetail(e.Detail);
        switch (e.SqlState)
        {
            case "GL001":
            {
                var (unit, shortfall) = Shortfall(details);
                return new LimitExceeded(details.GetValueOrDefault("account") as string ?? "an account", unit, shortfall);
            }
            case "GL002":
                return new RuleBroken("ledger-is-append-only", e.MessageText, 409);
            case "GL003":
                return new RuleBroken("period-closed", e.MessageText, 409, "valueDate", details);
            case "GL004":
                return new RuleBroken("invalid-resolution", e.MessageText, 409, details: details);
            case "GL007":
                return new RuleBroken("claim-not-draft", e.MessageText, 409);
            case "GL008":
                return new RuleBroken("plan-not-draft", e.MessageText, 409);
            case "GL012":
                return new RuleBroken(Access.OneTimePasswords.Rule, e.MessageText, 403);
            case "GL013":
                return new RuleBroken("value-date-in-the-future", e.MessageText, 422, "valueDate", details);
            case "GL014":
            {
                var (unit, shortfall) = Shortfall(details);
                var account = details.GetValueOrDefault("name") as string ?? details.GetValueOrDefault("account") as string ?? "an account";
                return details.GetValueOrDefault("asOf") is string d && Core.Ledger.IsoDate.TryParse(d, out var asOf)
                    ? new LimitExceededAsOf(account, details.GetValueOrDefault("account") as string ?? account, unit, shortfall, asOf)
                    : new RuleBroken("limit-exceeded-as-of-a-day", e.MessageText, 422, "valueDate", details);
            }
            case "GL005":
            case "GL006":
                return new RuleBroken("unbalanced-entry", e.MessageText, 422);
            case PostgresErrorCodes.UniqueViolation when e.ConstraintName == "transfer_resolves_pending_once":
                return new RuleBroken("pending-already-resolved", "that hold was already posted or voided: a hold resolves once", 409);
            case PostgresErrorCodes.UniqueViolation when e.ConstraintName == "journal_entry_reverses_entry_id_key":
                return new RuleBroken("already-reversed", "that entry has already been reversed", 409);
            case PostgresErrorCodes.UniqueViolation when e.ConstraintName == "school_payee_reference_unique":
                return Programmes.PayeeReferences.TakenMeanwhile();
            default:
                return null;
        }
    }

    /// <summary>A limit's refusal (GL001, GL014): the unit of the account and by how much the entry would take it past its limit.</summary>
    private static (Unit Unit, long Shortfall) Shortfall(Dictionary<string, object?> details) =>
        (details.GetValueOrDefault("unit") is "MIN" ? Unit.Minutes : Unit.Gbp, details.GetValueOrDefault("shortfall") is long l ? l : 0);

    private static Dictionary<string, object?> ParseDetail(string? detail)
    {
        var result = new Dictionary<string, object?>();
        if (string.IsNullOrEmpty(detail) || !detail.StartsWith('{')) return result;
        try
        {
            using var doc = JsonDocument.Parse(detail);
            foreach (var p in doc.RootElement.EnumerateObject())
                result[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Number => p.Value.GetInt64(),
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => p.Value.GetRawText(),
                };
        }
        catch (JsonException)
        {
        }
        return result;
    }
}

/// <summary>A limited account would be overdrawn: says which, and by how much.</summary>
public sealed class LimitExceeded(string account, Unit unit, long shortfall) : RuleBroken(
    "limit-exceeded",
    $"{account} would go past its limit by {unit.Describe(shortfall)}",
    422,
    details: new Dictionary<string, object?>
    {
        ["account"] = account,
        ["unit"] = unit.ToCode(),
        ["shortfall"] = unit == Unit.Gbp ? new Money(shortfall).ToDecimalString() : shortfall,
    })
{
    public string Account { get; } = account;
    public Unit Unit { get; } = unit;
    public long Shortfall { get; } = shortfall;
}

/// <summary>
/// A limited account would be past its limit as of a day, though not now: the entry is dated before money reached the
/// account (migration 0069). Names the value date, the day and by how much, as a finance officer reads them.
/// </summary>
public sealed class LimitExceededAsOf(string name, string account, Unit unit, long shortfall, DateOnly asOf) : RuleBroken(
    "limit-exceeded-as-of-a-day",
    $"As of {Closes.Long(asOf)} this would leave {name} {unit.Describe(shortfall)} past its limit: money reached it later than that. " +
    "Use a later value date, or move money in first.",
    422,
    "valueDate",
    new Dictionary<string, object?>
    {
        ["account"] = account,
        ["unit"] = unit.ToCode(),
        ["shortfall"] = Allocations.Amounts.Format(unit, shortfall),
        ["asOf"] = asOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    })
{
    public DateOnly AsOf { get; } = asOf;
}

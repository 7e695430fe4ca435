using System.Globalization;
using System.Text;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// The journal, one line per transfer, filtered as an auditor asks: by entry, account or account-code
/// prefix, school, area, claim, payment run, user, value-date range and amount range. Ordered as the
/// exports' journal is (<see cref="Exports.JournalOrder"/>): value date, then journal entry, then
/// transfer, so that an entry's lines stand together, and paged with an opaque cursor that carries all
/// three, so a page never repeats or skips a line that existed when the first page was read. That order
/// is the index <c>transfer_programme_value_date</c>'s own: a page of a busy day or user is read from
/// the index, where ordering by value date and transfer alone sorted each day's lines whole first
/// (docs/performance-reads.md).
/// </summary>
public static class JournalSearch
{
    /// <summary>The journal search's page: 100 lines unless limit asks 1 to 1,000.</summary>
    public static readonly PageSize LinesPage = new(1000, 100);

    public sealed class Query
    {
        /// <summary>the programme (required)</summary>
        public long? ProgrammeId { get; set; }
        /// <summary>an account code: lines debiting or crediting it</summary>
        public string? Account { get; set; }
        /// <summary>lines debiting or crediting any account whose code starts with this</summary>
        public string? AccountPrefix { get; set; }
        public long? SchoolId { get; set; }
        public long? AreaId { get; set; }
        /// <summary>one journal entry's lines, by its number (as the exports, hledger and the pages give it)</summary>
        public long? EntryId { get; set; }
        /// <summary>the claim's entries (caused by it, or posted by its transitions)</summary>
        public long? ClaimId { get; set; }
        public long? PaymentRunId { get; set; }
        /// <summary>who posted the entry</summary>
        public long? UserId { get; set; }
        /// <summary>value dates from (inclusive)</summary>
        public DateOnly? From { get; set; }
        /// <summary>value dates to (inclusive)</summary>
        public DateOnly? To { get; set; }
        /// <summary>only what had been recorded by this moment: pass the first page's time to page through a fixed set while others write</summary>
        public DateTimeOffset? RecordedBy { get; set; }
        /// <summary>GBP or MIN; amount ranges are read in this unit (GBP when not given)</summary>
        [OneOf(typeof(Units), nameof(Units.Codes))] public string? Unit { get; set; }
        /// <summary>smallest amount, e.g. "100.00" (or minutes)</summary>
        public string? AmountMin { get; set; }
        public string? AmountMax { get; set; }
        /// <summary>the nextCursor of the previous page</summary>
        public string? Cursor { get; set; }
        /// <summary>lines per page, 1 to 1000 (default 100); CSV returns every line from the cursor on</summary>
        [Limit(typeof(JournalSearch), nameof(LinesPage))] public int? Limit { get; set; }
    }

    public sealed record Line(long TransferId, long EntryId, DateOnly ValueDate, DateTimeOffset RecordedAt, string Description,
        string CauseType, long? CauseId, long? ReversesEntryId, long? ActorId, string? Actor, string Unit, string Kind, long? PendingId,
        string DebitAccount, string CreditAccount, string Amount);

    public sealed record Page(IReadOnlyList<Line> Items,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? NextCursor); // null on the last page, not left out

    public static readonly string[] CsvHeader =
    [
        "transfer_id", "entry_id", "value_date", "recorded_at", "description", "cause_type", "cause_id", "reverses_entry_id",
        "actor_id", "actor", "unit", "kind", "pending_id", "debit_account", "credit_account", "amount",
    ];

    public static IReadOnlyList<string?> CsvRow(Line l) =>
    [
        S(l.TransferId), S(l.EntryId), ChainContent.Date(l.ValueDate), UtcMomentJsonConverter.Text(l.RecordedAt),
        l.Description, l.CauseType, S(l.CauseId), S(l.ReversesEntryId), S(l.ActorId), l.Actor, l.Unit, l.Kind, S(l.PendingId),
        l.DebitAccount, l.CreditAccount, l.Amount,
    ];

    private static string? S(long? v) => v?.ToString(CultureInfo.InvariantCulture);

    public static async Task<Page> PageAsync(NpgsqlDataSource dataSource, CurrentUser caller, Query q, CancellationToken ct)
    {
        var limit = LinesPage.Of(q.Limit);
        var items = new List<Line>(limit + 1);
        await foreach (var line in LinesAsync(dataSource, caller, q, limit + 1, ct)) items.Add(line);
        if (items.Count <= limit) return new Page(items, null);
        items.RemoveAt(limit);
        var last = items[^1];
        return new Page(items, Cursor(last.ValueDate, last.EntryId, last.TransferId));
    }

    /// <summary>
    /// Every matching line from the cursor on as CSV (the API's and the journal page's), the query refused before the answer
    /// starts streaming: a bad query is a problem, not a broken file.
    /// </summary>
    public static CsvAnswer Csv(NpgsqlDataSource dataSource, CurrentUser caller, Query q, CancellationToken ct)
    {
        Validate(caller, q);
        return CsvAnswer.Of($"journal-{q.ProgrammeId}.csv", CsvHeader, LinesAsync(dataSource, caller, q, null, ct), CsvRow);
    }

    /// <summary>Every matching line from the cursor on, streamed (up to <paramref name="limit"/> when given).</summary>
    public static async IAsyncEnumerable<Line> LinesAsync(NpgsqlDataSource dataSource, CurrentUser caller, Query q, int? limit,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = Build(dataSource, caller, q, limit);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var unit = r.GetString(10);
            yield return new Line(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<DateOnly>(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7),
                r.IsDBNull(8) ? null : r.GetInt64(8), r.IsDBNull(9) ? null : r.GetString(9), unit, r.GetString(11),
                r.IsDBNull(12) ? null : r.GetInt64(12), r.GetString(13), r.GetString(14), Amounts.Format(unit, r.GetInt64(15)));
        }
    }

    /// <summary>Refuses a malformed query (422) or one outside the caller's scope (403).</summary>
    public static void Validate(CurrentUser caller, Query q) => Check(caller, q);

    private static (Unit Unit, long? Min, long? Max, Place? After) Check(CurrentUser caller, Query q)
    {
        var errors = new FieldErrors();
        if (q.ProgrammeId is null) errors.Add("programmeId", "is required");
        var unit = Unit.Gbp;
        if (q.Unit is not null && !Units.TryParse(q.Unit, out unit)) errors.Add("unit", "must be GBP or MIN");
        var min = Amount(errors, "amountMin", q.AmountMin, unit);
        var max = Amount(errors, "amountMax", q.AmountMax, unit);
        if (q.From > q.To) errors.Add("to", "must not be before from");
        if (min > max) errors.Add("amountMax", "must not be less than amountMin"); // a search that can match nothing says so, as from and to do
        Place? after = null;
        if (q.Cursor is not null)
        {
            after = ParseCursor(q.Cursor);
            if (after is null) errors.Add("cursor", "is not a cursor this search gave");
        }
        errors.ThrowIfAny();
        caller.EnsureWholeProgramme(q.ProgrammeId!.Value);
        return (unit, min, max, after);
    }

    private static NpgsqlCommand Build(NpgsqlDataSource dataSource, CurrentUser caller, Query q, int? limit)
    {
        var (unit, min, max, after) = Check(caller, q);

        var sql = new StringBuilder("""
            SELECT t.id, j.id, t.value_date, j.recorded_at, j.description, j.cause_type, j.cause_id, j.reverses_entry_id,
                   j.actor_id, u.user_name, t.unit, t.kind, t.pending_id, da.code, ca.code, t.amount
              FROM transfer t
              JOIN journal_entry j ON j.id = t.entry_id
              JOIN account da ON da.id = t.debit_account_id
              JOIN account ca ON ca.id = t.credit_account_id
              LEFT JOIN app_user u ON u.id = j.actor_id
             WHERE t.programme_id = @programme
            """);
        var cmd = dataSource.CreateCommand();
        var p = cmd.Parameters;
        p.AddWithValue("programme", q.ProgrammeId!.Value);
        // Each filter given adds its condition and its one parameter.
        void And(string name, object? value, string condition)
        {
            if (value is null) return;
            sql.Append(" AND ").Append(condition);
            p.AddWithValue(name, value);
        }
        // A filter on the accounts is the transfers debiting such an account and those crediting one, each found by its
        // account's index (transfer_debit_account, transfer_credit_account): "da.… OR ca.…" could be served by no index, and
        // a school's or a claim's few lines were looked for among every line of the programme, in date order (seconds at
        // national scale: docs/performance-reads.md, the auditor's reads).
        static string Moving(string accounts) => $"""
            t.id IN (SELECT x.id FROM account a JOIN transfer x ON x.debit_account_id = a.id WHERE a.programme_id = @programme AND {accounts}
                     UNION ALL
                     SELECT x.id FROM account a JOIN transfer x ON x.credit_account_id = a.id WHERE a.programme_id = @programme AND {accounts})
            """;
        And("account", q.Account, Moving("a.code = @account"));
        And("prefix", string.IsNullOrEmpty(q.AccountPrefix) ? null : q.AccountPrefix.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%",
            Moving("a.code LIKE @prefix"));
        And("school", q.SchoolId, Moving("a.school_id = @school"));
        And("area", q.AreaId, Moving("a.school_id IN (SELECT s.id FROM school s WHERE s.area_id = @area)"));
        And("entry", q.EntryId, "j.id = @entry");
        // the claim's entries: caused by it, or posted by its transitions (each by its index, as above)
        And("claim", q.ClaimId, """
            t.entry_id IN (SELECT e.id FROM journal_entry e WHERE e.cause_type = 'claim' AND e.cause_id = @claim
                           UNION ALL
                           SELECT ct.entry_id FROM claim_transition ct WHERE ct.claim_id = @claim)
            """);
        And("run", q.PaymentRunId, "j.cause_type = 'payment_run' AND j.cause_id = @run");
        And("user", q.UserId, "j.actor_id = @user");
        And("from", q.From, "t.value_date >= @from");
        And("to", q.To, "t.value_date <= @to");
        And("recordedBy", q.RecordedBy?.ToUniversalTime(), "j.recorded_at <= @recordedBy");
        And("unit", q.Unit is not null || min is not null || max is not null ? unit.ToCode() : null, "t.unit = @unit");
        And("min", min, "t.amount >= @min");
        And("max", max, "t.amount <= @max");
        if (after is { } a)
        {
            // a cursor given before the order named the entry (value date and transfer) reads on after its transfer's entry
            sql.Append(" AND (t.value_date, t.entry_id, t.id) > (@afterDate, ")
                .Append(a.EntryId is null ? "(SELECT x.entry_id FROM transfer x WHERE x.id = @afterId)" : "@afterEntry").Append(", @afterId)");
            p.AddWithValue("afterDate", a.Date);
            if (a.EntryId is { } entry) p.AddWithValue("afterEntry", entry);
            p.AddWithValue("afterId", a.TransferId);
        }
        sql.Append(" ORDER BY t.value_date, t.entry_id, t.id");
        if (limit is not null)
        {
            sql.Append(" LIMIT @limit");
            p.AddWithValue("limit", limit.Value);
        }
        cmd.CommandText = sql.ToString();
        return cmd;
    }

    private static long? Amount(FieldErrors errors, string field, string? text, Unit unit)
    {
        if (text is null) return null;
        if (unit == Unit.Gbp)
        {
            if (Money.TryParse(text, out var money, out var error)) return money.Pence;
            errors.Add(field, error ?? "must be an amount in pounds, e.g. \"100.00\"");
            return null;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)) return minutes;
        errors.Add(field, "must be whole minutes");
        return null;
    }

    /// <summary>A place in the journal's order: the lines after it.</summary>
    private readonly record struct Place(DateOnly Date, long? EntryId, long TransferId);

    public static string Cursor(DateOnly date, long entryId, long transferId) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{ChainContent.Date(date)}/{entryId}/{transferId}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>"date/entry/transfer", or "date/transfer" as cursors were given before the order named the entry.</summary>
    private static Place? ParseCursor(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.ASCII.GetString(Convert.FromBase64String(padded)).Split('/');
            if (parts.Length is not (2 or 3) || !IsoDate.TryParse(parts[0], out var date)) return null;
            var ids = new long[parts.Length - 1];
            for (var i = 0; i < ids.Length; i++)
                if (!long.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i])) return null;
            return new Place(date, ids.Length == 2 ? ids[0] : null, ids[^1]);
        }
        catch (FormatException)
        {
        }
        return null;
    }
}

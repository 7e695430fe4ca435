using System.Globalization;
using System.Text;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using Npgsql;

namespace GrantLedger.Web.Exports;

public enum JournalFormat { Hledger, Beancount }

/// <summary>
/// The journal in hledger and Beancount formats, so that independent tools can recompute every
/// balance. One file per unit: money in GBP, staff time in its own file with the commodity MIN
/// (each unit is its own ledger; a transfer never mixes them). Only what is posted is written —
/// posted transfers and the posting of holds; a hold (pending) and its release move nothing posted.
/// Each file ends with a balance assertion per account, from the service's own balances, so
/// <c>hledger check</c> and <c>bean-check</c> prove that the transfers add up to them.
/// </summary>
public static class PlainTextJournal
{
    /// <summary>
    /// Our account code as a plain-text-accounting account: a root chosen by what the account is,
    /// then the code's segments, each capitalised (<c>tp:2026-27:school:100001:staff-cover:available</c>
    /// → <c>Liabilities:Tp:2026-27:School:100001:Staff-cover:Available</c>). Lower-casing everything
    /// after the root gives the code back.
    /// </summary>
    public static string AccountName(string code, string normalSide)
    {
        Span<char> name = stackalloc char[MaxNameLength];
        return new string(name[..WriteName(name, code, normalSide == "debit")]);
    }

    // codes are at most 200 characters (account_code_check); the root adds at most 12
    private const int MaxNameLength = 256;

    /// <summary>Writes <see cref="AccountName"/> of a code into <paramref name="name"/>; returns its length.</summary>
    private static int WriteName(Span<char> name, ReadOnlySpan<char> code, bool debitNormal)
    {
        var root = code[(code.LastIndexOf(':') + 1)..] switch
        {
            // what the funder granted (or the time pool), less what was paid out (or used): a contra-asset
            "funding" or "paid" or "used" => "Assets",
            // what the programme owes: not yet allocated, allocated to a school, approved and payable
            "unallocated" or "available" or "payable" => "Liabilities",
            // what left or entered the year at its end
            "lapsed" or "carried-forward" or "brought-forward" => "Equity",
            _ => debitNormal ? "Assets" : "Liabilities",
        };
        root.CopyTo(name);
        var length = root.Length;
        name[length++] = ':';
        var segmentStarts = true;
        foreach (var c in code)
        {
            name[length++] = segmentStarts ? char.ToUpperInvariant(c) : c;
            segmentStarts = c == ':';
        }
        return length;
    }

    /// <summary>The account code an exported account name stands for.</summary>
    public static string CodeOf(string accountName) => accountName[(accountName.IndexOf(':') + 1)..].ToLowerInvariant();

    public static string Commodity(Unit unit) => unit == Unit.Gbp ? "GBP" : "MIN";

    public static string FileName(string programmeCode, DateOnly asOf, Unit unit, JournalFormat format) =>
        $"{programmeCode}-{asOf:yyyy-MM-dd}{(unit == Unit.Gbp ? "" : "-minutes")}.{(format == JournalFormat.Hledger ? "journal" : "beancount")}";

    /// <summary>
    /// What one export's journals share, unit after unit: the account table's memory and the name buffers. At national
    /// scale the money file holds 360,000 accounts and the minutes file 216,000; with a table each, the second was
    /// built while the first was garbage not yet collected, and the export's peak was the two together (202-207 MB,
    /// 186 MB with a collection between them; docs/benchmarks.md, exports). One table, refilled, is one at a time.
    /// </summary>
    public sealed class Workspace
    {
        internal readonly char[] Code = new char[MaxNameLength], Name = new char[MaxNameLength]; // codes are read into, names written from these
        internal readonly AccountTable Accounts = new();
    }

    /// <summary>
    /// The unit's accounts while its journal is written, held compactly: at national scale there are 360,000 money
    /// accounts, and a record with a code string and a name string each made the export's memory grow with accounts
    /// to 346-358 MB (docs/benchmarks.md, exports). Here the codes share one buffer and names are never kept: each is
    /// written from its code when it is needed.
    /// </summary>
    internal sealed class AccountTable
    {
        // Codes are ASCII (account_code_check: a-z, 0-9, '-' and ':'), kept a byte a character in 64 KB chunks: no
        // chunk is ever copied to grow, and a code never spans two. A refill writes over the chunks from the first.
        private const int ChunkSize = 1 << 16;
        private readonly List<byte[]> _chunks = [];
        private int _chunk = -1, _usedInChunk = ChunkSize; // no chunk yet: the first code starts one
        private readonly Dictionary<long, int> _byId = [];
        private readonly List<(int Chunk, int Start, int Length)> _codes = [];
        private readonly List<bool> _debitNormal = [];
        private readonly List<long> _debitsPosted = [], _creditsPosted = [];

        /// <summary>Empties the table for the next unit's accounts.</summary>
        /// <param name="capacity">how many accounts there will be (counted in the same snapshot): sized for them, nothing is copied to grow</param>
        public void Reset(int capacity)
        {
            _byId.Clear();
            _byId.EnsureCapacity(capacity);
            _codes.Clear();
            _debitNormal.Clear();
            _debitsPosted.Clear();
            _creditsPosted.Clear();
            _codes.EnsureCapacity(capacity);
            _debitNormal.EnsureCapacity(capacity);
            _debitsPosted.EnsureCapacity(capacity);
            _creditsPosted.EnsureCapacity(capacity);
            (_chunk, _usedInChunk) = (-1, ChunkSize);
        }

        public int Count => _codes.Count;

        public void Add(long id, ReadOnlySpan<char> code, bool debitNormal, long debitsPosted, long creditsPosted)
        {
            if (_usedInChunk + code.Length > ChunkSize)
            {
                if (++_chunk == _chunks.Count) _chunks.Add(new byte[ChunkSize]);
                _usedInChunk = 0;
            }
            var written = Encoding.ASCII.GetBytes(code, _chunks[_chunk].AsSpan(_usedInChunk));
            _byId.Add(id, _codes.Count);
            _codes.Add((_chunk, _usedInChunk, written));
            _usedInChunk += written;
            _debitNormal.Add(debitNormal);
            _debitsPosted.Add(debitsPosted);
            _creditsPosted.Add(creditsPosted);
        }

        public int IndexOf(long id) => _byId[id];

        /// <summary>Writes the account's code into <paramref name="code"/>; returns its length.</summary>
        public int Code(int i, Span<char> code)
        {
            var (chunk, start, length) = _codes[i];
            return Encoding.ASCII.GetChars(_chunks[chunk].AsSpan(start, length), code);
        }

        /// <summary>Writes the account's name into <paramref name="name"/> (its code first, in <paramref name="code"/>); returns its length.</summary>
        public int Name(int i, Span<char> code, Span<char> name) => WriteName(name, code[..Code(i, code)], _debitNormal[i]);

        public bool Touched(int i) => _debitsPosted[i] != 0 || _creditsPosted[i] != 0;
        public long PostedBalance(int i) => _debitsPosted[i] - _creditsPosted[i];
    }

    public static async Task<long> CountAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, DateOnly asOf, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM transfer WHERE programme_id = @p AND value_date <= @asOf AND kind IN ('posted', 'post_pending')", conn, tx);
        cmd.Parameters.AddWithValue("p", programmeId);
        cmd.Parameters.AddWithValue("asOf", asOf);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <param name="workspace">shared by the units of one export (one at a time), so that they use the same memory</param>
    public static async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, string programmeCode, string programmeName,
        Unit unit, DateOnly asOf, JournalFormat format, TextWriter output, Workspace workspace, Action<long>? progress, CancellationToken ct)
    {
        var (code, name, accounts) = (workspace.Code, workspace.Name, workspace.Accounts);
        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM account WHERE programme_id = @p AND unit = @unit", conn, tx))
        {
            Parameters(cmd, programmeId, asOf, unit);
            accounts.Reset((int)(long)(await cmd.ExecuteScalarAsync(ct))!);
        }
        var balances = await BalanceSource.CheaperAsync(conn, tx, programmeId, asOf, ct);
        await using (var cmd = new NpgsqlCommand($"""
            SELECT a.id, a.code, a.normal_side = 'debit', {balances.DebitsPosted}, {balances.CreditsPosted}
              FROM account a {balances.Join}
             WHERE a.programme_id = @p AND a.unit = @unit
             ORDER BY a.code
            """, conn, tx))
        {
            Parameters(cmd, programmeId, asOf, unit);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                accounts.Add(r.GetInt64(0), code.AsSpan(0, (int)r.GetChars(1, 0, code, 0, code.Length)), r.GetBoolean(2), r.GetInt64(3), r.GetInt64(4));
        }
        DateOnly? first;
        await using (var cmd = new NpgsqlCommand(
            "SELECT min(value_date) FROM transfer WHERE programme_id = @p AND unit = @unit AND value_date <= @asOf AND kind IN ('posted', 'post_pending')", conn, tx))
        {
            Parameters(cmd, programmeId, asOf, unit);
            first = await cmd.ExecuteScalarAsync(ct) is DateOnly d ? d : null;
        }
        var opened = first ?? asOf;
        var commodity = Commodity(unit);
        var hledger = format == JournalFormat.Hledger;
        void Name(int account) => output.Write(name, 0, accounts.Name(account, code, name));
        void Code(int account) => output.Write(code, 0, accounts.Code(account, code));

        // header: what this is, and the accounts with their codes
        output.Write($"""
            ; GrantLedger journal of {OneLine(programmeName)} ({programmeCode}): {(unit == Unit.Gbp ? "money, in pounds (GBP)" : "staff time, in minutes (MIN)")}
            ; transfers posted with a value date on or before {asOf:yyyy-MM-dd}; holds (pending transfers) are not postings and are left out.
            ; {(unit == Unit.Gbp ? "Staff time is in the -minutes file beside this one." : "Money is in the file without -minutes beside this one.")}
            ; Accounts: our code, capitalised, under Assets (funding; paid or used: what went out), Liabilities (unallocated,
            ; available, payable) or Equity (lapsed, carried and brought forward).

            """);
        if (hledger)
        {
            // hledger wants a decimal mark in a commodity directive: whole minutes need none
            if (unit == Unit.Gbp) output.Write("commodity 1000.00 GBP\n\n");
            for (var a = 0; a < accounts.Count; a++)
            {
                output.Write("account ");
                Name(a);
                output.Write("  ; code: ");
                Code(a);
                output.Write('\n');
            }
        }
        else
        {
            output.Write($"option \"title\" \"{Quote(programmeName)} ({programmeCode}) {commodity} as of {asOf:yyyy-MM-dd}\"\n");
            if (unit == Unit.Gbp) output.Write("option \"operating_currency\" \"GBP\"\n");
            output.Write($"\n{opened:yyyy-MM-dd} commodity {commodity}\n");
            var open = $"{opened:yyyy-MM-dd} open ";
            for (var a = 0; a < accounts.Count; a++)
            {
                output.Write(open);
                Name(a);
                output.Write($" {commodity}\n  code: \"");
                Code(a);
                output.Write("\"\n");
            }
        }
        output.Write('\n');

        await using (var cmd = new NpgsqlCommand(JournalOrder.Select(
            "t.entry_id, t.value_date, j.description, j.cause_type, j.cause_id, t.debit_account_id, t.credit_account_id, t.amount",
            "AND t.unit = @unit AND t.kind IN ('posted', 'post_pending')"), conn, tx))
        {
            Parameters(cmd, programmeId, asOf, unit);
            long? entry = null;
            await foreach (var r in JournalOrder.RowsAsync(cmd, ct))
            {
                var id = r.GetInt64(0);
                if (id != entry)
                {
                    if (entry is not null) output.Write('\n');
                    entry = id;
                    var date = r.GetFieldValue<DateOnly>(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    var cause = r.GetString(3) + (r.IsDBNull(4) ? "" : " " + r.GetInt64(4).ToString(CultureInfo.InvariantCulture));
                    if (hledger)
                        output.Write($"{date} {OneLine(r.GetString(2)).Replace(';', ',').TrimStart('*', '!', '(', ' ')}  ; entry:{id}, cause:{cause}\n");
                    else
                        output.Write($"{date} * \"{Quote(r.GetString(2))}\"\n  entry: \"{id}\"\n  cause: \"{cause}\"\n");
                }
                var amount = Amount(unit, r.GetInt64(7));
                output.Write("    ");
                Name(accounts.IndexOf(r.GetInt64(5)));
                output.Write($"  {amount} {commodity}\n    ");
                Name(accounts.IndexOf(r.GetInt64(6)));
                output.Write($"  -{amount} {commodity}\n");
                progress?.Invoke(1);
            }
            if (entry is not null) output.Write('\n');
        }

        // what the service says each account's posted balance is, for the tools to check
        var touched = Enumerable.Range(0, accounts.Count).Where(accounts.Touched).ToList();
        if (touched.Count == 0) return;
        if (hledger)
        {
            output.Write($"{asOf:yyyy-MM-dd} Balances as of {asOf:yyyy-MM-dd} according to GrantLedger (assertions only)\n");
            foreach (var a in touched)
            {
                output.Write("    ");
                Name(a);
                output.Write($"  0 {commodity} = {Amount(unit, accounts.PostedBalance(a))} {commodity}\n");
            }
        }
        else
        {
            var next = asOf.AddDays(1);
            output.Write($"; balances at the start of {next:yyyy-MM-dd}, after everything dated {asOf:yyyy-MM-dd}, according to GrantLedger\n");
            foreach (var a in touched)
            {
                output.Write($"{next:yyyy-MM-dd} balance ");
                Name(a);
                output.Write($"  {Amount(unit, accounts.PostedBalance(a))} ~ 0.001 {commodity}\n");
            }
        }
    }

    private static string Amount(Unit unit, long value) =>
        unit == Unit.Gbp ? new Money(value).ToDecimalString() : value.ToString(CultureInfo.InvariantCulture);

    private static void Parameters(NpgsqlCommand cmd, long programmeId, DateOnly asOf, Unit unit)
    {
        cmd.Parameters.AddWithValue("p", programmeId);
        cmd.Parameters.AddWithValue("asOf", asOf);
        cmd.Parameters.AddWithValue("unit", unit.ToCode());
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');

    private static string Quote(string text) => OneLine(text).Replace("\\", "\\\\").Replace("\"", "\\\"");
}

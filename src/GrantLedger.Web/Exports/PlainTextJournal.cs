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
        var segments = code.Split(':');
        var root = segments[^1] switch
        {
            // what the funder granted (or the time pool), less what was paid out (or used): a contra-asset
            "funding" or "paid" or "used" => "Assets",
            // what the programme owes: not yet allocated, allocated to a school, approved and payable
            "unallocated" or "available" or "payable" => "Liabilities",
            // what left or entered the year at its end
            "lapsed" or "carried-forward" or "brought-forward" => "Equity",
            _ => normalSide == "debit" ? "Assets" : "Liabilities",
        };
        var sb = new StringBuilder(root);
        foreach (var s in segments) sb.Append(':').Append(char.ToUpperInvariant(s[0])).Append(s.AsSpan(1));
        return sb.ToString();
    }

    /// <summary>The account code an exported account name stands for.</summary>
    public static string CodeOf(string accountName) => accountName[(accountName.IndexOf(':') + 1)..].ToLowerInvariant();

    public static string Commodity(Unit unit) => unit == Unit.Gbp ? "GBP" : "MIN";

    public static string FileName(string programmeCode, DateOnly asOf, Unit unit, JournalFormat format) =>
        $"{programmeCode}-{asOf:yyyy-MM-dd}{(unit == Unit.Gbp ? "" : "-minutes")}.{(format == JournalFormat.Hledger ? "journal" : "beancount")}";

    private sealed record AccountRow(long Id, string Code, string Name, long DebitsPosted, long CreditsPosted);

    public static async Task<long> CountAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, DateOnly asOf, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM transfer WHERE programme_id = @p AND value_date <= @asOf AND kind IN ('posted', 'post_pending')", conn, tx);
        cmd.Parameters.AddWithValue("p", programmeId);
        cmd.Parameters.AddWithValue("asOf", asOf);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    public static async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, string programmeCode, string programmeName,
        Unit unit, DateOnly asOf, JournalFormat format, TextWriter output, Action<long>? progress, CancellationToken ct)
    {
        var accounts = new Dictionary<long, AccountRow>();
        var balances = await BalanceSource.CheaperAsync(conn, tx, programmeId, asOf, ct);
        await using (var cmd = new NpgsqlCommand($"""
            SELECT a.id, a.code, a.normal_side, {balances.DebitsPosted}, {balances.CreditsPosted}
              FROM account a {balances.Join}
             WHERE a.programme_id = @p AND a.unit = @unit
             ORDER BY a.code
            """, conn, tx))
        {
            Parameters(cmd, programmeId, asOf, unit);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                accounts[r.GetInt64(0)] = new AccountRow(r.GetInt64(0), r.GetString(1), AccountName(r.GetString(1), r.GetString(2)), r.GetInt64(3), r.GetInt64(4));
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
            foreach (var a in accounts.Values) output.Write($"account {a.Name}  ; code: {a.Code}\n");
        }
        else
        {
            output.Write($"option \"title\" \"{Quote(programmeName)} ({programmeCode}) {commodity} as of {asOf:yyyy-MM-dd}\"\n");
            if (unit == Unit.Gbp) output.Write("option \"operating_currency\" \"GBP\"\n");
            output.Write($"\n{opened:yyyy-MM-dd} commodity {commodity}\n");
            foreach (var a in accounts.Values) output.Write($"{opened:yyyy-MM-dd} open {a.Name} {commodity}\n  code: \"{a.Code}\"\n");
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
                output.Write($"    {accounts[r.GetInt64(5)].Name}  {amount} {commodity}\n");
                output.Write($"    {accounts[r.GetInt64(6)].Name}  -{amount} {commodity}\n");
                progress?.Invoke(1);
            }
            if (entry is not null) output.Write('\n');
        }

        // what the service says each account's posted balance is, for the tools to check
        var touched = accounts.Values.Where(a => a.DebitsPosted != 0 || a.CreditsPosted != 0).ToList();
        if (touched.Count == 0) return;
        if (hledger)
        {
            output.Write($"{asOf:yyyy-MM-dd} Balances as of {asOf:yyyy-MM-dd} according to GrantLedger (assertions only)\n");
            foreach (var a in touched) output.Write($"    {a.Name}  0 {commodity} = {Amount(unit, a.DebitsPosted - a.CreditsPosted)} {commodity}\n");
        }
        else
        {
            var next = asOf.AddDays(1);
            output.Write($"; balances at the start of {next:yyyy-MM-dd}, after everything dated {asOf:yyyy-MM-dd}, according to GrantLedger\n");
            foreach (var a in touched) output.Write($"{next:yyyy-MM-dd} balance {a.Name}  {Amount(unit, a.DebitsPosted - a.CreditsPosted)} ~ 0.001 {commodity}\n");
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

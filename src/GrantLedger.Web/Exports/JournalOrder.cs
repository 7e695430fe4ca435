using System.Runtime.CompilerServices;
using Npgsql;

namespace GrantLedger.Web.Exports;

/// <summary>
/// The journal's transfers in the order a journal is read (value date, entry, transfer), streamed
/// from two indexes: transfer (programme_id, value_date, entry_id, id) merged with journal_entry
/// (programme_id, value_date, id) on the entry's value date and id (a transfer's value date is its
/// entry's: their foreign key says so). PostgreSQL neither hashes nor sorts, and the first row comes
/// at once. Account codes are not joined here: two look-ups per transfer cost more than the rest of
/// the statement together, so the exports map account ids to codes read once (<see cref="AccountCodesAsync"/>).
/// <para>
/// PostgreSQL misjudges the two-column join (it takes the date and the id as independent and expects
/// about 30 times too few rows), and left alone it hashes both tables and sorts 1.8 million wide rows
/// on disk: 14 s of the server's time at national scale, where the merge takes 2 s. The statement
/// therefore runs with hash joins, sorts and parallel workers switched off for it alone
/// (<see cref="RowsAsync"/>: local to the export's transaction, and put back after it).
/// </para>
/// </summary>
public static class JournalOrder
{
    /// <param name="columns">what to select from t (transfer) and j (journal_entry)</param>
    /// <param name="filter">more conditions on t, starting with AND</param>
    public static string Select(string columns, string filter = "") => $"""
        SELECT {columns}
          FROM transfer t
          JOIN journal_entry j ON j.id = t.entry_id AND j.value_date = t.value_date
         WHERE t.programme_id = @p AND t.value_date <= @asOf AND j.programme_id = @p AND j.value_date <= @asOf {filter}
         ORDER BY t.value_date, t.entry_id, t.id
        """;

    private const string Before = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0";
    private const string After = "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_sort TO DEFAULT; SET LOCAL max_parallel_workers_per_gather TO DEFAULT";

    /// <summary>
    /// Runs a statement made by <see cref="Select"/> under the journal's planner settings, a row at a
    /// time, and puts the settings back however it ends: read to the end, stopped early by its reader,
    /// or failed.
    /// </summary>
    public static async IAsyncEnumerable<NpgsqlDataReader> RowsAsync(NpgsqlCommand cmd, [EnumeratorCancellation] CancellationToken ct)
    {
        var (conn, tx) = (cmd.Connection!, cmd.Transaction);
        await SetAsync(conn, tx, Before, ct);
        try
        {
            cmd.CommandTimeout = 0; // a national journal streams for longer than a command's default
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) yield return reader;
        }
        finally
        {
            await RestoreAsync(conn, tx);
        }
    }

    private static async Task SetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string settings, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(settings, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// In a transaction that has already failed, or on a connection that broke, there is nothing to
    /// put back (the export ends with them), and that refusal is not the error to report: the one that
    /// stopped the journal is.
    /// </summary>
    private static async Task RestoreAsync(NpgsqlConnection conn, NpgsqlTransaction? tx)
    {
        try
        {
            await SetAsync(conn, tx, After, CancellationToken.None);
        }
        catch (Exception e) when (e is PostgresException { SqlState: PostgresErrorCodes.InFailedSqlTransaction }
                                       or NpgsqlException { IsTransient: true } or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Every account code of the programme by id (576,000 at national scale, about 80 MB): what the
    /// journal's lines name. It grows with the accounts, not with the journal's lines.
    /// </summary>
    public static async Task<Dictionary<long, string>> AccountCodesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId,
        CancellationToken ct)
    {
        var codes = new Dictionary<long, string>();
        await using var cmd = new NpgsqlCommand("SELECT id, code FROM account WHERE programme_id = @p", conn, tx);
        cmd.Parameters.AddWithValue("p", programmeId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) codes[r.GetInt64(0)] = r.GetString(1);
        return codes;
    }
}

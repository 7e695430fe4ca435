using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>Reads the records a chain seals, by id, as the canonical content their hashes cover.</summary>
internal static class ChainRecords
{
    public const string JournalEntry = "journal_entry";
    public const string AuditEvent = "audit_event";

    public static string ChainOfProgramme(long programmeId) => $"journal:{programmeId}";

    /// <returns>the content of each record found; a missing id is simply absent</returns>
    public static Task<Dictionary<long, string>> ContentAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string recordType,
        IReadOnlyCollection<long> ids, CancellationToken ct) =>
        recordType == JournalEntry ? EntriesAsync(conn, tx, ids, ct) : EventsAsync(conn, tx, ids, ct);

    private static async Task<Dictionary<long, string>> EntriesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<long> ids,
        CancellationToken ct)
    {
        var transfers = new Dictionary<long, List<ChainContent.TransferColumns>>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT entry_id, id, unit, debit_account_id, credit_account_id, amount, kind, pending_id
              FROM transfer WHERE entry_id = ANY($1) ORDER BY entry_id, id
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = ids.ToArray() });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var entryId = r.GetInt64(0);
                if (!transfers.TryGetValue(entryId, out var list)) transfers[entryId] = list = [];
                list.Add(new(r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetString(6), Long(r, 7)));
            }
        }

        var result = new Dictionary<long, string>(ids.Count);
        await using (var cmd = new NpgsqlCommand("""
            SELECT id, programme_id, value_date, recorded_at, description, actor_id, cause_type, cause_id, reverses_entry_id
              FROM journal_entry WHERE id = ANY($1)
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = ids.ToArray() });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetInt64(0);
                result[id] = ChainContent.Of(new ChainContent.EntryColumns(id, r.GetInt64(1), r.GetFieldValue<DateOnly>(2),
                    r.GetFieldValue<DateTime>(3), r.GetString(4), Long(r, 5), r.GetString(6), Long(r, 7), Long(r, 8),
                    transfers.GetValueOrDefault(id) ?? []));
            }
        }
        return result;
    }

    /// <summary>
    /// The entries of <paramref name="ids"/> with a transfer whose own copy of the entry's programme, value date or recording
    /// time is not the entry's, each with the first such transfer described. The transfer's key to its entry keeps the copies
    /// equal, so they differ only where that key was switched off; the seal covers the entry's columns, while balances,
    /// statements and exports read the transfer's copies.
    /// </summary>
    public static async Task<Dictionary<long, string>> TransfersApartFromTheirEntryAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        var found = new Dictionary<long, string>();
        await using var cmd = new NpgsqlCommand("""
            SELECT DISTINCT ON (t.entry_id) t.entry_id, t.id,
                   t.programme_id, j.programme_id, t.value_date, j.value_date, t.recorded_at, j.recorded_at
              FROM transfer t JOIN journal_entry j ON j.id = t.entry_id
             WHERE t.entry_id = ANY($1)
               AND (t.programme_id, t.value_date, t.recorded_at) IS DISTINCT FROM (j.programme_id, j.value_date, j.recorded_at)
             ORDER BY t.entry_id, t.id
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = ids.ToArray() });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var apart = new List<string>();
            if (r.GetInt64(2) != r.GetInt64(3)) apart.Add($"programme {r.GetInt64(2)} where the entry's is {r.GetInt64(3)}");
            if (r.GetFieldValue<DateOnly>(4) != r.GetFieldValue<DateOnly>(5))
                apart.Add($"value date {ChainContent.Date(r.GetFieldValue<DateOnly>(4))} where the entry's is {ChainContent.Date(r.GetFieldValue<DateOnly>(5))}");
            if (r.GetFieldValue<DateTime>(6) != r.GetFieldValue<DateTime>(7))
                apart.Add($"recording time {ChainContent.Instant(r.GetFieldValue<DateTime>(6))} where the entry's is {ChainContent.Instant(r.GetFieldValue<DateTime>(7))}");
            found[r.GetInt64(0)] = $"its transfer {r.GetInt64(1)} has {string.Join(", and ", apart)}";
        }
        return found;
    }

    private static async Task<Dictionary<long, string>> EventsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<long> ids,
        CancellationToken ct)
    {
        var result = new Dictionary<long, string>(ids.Count);
        await using var cmd = new NpgsqlCommand("""
            SELECT id, occurred_at, user_id, user_name, role, action, record_type, record_id, programme_id, details::text, client_address
              FROM audit_event WHERE id = ANY($1)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = ids.ToArray() });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var id = r.GetInt64(0);
            result[id] = ChainContent.Of(new ChainContent.EventColumns(id, r.GetFieldValue<DateTime>(1), Long(r, 2), Text(r, 3), Text(r, 4),
                r.GetString(5), r.GetString(6), Long(r, 7), Long(r, 8), r.GetString(9), Text(r, 10)));
        }
        return result;
    }

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}

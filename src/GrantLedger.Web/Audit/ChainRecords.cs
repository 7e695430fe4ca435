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

using GrantLedger.Web.Access;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Recomputes every chain from the records themselves and reports, per chain, the first seal that
/// does not match (a record changed, removed, or a seal missing or out of sequence), and any record
/// that is neither sealed nor waiting to be.
/// </summary>
public static class Verification
{
    public sealed record Mismatch(string Chain, long Seq, string RecordType, long RecordId, string Problem);

    public sealed record ChainReport(string Chain, long Sealed, long Verified, string? Head, long Unsealed, Mismatch? FirstMismatch);

    public sealed record Report(bool Ok, DateTimeOffset CheckedAt, Mismatch? FirstMismatch, IReadOnlyList<ChainReport> Chains,
        IReadOnlyList<Mismatch> NeitherSealedNorQueued);

    private const int Page = 1000;

    /// <summary>The chains the caller may see (<see cref="AuditReads.MaySee"/>), verified: the API's answer and the verification page's.</summary>
    public static async Task<Report> VerifyVisibleAsync(NpgsqlDataSource dataSource, CurrentUser caller, CancellationToken ct) =>
        await VerifyAsync(dataSource, caller.SeesAllProgrammes ? null : await AuditReads.VisibleChainsAsync(dataSource, caller, ct), ct);

    /// <param name="chains">only these chains (null: every chain)</param>
    public static async Task<Report> VerifyAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<string>? chains = null, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        // one snapshot for the whole check, so concurrent sealing cannot make it disagree with itself
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT chain FROM chain_seal GROUP BY chain UNION SELECT chain FROM seal_queue ORDER BY 1", conn, tx))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        if (chains is not null) names = names.Where(chains.Contains).ToList();

        var reports = new List<ChainReport>();
        foreach (var chain in names) reports.Add(await VerifyChainAsync(conn, tx, chain, ct));

        var orphans = await NeitherSealedNorQueuedAsync(conn, tx, chains, ct);
        var first = reports.Select(c => c.FirstMismatch).FirstOrDefault(m => m is not null) ?? orphans.FirstOrDefault();
        await tx.CommitAsync(ct);
        return new Report(first is null, DateTimeOffset.UtcNow, first, reports, orphans);
    }

    private static async Task<ChainReport> VerifyChainAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string chain, CancellationToken ct)
    {
        var previous = ChainContent.Genesis;
        var (expectedSeq, verified) = (1L, 0L);
        Mismatch? mismatch = null;
        while (true)
        {
            var seals = new List<(long Seq, string Type, long Id, byte[] Hash)>();
            await using (var cmd = new NpgsqlCommand("""
                SELECT seq, record_type, record_id, hash FROM chain_seal WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3
                """, conn, tx))
            {
                cmd.Parameters.Add(new() { Value = chain });
                cmd.Parameters.Add(new() { Value = expectedSeq });
                cmd.Parameters.Add(new() { Value = Page });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) seals.Add((r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetFieldValue<byte[]>(3)));
            }
            if (seals.Count == 0) break;

            var contents = new Dictionary<string, Dictionary<long, string>>();
            foreach (var type in seals.Select(s => s.Type).Distinct())
                contents[type] = await ChainRecords.ContentAsync(conn, tx, type, seals.Where(s => s.Type == type).Select(s => s.Id).ToList(), ct);

            foreach (var s in seals)
            {
                if (mismatch is null)
                {
                    var problem =
                        s.Seq != expectedSeq ? $"seals {expectedSeq} to {s.Seq - 1} are missing" :
                        !contents[s.Type].TryGetValue(s.Id, out var content) ? $"{s.Type} {s.Id} is sealed but no longer exists" :
                        !ChainContent.Hash(previous, content).AsSpan().SequenceEqual(s.Hash) ? $"{s.Type} {s.Id} does not match its seal: it was changed after it was sealed" :
                        null;
                    if (problem is not null) mismatch = new Mismatch(chain, s.Seq, s.Type, s.Id, problem);
                    else verified++;
                }
                // carry on from the stored hash, so one changed record does not hide the state of the rest
                previous = s.Hash;
                expectedSeq = s.Seq + 1;
            }
        }

        long unsealed;
        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM seal_queue WHERE chain = $1", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = chain });
            unsealed = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        return new ChainReport(chain, expectedSeq - 1, verified, expectedSeq > 1 ? Convert.ToHexStringLower(previous) : null, unsealed, mismatch);
    }

    /// <summary>Records written behind the sealer's back (with the queueing trigger off): in no chain and in no queue.</summary>
    private static async Task<IReadOnlyList<Mismatch>> NeitherSealedNorQueuedAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        IReadOnlyCollection<string>? chains, CancellationToken ct)
    {
        var found = new List<Mismatch>();
        await using var cmd = new NpgsqlCommand("""
            (SELECT 'journal:' || j.programme_id, 'journal_entry', j.id FROM journal_entry j
              WHERE NOT EXISTS (SELECT 1 FROM chain_seal s WHERE s.record_type = 'journal_entry' AND s.record_id = j.id)
                AND NOT EXISTS (SELECT 1 FROM seal_queue q WHERE q.record_type = 'journal_entry' AND q.record_id = j.id)
              ORDER BY j.id LIMIT 100)
            UNION ALL
            (SELECT 'audit', 'audit_event', e.id FROM audit_event e
              WHERE NOT EXISTS (SELECT 1 FROM chain_seal s WHERE s.record_type = 'audit_event' AND s.record_id = e.id)
                AND NOT EXISTS (SELECT 1 FROM seal_queue q WHERE q.record_type = 'audit_event' AND q.record_id = e.id)
              ORDER BY e.id LIMIT 100)
            """, conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var chain = r.GetString(0);
            if (chains is not null && !chains.Contains(chain)) continue;
            found.Add(new Mismatch(chain, 0, r.GetString(1), r.GetInt64(2), $"{r.GetString(1)} {r.GetInt64(2)} is neither sealed nor queued for sealing"));
        }
        return found;
    }
}

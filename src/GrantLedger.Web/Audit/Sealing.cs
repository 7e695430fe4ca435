using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Seals what writers queued: per chain, in record id order, under an advisory lock on that chain
/// (so two instances seal a chain one after the other, and different chains at once). A record
/// that commits after a later one was sealed (a long transaction) joins the chain at its end:
/// a chain's order is the order of sealing, given by seq.
/// </summary>
public static class Sealing
{
    public const int Batch = 500;

    public sealed record Sealed(string Chain, int Records, long LastSeq);

    /// <summary>Seals everything queued now, chain by chain; returns what each chain gained.</summary>
    public static async Task<IReadOnlyList<Sealed>> SealAllAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        var chains = new List<string>();
        await using (var cmd = dataSource.CreateCommand("SELECT DISTINCT chain FROM seal_queue ORDER BY chain"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) chains.Add(r.GetString(0));

        var result = new List<Sealed>();
        foreach (var chain in chains)
        {
            var (total, last) = (0, 0L);
            while (true)
            {
                var (count, seq) = await SealBatchAsync(dataSource, chain, ct);
                if (count == 0) break;
                (total, last) = (total + count, seq);
            }
            if (total > 0) result.Add(new Sealed(chain, total, last));
        }
        return result;
    }

    /// <summary>Seals up to <see cref="Batch"/> queued records of one chain in one transaction.</summary>
    public static async Task<(int Count, long LastSeq)> SealBatchAsync(NpgsqlDataSource dataSource, string chain, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('chain_seal'), hashtext($1))", conn, tx))
        {
            lockCmd.Parameters.Add(new() { Value = chain });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        var (seq, previous) = (0L, ChainContent.Genesis);
        await using (var head = new NpgsqlCommand("SELECT seq, hash FROM chain_seal WHERE chain = $1 ORDER BY seq DESC LIMIT 1", conn, tx))
        {
            head.Parameters.Add(new() { Value = chain });
            await using var r = await head.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct)) (seq, previous) = (r.GetInt64(0), r.GetFieldValue<byte[]>(1));
        }

        var queued = new List<(string Type, long Id)>();
        await using (var q = new NpgsqlCommand("SELECT record_type, record_id FROM seal_queue WHERE chain = $1 ORDER BY record_id LIMIT $2", conn, tx))
        {
            q.Parameters.Add(new() { Value = chain });
            q.Parameters.Add(new() { Value = Batch });
            await using var r = await q.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) queued.Add((r.GetString(0), r.GetInt64(1)));
        }
        if (queued.Count == 0) return (0, seq);

        var type = queued[0].Type; // a chain holds one record type
        var ids = queued.Select(x => x.Id).ToList();
        var content = await ChainRecords.ContentAsync(conn, tx, type, ids, ct);
        var seqs = new long[ids.Count];
        var hashes = new byte[ids.Count][];
        for (var i = 0; i < ids.Count; i++)
        {
            // a queued record always exists (it is queued by a trigger in its own transaction); if one was removed behind the
            // database's back, its seal still takes its place, over no content, and verification names it
            previous = ChainContent.Hash(previous, content.GetValueOrDefault(ids[i]) ?? "");
            (seqs[i], hashes[i]) = (++seq, previous);
        }

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO chain_seal (chain, seq, record_type, record_id, hash)
            SELECT $1, s, $2, r, h FROM unnest($3::bigint[], $4::bigint[], $5::bytea[]) AS x(s, r, h)
            """, conn, tx))
        {
            insert.Parameters.Add(new() { Value = chain });
            insert.Parameters.Add(new() { Value = type });
            insert.Parameters.Add(new() { Value = seqs });
            insert.Parameters.Add(new() { Value = ids.ToArray() });
            insert.Parameters.Add(new() { Value = hashes });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var delete = new NpgsqlCommand("DELETE FROM seal_queue WHERE record_type = $1 AND record_id = ANY($2)", conn, tx))
        {
            delete.Parameters.Add(new() { Value = type });
            delete.Parameters.Add(new() { Value = ids.ToArray() });
            await delete.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return (ids.Count, seq);
    }
}

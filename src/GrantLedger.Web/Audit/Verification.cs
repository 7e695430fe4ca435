using System.Globalization;
using System.Text.RegularExpressions;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Recomputes every chain from the records themselves and reports, per chain, the first seal that
/// does not match (a record changed, removed, or a seal missing or out of sequence), and any record
/// that is neither sealed nor waiting to be.
/// </summary>
public static partial class Verification
{
    public sealed record Mismatch(string Chain, long Seq, string RecordType, long RecordId, string Problem);

    public sealed record ChainReport(string Chain, long Sealed, long Verified, string? Head, long Unsealed, Mismatch? FirstMismatch);

    /// <param name="Ok">every record matches its seal, every record is sealed or waiting, and every head noted is extended</param>
    /// <param name="Noted">what became of each head noted at an earlier check, in the order given</param>
    public sealed record Report(bool Ok, DateTimeOffset CheckedAt, Mismatch? FirstMismatch, IReadOnlyList<ChainReport> Chains,
        IReadOnlyList<Mismatch> NeitherSealedNorQueued, IReadOnlyList<NotedHeadCheck> Noted);

    /// <summary>A chain's head as noted at an earlier check: seal <paramref name="Seq"/> of <paramref name="Chain"/> had hash <paramref name="Hash"/>.</summary>
    public sealed record NotedHead(string Chain, long Seq, string Hash);

    /// <summary>
    /// What became of a noted head. <paramref name="Result"/>: "extended" (the seal still has the hash noted: nothing up to it
    /// was rewritten since), "rewritten" (the seal has another hash now: the chain was rewritten at or before it, even if each
    /// seal now matches its record), "missing" (the chain has no such seal now) or "unknown-chain" (no chain of that name that
    /// you may see).
    /// </summary>
    public sealed record NotedHeadCheck(string Chain, long Seq, string Hash, string Result, string? HashNow, string Says);

    /// <summary>
    /// The most heads one check takes: a chain each for the programmes' journals and the audit trail, with room to spare, and
    /// within an address the service takes (8,192 characters, as the API's query).
    /// </summary>
    public const int MostNoted = 50;

    /// <summary>
    /// Heads as the verification page downloads them and the API takes them: "chain,seal,hash" a line ("journal:3,1204,9f2c…", the
    /// hash 64 hex digits); the download's header line and blank lines are passed over. Refused (422 naming <c>noted</c>) line by
    /// line, each with what is wrong with it.
    /// </summary>
    public static IReadOnlyList<NotedHead> ReadNoted(IEnumerable<string?> lines)
    {
        var noted = new List<NotedHead>();
        var errors = new List<string>();
        var number = 0;
        foreach (var raw in lines.OfType<string>().SelectMany(l => l.Split('\n'))) // an empty query value binds as null
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.Equals(HeadsCsvHeader, StringComparison.OrdinalIgnoreCase)) continue;
            var parts = line.Split(',').Select(p => p.Trim()).ToArray();
            var seq = 0L;
            var problem =
                parts.Length != 3 ? "must be the chain, the seal's number and its hash, separated by commas, such as audit,1204,9f2c… (64 hex digits)" :
                !ChainName().IsMatch(parts[0]) ? "names no chain: a chain is audit, or journal: and a programme's number, such as journal:3" :
                !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out seq) || seq < 1 ? "must give the seal's number as a whole number from 1" :
                !HashHex().IsMatch(parts[2]) ? "must give the seal's hash as 64 hex digits" :
                null;
            if (problem is not null) errors.Add($"line {number} ({Shorten(line)}) {problem}");
            else noted.Add(new NotedHead(parts[0], seq, parts[2].ToLowerInvariant()));
        }
        if (errors.Count == 0 && noted.Count > MostNoted) errors.Add($"gives {noted.Count} heads: at most {MostNoted} are checked at once");
        if (errors.Count > 0) throw new InvalidInput(new Dictionary<string, string[]> { ["noted"] = errors.ToArray() });
        return noted;
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..37] + "…";

    [GeneratedRegex(@"^(audit|journal:[0-9]{1,18})$")] private static partial Regex ChainName();
    [GeneratedRegex("^[0-9a-fA-F]{64}$")] private static partial Regex HashHex();

    /// <summary>The header of the heads' download, passed over when the file is given back.</summary>
    public const string HeadsCsvHeader = "chain,seal,hash";

    /// <summary>Each chain's verified head as a line to keep and give back at the next check: "chain,seal,hash", after <see cref="HeadsCsvHeader"/>.</summary>
    public static string HeadsCsv(Report report) =>
        string.Concat(report.Chains.Where(c => c.Head is not null).Select(c => $"{c.Chain},{c.Sealed.ToString(CultureInfo.InvariantCulture)},{c.Head}\r\n")
            .Prepend(HeadsCsvHeader + "\r\n"));

    private const int Page = 1000;

    /// <summary>The chains the caller may see (<see cref="AuditReads.MaySee"/>), verified: the API's answer and the verification page's.</summary>
    /// <param name="noted">heads noted at an earlier check, each checked against the seal it names</param>
    public static async Task<Report> VerifyVisibleAsync(NpgsqlDataSource dataSource, CurrentUser caller, CancellationToken ct,
        IReadOnlyList<NotedHead>? noted = null) =>
        await VerifyAsync(dataSource, caller.SeesAllProgrammes ? null : await AuditReads.VisibleChainsAsync(dataSource, caller, ct), ct, noted);

    /// <param name="chains">only these chains (null: every chain)</param>
    /// <param name="noted">heads noted at an earlier check, each checked against the seal it names</param>
    public static async Task<Report> VerifyAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<string>? chains = null, CancellationToken ct = default,
        IReadOnlyList<NotedHead>? noted = null)
    {
        noted ??= [];
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        // one snapshot for the whole check, so concurrent sealing cannot make it disagree with itself
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT chain FROM chain_seal GROUP BY chain UNION SELECT chain FROM seal_queue ORDER BY 1", conn, tx))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        if (chains is not null) names = names.Where(chains.Contains).ToList();

        var reports = new List<ChainReport>();
        var hashesAt = new Dictionary<(string Chain, long Seq), byte[]>(); // the stored hash of each seal a noted head names
        foreach (var chain in names)
            reports.Add(await VerifyChainAsync(conn, tx, chain, noted.Where(h => h.Chain == chain).Select(h => h.Seq).ToHashSet(), hashesAt, ct));

        var orphans = await NeitherSealedNorQueuedAsync(conn, tx, chains, ct);
        var first = reports.Select(c => c.FirstMismatch).FirstOrDefault(m => m is not null) ?? orphans.FirstOrDefault();
        await tx.CommitAsync(ct);
        var checks = noted.Select(h => Check(h, reports.FirstOrDefault(c => c.Chain == h.Chain), hashesAt)).ToList();
        return new Report(first is null && checks.All(c => c.Result == "extended"), DateTimeOffset.UtcNow, first, reports, orphans, checks);
    }

    private static NotedHeadCheck Check(NotedHead h, ChainReport? chain, Dictionary<(string, long), byte[]> hashesAt)
    {
        var seal = $"seal {Counted(h.Seq)}";
        if (chain is null) return new(h.Chain, h.Seq, h.Hash, "unknown-chain", null, $"There is no chain {h.Chain} that you may see.");
        if (!hashesAt.TryGetValue((h.Chain, h.Seq), out var now))
            return new(h.Chain, h.Seq, h.Hash, "missing", null, h.Seq > chain.Sealed
                ? $"The chain has no {seal} now: it ends at seal {Counted(chain.Sealed)}, so seals noted before were removed."
                : $"The chain has no {seal} now: seals were removed.");
        var hashNow = Convert.ToHexStringLower(now);
        return hashNow == h.Hash
            ? new(h.Chain, h.Seq, h.Hash, "extended", hashNow, $"The chain still holds {seal} with the hash noted: nothing up to it was changed since.")
            : new(h.Chain, h.Seq, h.Hash, "rewritten", hashNow,
                $"Seal {Counted(h.Seq)} has another hash now: the chain was rewritten at or before it since the hash was noted, even where each seal matches its record.");
    }

    private static string Counted(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static async Task<ChainReport> VerifyChainAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string chain, IReadOnlySet<long> notedSeqs,
        Dictionary<(string Chain, long Seq), byte[]> hashesAt, CancellationToken ct)
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
            var entries = seals.Where(s => s.Type == ChainRecords.JournalEntry).Select(s => s.Id).ToList();
            Dictionary<long, string> apart = entries.Count == 0 ? [] : await ChainRecords.TransfersApartFromTheirEntryAsync(conn, tx, entries, ct);

            foreach (var s in seals)
            {
                if (mismatch is null)
                {
                    var problem =
                        s.Seq != expectedSeq ? $"seals {expectedSeq} to {s.Seq - 1} are missing" :
                        !contents[s.Type].TryGetValue(s.Id, out var content) ? $"{s.Type} {s.Id} is sealed but no longer exists" :
                        !ChainContent.Hash(previous, content).AsSpan().SequenceEqual(s.Hash) ? $"{s.Type} {s.Id} does not match its seal: it was changed after it was sealed" :
                        // the seal covers the entry's programme, date and recording time; the balances read each transfer's copy of them
                        s.Type == ChainRecords.JournalEntry && apart.TryGetValue(s.Id, out var how)
                            ? $"{s.Type} {s.Id} does not match its seal: {how}, changed behind the ledger's keys" :
                        null;
                    if (problem is not null) mismatch = new Mismatch(chain, s.Seq, s.Type, s.Id, problem);
                    else verified++;
                }
                if (notedSeqs.Contains(s.Seq)) hashesAt[(chain, s.Seq)] = s.Hash;
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

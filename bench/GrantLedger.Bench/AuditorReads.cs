using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Access;

namespace GrantLedger.Bench;

/// <summary>
/// <c>reads --cluster DIR --auditor [--only mode,…]</c>: an auditor's reads over HTTP, with one auditor's token (made by
/// the admin through <c>POST /api/v1/users</c>), each read a set of addresses drawn from the seeded data of which wrk
/// (bench/requests.lua) sends a random one per request: the audit trail by each of its filters and paged deep, the journal
/// search, and the ledger's claims list with its count.
/// </summary>
public static partial class ReadsBench
{
    private const string AuditorName = "bench-reads-auditor";

    /// <summary>One read of a role: its name for <c>--only</c>, its words in the table, and its requests ("TOKEN PATH").</summary>
    private sealed record RoleRead(string Mode, string Describe, IReadOnlyList<(string Token, string Path)> Requests);

    /// <summary>One of the auditor's reads, its addresses all asked with the auditor's one token.</summary>
    private sealed record AuditorRead(string Mode, string Describe, IReadOnlyList<string> Paths);

    private static async Task<int> AuditorReadsAsync(BenchCluster db, HttpClient http, string adminToken, Uri baseAddress, long programmeId,
        int seconds, int[] connections, string[]? only, TextWriter report)
    {
        var clock = Stopwatch.StartNew();
        if (await db.Scalar("SELECT id FROM app_user WHERE normalized_user_name = $1", AuditorName.ToUpperInvariant()) is null)
            await CreateUserAsync(http, adminToken, AuditorName,
                new { userName = AuditorName, displayName = "Bench auditor", password = OneTimePassword, role = Roles.Auditor });
        var token = await SignInAsync(http, AuditorName);
        report.WriteLine($"audit trail: {await db.Scalar("SELECT count(*) FROM audit_event"):N0} events, " +
                         $"audit_event {await db.Scalar("SELECT pg_size_pretty(pg_total_relation_size('audit_event'))")} with its indexes");
        var reads = (await AuditorReadSetAsync(db, programmeId)).Where(r => only is null || only.Contains(r.Mode))
            .Select(r => new RoleRead(r.Mode, r.Describe, r.Paths.Select(path => (token, path)).ToList())).ToList();
        report.WriteLine($"auditor signed in, {reads.Count} reads drawn from the data in {clock.Elapsed.TotalSeconds:F1} s");
        return await MeasureReadsAsync(baseAddress, reads, seconds, connections, report);
    }

    /// <summary>
    /// Each read measured by wrk (bench/requests.lua: a random one of its requests each time) at each number of
    /// connections, after 2 s of warm-up per read, as a table of p50 and p99.
    /// </summary>
    private static async Task<int> MeasureReadsAsync(Uri baseAddress, IReadOnlyList<RoleRead> reads, int seconds, int[] connections, TextWriter report)
    {
        var files = new Dictionary<string, string>();
        foreach (var read in reads) files[read.Mode] = await RequestsFileAsync($"role-{read.Mode}", read.Requests);
        // JIT, EF Core's model and query caches, the connection pool
        foreach (var read in reads) await WrkAsync(baseAddress, files[read.Mode], read.Mode, 1, 2);

        report.WriteLine();
        report.WriteLine("| read | addresses | connections | requests | requests/s | p50 ms | p99 ms | non-2xx | load average (1 min) |");
        report.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var read in reads)
        foreach (var c in connections)
        {
            var r = await WrkAsync(baseAddress, files[read.Mode], read.Mode, c, seconds);
            report.WriteLine($"| {read.Describe} (`{read.Mode}`) | {read.Requests.Count:N0} | {c} | {r.Requests:N0} | {r.PerSecond:N0} | {r.P50:F2} | {r.P99:F2} | " +
                             $"{r.Errors} | {ExportsBench.LoadAverage().Split(' ')[0]} |");
        }
        report.WriteLine($"load average after: {ExportsBench.LoadAverage()}");
        foreach (var file in files.Values) File.Delete(file);
        return 0;
    }

    /// <summary>Each read's addresses, drawn from the data in a fixed pseudo-random order.</summary>
    private static async Task<List<AuditorRead>> AuditorReadSetAsync(BenchCluster db, long p)
    {
        async Task<List<string>> Column(string sql)
        {
            var list = new List<string>();
            await using var cmd = db.DataSource.CreateCommand(sql);
            cmd.Parameters.Add(new() { Value = p });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) list.Add(Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture)!);
            return list;
        }
        var claims = await Column("SELECT id FROM claim WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT 1000");
        var schools = await Column("SELECT id FROM school WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT 500");
        var urns = await Column("SELECT urn FROM school WHERE programme_id = $1 ORDER BY hashint8(id + 1), id LIMIT 500");
        var managers = await Column("SELECT id FROM app_user WHERE programme_id = $1 AND user_name LIKE 'pins-sbm-%' ORDER BY hashint8(id), id LIMIT 500");
        var admin = (await Column("SELECT id FROM app_user WHERE user_name = 'pins-admin' AND $1 > 0"))[0];
        var finance2 = (await Column("SELECT id FROM app_user WHERE user_name = 'pins-finance-2' AND $1 > 0"))[0];
        // working days on which the trail was written, and value dates of the journal
        var days = await Column("SELECT to_char(d, 'YYYY-MM-DD') FROM generate_series(date '2024-09-02', date '2026-11-27', interval '1 day') d " +
                                "WHERE extract(isodow FROM d) < 6 AND $1 > 0 ORDER BY hashint8(extract(epoch FROM d)::bigint) LIMIT 200");
        var range = await Column("SELECT min(id) FROM audit_event WHERE programme_id = $1 UNION ALL SELECT max(id) FROM audit_event WHERE programme_id = $1");
        var (first, last) = (long.Parse(range[0], CultureInfo.InvariantCulture), long.Parse(range[1], CultureInfo.InvariantCulture));
        var ids = Enumerable.Range(0, 1000).Select(i => (first + (long)((last - first) * ((i * 0.618034) % 1.0))).ToString(CultureInfo.InvariantCulture)).ToList();
        var areas = await Column("SELECT id FROM area WHERE programme_id = $1 ORDER BY id");
        var periods = await Column("SELECT per.id FROM period per JOIN programme_year y ON y.id = per.programme_year_id WHERE y.programme_id = $1 ORDER BY per.id");
        var cursors = await Column("SELECT id FROM account WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT 200");
        var pages = int.Parse((await Column("SELECT count(*) / 100 FROM claim WHERE programme_id = $1"))[0], CultureInfo.InvariantCulture);
        string[] states = ["approved", "paid", "rejected", "submitted", "under-review", "withdrawn"];

        const string Events = "/api/v1/audit/events";
        var journal = $"/api/v1/audit/journal?programmeId={p}";
        List<string> One(string path) => [path];
        return
        [
            new("trail-newest", "trail, newest first, no filter", One($"{Events}?order=newest")),
            new("trail-written", "trail, as written (oldest first), no filter", One(Events)),
            new("trail-common-action", "trail, action claim.submit, newest first", One($"{Events}?action=claim.submit&order=newest")),
            new("trail-rare-action", "trail, action payment-run.approve, newest first", One($"{Events}?action=payment-run.approve&order=newest")),
            new("trail-absent-action", "trail, action year.closed (none), newest first", One($"{Events}?action=year.closed&order=newest")),
            new("trail-prefix", "trail, actions claim., newest first", One($"{Events}?action=claim.&order=newest")),
            new("trail-rare-prefix", "trail, actions payment-run., newest first", One($"{Events}?action=payment-run.&order=newest")),
            new("trail-user", "trail, a business manager's events, newest first", managers.Select(u => $"{Events}?userId={u}&order=newest").ToList()),
            new("trail-busy-user", "trail, the admin's events (most of the trail), newest first", One($"{Events}?userId={admin}&order=newest")),
            new("trail-rare-user", "trail, the second finance user's events, newest first", One($"{Events}?userId={finance2}&order=newest")),
            new("trail-record", "trail, a claim's events", claims.Select(c => $"{Events}?recordType=claim&recordId={c}").ToList()),
            new("trail-day", "trail, one day", days.Select(d => $"{Events}?from={d}&to={d}").ToList()),
            new("trail-day-newest", "trail, one day, newest first", days.Select(d => $"{Events}?from={d}&to={d}&order=newest").ToList()),
            new("trail-after", "trail, a page after a cursor (deep)", ids.Select(i => $"{Events}?after={i}").ToList()),
            new("trail-before", "trail, a page before a cursor, newest first (deep)", ids.Select(i => $"{Events}?before={i}&order=newest").ToList()),
            new("trail-action-before", "trail, claim.approve before a cursor, newest first", ids.Select(i => $"{Events}?action=claim.approve&before={i}&order=newest").ToList()),
            new("trail-page", "the trail's page, newest first", One("/ledger/trail?order=newest")),
            new("trail-page-action", "the trail's page, action claim.reject", One("/ledger/trail?action=claim.reject&order=newest")),
            new("journal-school", "journal of a school (the page, by URN)", urns.Select(u => $"/ledger/journal?programmeId={p}&urn={u}").ToList()),
            new("journal-school-api", "journal of a school (API, schoolId)", schools.Select(s => $"{journal}&schoolId={s}").ToList()),
            new("journal-claim", "journal of a claim", claims.Select(c => $"{journal}&claimId={c}").ToList()),
            new("journal-user", "journal of a user (the admin: most entries)", One($"{journal}&userId={admin}")),
            new("journal-days", "journal, value dates in one week", days.Select(d => $"{journal}&from={d}&to={DateOnly.Parse(d, CultureInfo.InvariantCulture).AddDays(6):yyyy-MM-dd}").ToList()),
            new("balances-page", "balances, a page of 1,000 accounts from a cursor",
                cursors.Select(a => $"/api/v1/audit/programmes/{p}/balances?limit=1000&after={a}").ToList()),
            new("claims-list", "claims list, first page with its count", One($"/ledger/claims?programmeId={p}")),
            new("claims-filtered", "claims list by area and status", areas.SelectMany(a => states.Select(s => $"/ledger/claims?programmeId={p}&areaId={a}&state={s}")).ToList()),
            new("claims-half-term", "claims list by half-term", periods.Select(h => $"/ledger/claims?programmeId={p}&periodId={h}").ToList()),
            new("claims-school", "claims list by school URN", urns.Select(u => $"/ledger/claims?programmeId={p}&q={u}").ToList()),
            new("claims-deep", "claims list, a page deep in the list", Enumerable.Range(1, 200).Select(n => $"/ledger/claims?programmeId={p}&page={n * 13 % pages + 1}").ToList()),
        ];
    }
}

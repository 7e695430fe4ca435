using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using GrantLedger.Web.Audit;

namespace GrantLedger.Bench;

/// <summary>
/// A national allocation in one request: POST /api/v1/programmes/{p}/years/{y}/allocations with
/// 24,000 schools x 4 categories = 96,000 lines, through HTTP to the service running as a separate
/// Release process, timed end to end (the body built beforehand; sending, the service's work, the
/// commit and the answer inside the clock). Round 1 is a year's first allocation: it also creates the
/// 96,000 'available' accounts; later rounds top them up. Beside it, pgbench posts 10 transfers per
/// commit (bench/allocation10.pgbench.sql: the service's statement shape) on the same cluster, in
/// the same run, at the given client counts (1 is the same client count as the one request).
/// The warm-up allocates to another year of the programme: by default one line (the first large request after a
/// start runs much of its code un-optimised, and the runtime re-compiles it meanwhile); with --warm-up-lines N,
/// N lines and again until the runtime's tiered compilation has settled, as a service that has run a while has.
/// </summary>
public static class BulkBench
{
    public sealed record Options(int Schools, int Categories, int Rounds, int Seconds, int[] Clients, int History, string? Cluster, int? LogSlowMs,
        int WarmUpLines);

    private sealed record Row(int Round, int Lines, long AccountsCreated, double Seconds, TimeSpan ServiceCpu, TimeSpan Jit,
        List<(int Clients, Pgbench.Run Run)> Raw);

    public static async Task<int> RunAsync(Options o, TextWriter report)
    {
        var repo = Args.RepositoryRoot();
        await using var db = await BenchCluster.StartAsync(o.Cluster);
        if (o.LogSlowMs is { } ms) await db.LogSlowStatementsAsync(ms);
        var seed = Stopwatch.StartNew();
        // Other programmes' history first, so the tables are not empty when planned (BenchCluster notes why).
        if (o.History > 0) await BenchProgramme.SeedAsync(db, 1000, o.History);
        var (programmeId, yearId, categoryIds) = await SeedNationalAsync(db, o.Schools, o.Categories);
        var warmUpYear = await FundedYearAsync(db, programmeId, "2025-26", "2025-09-01", "2026-08-31");
        var admin = await BenchUsers.ProgrammeAdminAsync(db, programmeId, "bench-admin");
        var schoolIds = await db.IdsAsync("SELECT id FROM school WHERE programme_id = $1 ORDER BY id", programmeId);
        await db.Exec("ANALYZE");
        report.WriteLine($"cluster: {await db.SettingsAsync()}");
        report.WriteLine($"seeded {o.Schools:N0} schools, {o.Categories} categories, {o.History:N0} history entries (another programme) " +
                         $"in {seed.Elapsed.TotalSeconds:F1} s; pgbench {o.Seconds} s per client count after each request");

        await using var service = await ServiceHost.StartAsync(db);
        using var http = service.Client(admin, TimeSpan.FromMinutes(10));
        report.WriteLine($"service: {ServiceHost.WebDll()} on {service.BaseAddress} (Release, Kestrel)");
        report.WriteLine(await ServiceHost.SettleAsync(db));
        report.WriteLine(await WarmUpAsync(service, http, programmeId, warmUpYear, schoolIds, categoryIds, o.WarmUpLines));

        var rows = new List<Row>();
        var unallocated = (long)(await db.Scalar("SELECT id FROM account WHERE programme_id = $1 AND code = 'nat:2026-27:unallocated'", programmeId))!;
        for (var round = 1; round <= o.Rounds; round++)
        {
            var lines = schoolIds.SelectMany((s, i) => categoryIds.Select((c, j) => (s, c, Amount: 150_000L + (i * 7 + j * 13 + round) % 100_000))).ToList();
            var body = Body(lines, $"National allocation, round {round}", "2026-09-01");
            var accountsBefore = (long)(await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", programmeId))!;
            var (cpuBefore, jitBefore) = (service.CpuTime(), service.TieredCompilationThreads());
            var clock = Stopwatch.StartNew();
            var entryId = await AllocateAsync(http, programmeId, yearId, body, $"bench-bulk-{round}");
            clock.Stop();
            var (cpu, jit) = (service.CpuTime() - cpuBefore, ServiceHost.Between(jitBefore, service.TieredCompilationThreads()));
            var accountsAfter = (long)(await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", programmeId))!;
            var (count, total) = await EntryAsync(db, entryId);
            if (count != lines.Count || total != lines.Sum(l => l.Amount))
                throw new InvalidOperationException($"entry {entryId} has {count} transfers for {total}p, not {lines.Count} for {lines.Sum(l => l.Amount)}p");

            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {lines.Count:N0} lines in {clock.Elapsed.TotalSeconds:F2} s, {accountsAfter - accountsBefore:N0} accounts created; " +
                $"service CPU {cpu.TotalSeconds:F2} s, of it tiered compilation {jit.TotalSeconds:F2} s"));
            var (first, last) = await AvailableRangeAsync(db, programmeId);
            var raw = new List<(int, Pgbench.Run)>();
            foreach (var clients in o.Clients)
                raw.Add((clients, await Pgbench.RunAsync(db, Path.Combine(repo, "bench", "allocation10.pgbench.sql"), clients, o.Seconds,
                    new Dictionary<string, object>
                    {
                        ["programme"] = programmeId, ["valuedate"] = "2026-09-01", ["unallocated"] = unallocated, ["first"] = first, ["last"] = last,
                    })));
            rows.Add(new Row(round, lines.Count, accountsAfter - accountsBefore, clock.Elapsed.TotalSeconds, cpu, jit, raw));
            var perSecond = lines.Count / clock.Elapsed.TotalSeconds;
            var ceilings = string.Join("; ", raw.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"pgbench {r.Item1} client(s) {r.Item2.PerSecond * 10:N0} transfers/s, ratio {perSecond / (r.Item2.PerSecond * 10):F2}")));
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {lines.Count:N0} lines in {clock.Elapsed.TotalSeconds:F2} s ({perSecond:N0} transfers/s, {accountsAfter - accountsBefore:N0} accounts created); {ceilings}"));
        }

        report.WriteLine(await LedgerInvariants.VerifyAsync(db, LedgerChecks.Accounts));
        report.WriteLine();
        report.WriteLine("| round | lines (transfers) | accounts created | request s (target < 10) | service CPU s (tiered compilation) | transfers/s | pgbench clients | pgbench 10-per-commit transfers/s | pgbench p50 / p99 ms per commit | ratio (target ≥ 0.6) |");
        report.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            foreach (var (clients, raw) in r.Raw)
                report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Round} | {r.Lines:N0} | {r.AccountsCreated:N0} | {r.Seconds:F2} | {r.ServiceCpu.TotalSeconds:F2} ({r.Jit.TotalSeconds:F2}) | {r.Lines / r.Seconds:N0} | {clients} | {raw.PerSecond * 10:N0} | " +
                    $"{raw.P50Ms:F2} / {raw.P99Ms:F2} | {r.Lines / r.Seconds / (raw.PerSecond * 10):F2} |"));
        return 0;
    }

    private static async Task<long> AllocateAsync(HttpClient http, long programmeId, long yearId, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/programmes/{programmeId}/years/{yearId}/allocations")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"allocation answered {(int)response.StatusCode}: {text}");
        using var json = System.Text.Json.JsonDocument.Parse(text);
        return json.RootElement.GetProperty("entryId").GetInt64();
    }

    /// <summary>
    /// Allocations to the warm-up year, not measured: one line, or <paramref name="lines"/> lines and again (new amounts, the
    /// accounts now existing) until the runtime's tiered compilation used under 5 % of the service's CPU in the 2 s after one.
    /// </summary>
    private static async Task<string> WarmUpAsync(ServiceHost service, HttpClient http, long programmeId, long yearId,
        IReadOnlyList<long> schoolIds, IReadOnlyList<long> categoryIds, int lines)
    {
        var plan = schoolIds.SelectMany(s => categoryIds.Select(c => (s, c))).Take(Math.Max(1, lines)).ToList();
        var slices = new List<string>();
        for (var i = 1; i <= 10; i++)
        {
            var (cpuBefore, jitBefore) = (service.CpuTime(), service.TieredCompilationThreads());
            await AllocateAsync(http, programmeId, yearId, Body(plan.Select(x => (x.s, x.c, 100L + i)).ToList(), $"warm-up {i}", "2025-09-01"), $"warm-up-{i}");
            if (lines <= 1) return "warm-up: one one-line allocation to another year";
            await Task.Delay(TimeSpan.FromSeconds(2));
            var (cpu, jit) = (service.CpuTime() - cpuBefore, ServiceHost.Between(jitBefore, service.TieredCompilationThreads()));
            slices.Add(string.Create(CultureInfo.InvariantCulture, $"{cpu.TotalSeconds:F2} s ({jit.TotalSeconds:F2} s JIT)"));
            if (jit < cpu * 0.05) break;
        }
        return $"warm-up: {slices.Count} allocation(s) of {plan.Count:N0} lines to another year, each with the 2 s after it, service CPU: {string.Join(" → ", slices)}";
    }

    private static string Body(IReadOnlyList<(long School, long Category, long Amount)> lines, string description, string valueDate)
    {
        var b = new StringBuilder(lines.Count * 64);
        b.Append("{\"valueDate\":\"").Append(valueDate).Append("\",\"description\":\"").Append(description).Append("\",\"lines\":[");
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0) b.Append(',');
            b.Append(CultureInfo.InvariantCulture, $"{{\"schoolId\":{lines[i].School},\"categoryId\":{lines[i].Category},\"amount\":\"{lines[i].Amount / 100}.{lines[i].Amount % 100:00}\"}}");
        }
        return b.Append("]}").ToString();
    }

    /// <summary>A programme of every school in England: one year funded with £20bn (funding → unallocated; the allocations and the ceiling's transfers both draw on it), its categories; no school accounts yet.</summary>
    private static async Task<(long Programme, long Year, long[] Categories)> SeedNationalAsync(BenchCluster db, int schools, int categories)
    {
        var programmeId = (long)(await db.Scalar(
            "INSERT INTO programme (code, name, funder, area_kind) VALUES ('nat', 'National benchmark programme', 'Bench funder', 'icb') RETURNING id"))!;
        await db.Exec("""
            INSERT INTO area (programme_id, code, name) SELECT $1, 'icb-' || g, 'ICB ' || g FROM generate_series(1, 42) g
            """, programmeId);
        await db.Exec("""
            INSERT INTO school (programme_id, urn, name, phase, area_id, payee_reference)
            SELECT $1, (300000 + g)::text, 'National School ' || g, 'Primary', a.id, 'NAT-' || g
              FROM generate_series(1, $2) g JOIN area a ON a.programme_id = $1 AND a.code = 'icb-' || (1 + g % 42) ORDER BY g
            """, programmeId, schools);
        string[] kinds = ["staff-cover", "tlr-admin", "action-plan", "programme-pot"];
        await db.Exec("""
            INSERT INTO budget_category (programme_id, code, name, unit, kind)
            SELECT $1, (ARRAY['staff-cover', 'tlr-admin', 'action-plan', 'parent-carer-forums'])[1 + (g - 1) % 4] || CASE WHEN g > 4 THEN '-' || g ELSE '' END,
                   'Category ' || g, 'GBP', ($2::text[])[1 + (g - 1) % 4]
              FROM generate_series(1, $3) g ORDER BY g
            """, programmeId, kinds, categories);
        var yearId = await FundedYearAsync(db, programmeId, "2026-27", "2026-09-01", "2027-08-31");
        var categoryIds = (await db.IdsAsync("SELECT id FROM budget_category WHERE programme_id = $1 ORDER BY id", programmeId)).ToArray();
        return (programmeId, yearId, categoryIds);
    }

    /// <summary>A year of the national programme, its funding and unallocated accounts, and £20bn of funding posted between them.</summary>
    private static async Task<long> FundedYearAsync(BenchCluster db, long programmeId, string code, string startsOn, string endsOn)
    {
        var yearId = (long)(await db.Scalar(
            "INSERT INTO programme_year (programme_id, code, starts_on, ends_on) VALUES ($1, $2, $3::date, $4::date) RETURNING id",
            programmeId, code, startsOn, endsOn))!;
        await db.Exec("""
            INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id)
            VALUES ($1, 'GBP', 'nat:' || $3 || ':funding', 'Funding ' || $3, 'debit', 'none', $2),
                   ($1, 'GBP', 'nat:' || $3 || ':unallocated', 'Unallocated ' || $3, 'credit', 'debits_within_credits', $2)
            """, programmeId, yearId, code);
        await BenchProgramme.FundAsync(db, programmeId, startsOn, $"nat:{code}:funding", $"nat:{code}:unallocated", 2_000_000_000_000);
        return yearId;
    }

    private static async Task<(long Count, long Total)> EntryAsync(BenchCluster db, long entryId)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT count(*), coalesce(sum(amount), 0)::bigint FROM transfer WHERE entry_id = $1");
        cmd.Parameters.Add(new() { Value = entryId });
        await using var rows = await cmd.ExecuteReaderAsync();
        await rows.ReadAsync();
        return (rows.GetInt64(0), rows.GetInt64(1));
    }

    /// <summary>The longest run of consecutive ids among the programme's 'available' accounts: the pgbench script picks from a range.</summary>
    private static async Task<(long First, long Last)> AvailableRangeAsync(BenchCluster db, long programmeId)
    {
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT min(id), max(id) FROM (
                SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM account WHERE programme_id = $1 AND code LIKE '%:available') a
             GROUP BY run ORDER BY count(*) DESC LIMIT 1
            """);
        cmd.Parameters.Add(new() { Value = programmeId });
        await using var rows = await cmd.ExecuteReaderAsync();
        await rows.ReadAsync();
        return (rows.GetInt64(0), rows.GetInt64(1));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GrantLedger.Web.Access;

namespace GrantLedger.Bench;

/// <summary>Whose reads <c>reads</c> measures: a school business manager's unless one other role is named.</summary>
public enum ReadsRole { SchoolBusinessManager, Auditor, AreaLead, Finance }

public static class ReadsRoles
{
    private static readonly (string Flag, ReadsRole Role)[] Flags = [("auditor", ReadsRole.Auditor), ("area-lead", ReadsRole.AreaLead), ("finance", ReadsRole.Finance)];

    /// <summary>The role named by <c>--auditor</c>, <c>--area-lead</c> or <c>--finance</c>; at most one of them.</summary>
    public static ReadsRole Of(Args options)
    {
        var named = Flags.Where(f => options.Get(f.Flag) is not null).ToList();
        return named.Count switch
        {
            0 => ReadsRole.SchoolBusinessManager,
            1 => named[0].Role,
            _ => throw new ArgumentException("reads measures one role's reads: give at most one of " + string.Join(", ", named.Select(f => "--" + f.Flag))),
        };
    }
}

/// <summary>
/// <c>reads --cluster DIR [--schools 100] [--seconds 20] [--connections 1,4]</c>: a school business
/// manager's reads at national scale, over HTTP, measured with wrk. Starts the service as a real
/// process (the built GrantLedger.Web.dll, as the reliability tests do) on an already-seeded cluster
/// (<c>seed-national --cluster DIR</c>; started if stopped, never reseeded), makes a school business
/// manager for each of a sample of schools through the service's own endpoints (an admin made with
/// the service's <c>admin create</c> command, users by <c>POST /api/v1/users</c> with a one-time password, each choosing
/// their own by <c>POST /api/v1/auth/password</c>, tokens by <c>POST /api/v1/auth/token</c>), then drives, each for a fixed time at 1 and 4 connections, with a
/// random school and account per request (bench/requests.lua): the statement (whole history, and from
/// the start of the year), the school's accounts with balances (now, and as of a date) and the payments to the school
/// (`--only` names some of these modes).
/// Target: p99 under 20 ms.
/// </summary>
public static partial class ReadsBench
{
    private const string ProgrammeCode = "pins";
    private const string Password = "bench-reads-password-2026";
    private const string OneTimePassword = "bench-reads-one-time-2026";
    private const string AdminName = "bench-reads-admin";
    private static readonly string[] Modes = ["statement", "statement-dated", "balances", "balances-dated", "payments", "dashboard"];

    /// <param name="autoPrepare">
    /// when given, the service's connection string gets Npgsql's "Max Auto Prepare" (and "Auto Prepare
    /// Min Usages=2"): statements run twice on a connection are prepared, so PostgreSQL stops planning them
    /// </param>
    public static async Task<int> RunAsync(string cluster, int schools, int seconds, int[] connections, int? autoPrepare, TextWriter report,
        ReadsRole role = ReadsRole.SchoolBusinessManager, string[]? only = null)
    {
        if (!File.Exists("/usr/bin/wrk") && !File.Exists("/usr/local/bin/wrk"))
        {
            report.WriteLine("wrk is not installed: apt-get install -y wrk (scripts/prerequisites.sh: need_wrk)");
            return 2;
        }
        await using var db = await BenchCluster.StartAsync(cluster);
        if (await db.Scalar("SELECT id FROM programme WHERE code = $1", ProgrammeCode) is not long programmeId)
        {
            report.WriteLine($"no programme '{ProgrammeCode}' in {cluster}: seed it first (seed-national --cluster {cluster})");
            return 2;
        }
        report.WriteLine($"cluster: {await db.SettingsAsync()}, in {Path.GetFullPath(cluster)}");
        report.WriteLine($"programme {programmeId}: {await db.Scalar("SELECT count(*) FROM school WHERE programme_id = $1", programmeId):N0} schools, " +
                         $"{await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", programmeId):N0} accounts, " +
                         $"{await db.Scalar("SELECT count(*) FROM transfer WHERE programme_id = $1", programmeId):N0} transfers (ledger lines), " +
                         $"database {await db.Scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")}");

        var serviceConnection = autoPrepare is { } max
            ? new Npgsql.NpgsqlConnectionStringBuilder(db.ServiceConnectionString) { MaxAutoPrepare = max, AutoPrepareMinUsages = 2 }.ConnectionString
            : db.ServiceConnectionString;
        report.WriteLine(autoPrepare is null ? "service: its own connection settings (Npgsql prepares repeated statements: Max Auto Prepare=100)"
                                             : $"service: Max Auto Prepare={autoPrepare}, Auto Prepare Min Usages=2 in its connection string");
        var port = FreePort();
        using var service = StartService(serviceConnection, db.ConnectionString, port);
        try
        {
            var baseAddress = new Uri($"http://127.0.0.1:{port}");
            await WaitReadyAsync(service, baseAddress);
            report.WriteLine(await ServiceHost.SettleAsync(db)); // a freshly seeded cluster's first service seals the seed's entries
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };

            var clock = Stopwatch.StartNew();
            await EnsureAdminAsync(db);
            var adminToken = await SignInAsync(http, AdminName);
            switch (role)
            {
                case ReadsRole.Auditor: return await AuditorReadsAsync(db, http, adminToken, baseAddress, programmeId, seconds, connections, only, report);
                case ReadsRole.AreaLead: return await AreaLeadReadsAsync(db, http, adminToken, baseAddress, programmeId, seconds, connections, only, report);
                case ReadsRole.Finance: return await FinanceReadsAsync(db, http, adminToken, baseAddress, programmeId, seconds, connections, only, report);
            }
            var sample = await SampleSchoolsAsync(db, programmeId, schools);
            var targets = new List<(string Token, long Account, long School)>();
            var created = 0;
            foreach (var (schoolId, urn) in sample)
            {
                var userName = $"bench-sbm-{urn}";
                if (await db.Scalar("SELECT id FROM app_user WHERE normalized_user_name = $1", userName.ToUpperInvariant()) is null)
                {
                    await CreateSchoolUserAsync(http, adminToken, userName, schoolId);
                    created++;
                }
                var token = await SignInAsync(http, userName);
                foreach (var account in await AccountsAsync(db, schoolId)) targets.Add((token, account, schoolId));
            }
            report.WriteLine($"{sample.Count} schools sampled ({created} school business managers made now), " +
                             $"{targets.Count:N0} accounts to read; users and tokens in {clock.Elapsed.TotalSeconds:F1} s");
            var files = new Dictionary<string, string>();
            var modes = Modes.Where(m => only is null || only.Contains(m)).ToList();
            foreach (var mode in modes)
                files[mode] = await RequestsFileAsync($"reads-{mode}", targets.Select(t => (t.Token, ReadPath(mode, t.Account, t.School, programmeId))));

            // JIT, EF Core's model and query caches, connection pool: what a running service has already paid. At the most
            // connections measured too: each new pooled connection's backend plans and caches afresh, and the first read
            // measured at four connections paid for its four (p99 24-87 ms, where the same read later paid nothing)
            foreach (var mode in modes) await WrkAsync(baseAddress, files[mode], mode, 1, 3);
            foreach (var mode in modes) await WrkAsync(baseAddress, files[mode], mode, connections.Max(), 2);

            report.WriteLine();
            report.WriteLine("| read | connections | requests | requests/s | p50 ms | p99 ms | non-2xx | load average (1 min) |");
            report.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var mode in modes)
            foreach (var c in connections)
            {
                var r = await WrkAsync(baseAddress, files[mode], mode, c, seconds);
                report.WriteLine($"| {Describe(mode)} | {c} | {r.Requests:N0} | {r.PerSecond:N0} | {r.P50:F2} | {r.P99:F2} | {r.Errors} | " +
                                 $"{ExportsBench.LoadAverage().Split(' ')[0]} |");
            }
            report.WriteLine($"load average after: {ExportsBench.LoadAverage()}");
            report.WriteLine("target: p99 under 20 ms");
            foreach (var file in files.Values) File.Delete(file);
            return 0;
        }
        finally
        {
            if (!service.HasExited) service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
        }
    }

    /// <summary>What a school business manager's read asks for, by mode, of one of their school's accounts.</summary>
    private static string ReadPath(string mode, long account, long school, long programme) => mode switch
    {
        "statement" => $"/api/v1/accounts/{account}/statement",
        "statement-dated" => $"/api/v1/accounts/{account}/statement?from=2026-09-01",
        "balances" => $"/api/v1/programmes/{programme}/accounts?schoolId={school}",
        "payments" => $"/api/v1/schools/{school}/payments",
        "dashboard" => "/school",
        _ => $"/api/v1/programmes/{programme}/accounts?schoolId={school}&asOf=2026-10-31",
    };

    /// <summary>Writes "TOKEN PATH" a line, what bench/requests.lua sends a random one of per request, and says where.</summary>
    private static async Task<string> RequestsFileAsync(string name, IEnumerable<(string Token, string Path)> requests)
    {
        var file = Path.Combine(Path.GetTempPath(), $"grantledger-bench-{Environment.ProcessId}-{name}.txt");
        await File.WriteAllLinesAsync(file, requests.Select(r => $"{r.Token} {r.Path}"));
        return file;
    }

    private static string Describe(string mode) => mode switch
    {
        "statement" => "statement, whole history",
        "statement-dated" => "statement from 2026-09-01",
        "balances" => "school's accounts with balances",
        "payments" => "the payments to the school",
        "dashboard" => "the school's dashboard (page)",
        _ => "school's accounts with balances as of 2026-10-31",
    };

    private static async Task<List<(long SchoolId, string Urn)>> SampleSchoolsAsync(BenchCluster db, long programmeId, int count)
    {
        var list = new List<(long, string)>();
        await using var cmd = db.DataSource.CreateCommand(
            "SELECT id, urn FROM school WHERE programme_id = $1 ORDER BY hashint4(id::int), id LIMIT $2");
        cmd.Parameters.Add(new() { Value = programmeId });
        cmd.Parameters.Add(new() { Value = count });
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync()) list.Add((rows.GetInt64(0), rows.GetString(1)));
        return list;
    }

    private static Task<List<long>> AccountsAsync(BenchCluster db, long schoolId) =>
        db.IdsAsync("SELECT id FROM account WHERE school_id = $1 ORDER BY id", schoolId);

    /// <summary>The first admin, made as a deployment makes it: the service's own <c>admin create</c> command.</summary>
    private static async Task EnsureAdminAsync(BenchCluster db)
    {
        if (await db.Scalar("SELECT id FROM app_user WHERE normalized_user_name = $1", AdminName.ToUpperInvariant()) is not null) return;
        var psi = ServiceStartInfo(db.ServiceConnectionString, db.ConnectionString, ["admin", "create", "--user-name", AdminName, "--display-name", "Bench reads admin",
                                                       "--password", Password]);
        using var admin = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var output = await admin.StandardOutput.ReadToEndAsync() + await admin.StandardError.ReadToEndAsync();
        await admin.WaitForExitAsync();
        if (admin.ExitCode != 0) throw new InvalidOperationException($"admin create failed ({admin.ExitCode}): {output}");
    }

    private static Task CreateSchoolUserAsync(HttpClient http, string adminToken, string userName, long schoolId) =>
        CreateUserAsync(http, adminToken, userName, new
        {
            userName, displayName = $"Business manager ({userName})", password = OneTimePassword, role = Roles.SchoolBusinessManager, schoolId,
        });

    private static async Task CreateUserAsync(HttpClient http, string adminToken, string userName, object user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/users") { Content = JsonContent.Create(user) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/v1/users for {userName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        // the admin's password is a one-time password: the user chooses their own before they can have a token
        using var chosen = await http.PostAsJsonAsync("/api/v1/auth/password", new { userName, currentPassword = OneTimePassword, newPassword = Password });
        if (chosen.StatusCode != HttpStatusCode.NoContent)
            throw new InvalidOperationException($"POST /api/v1/auth/password for {userName}: {(int)chosen.StatusCode} {await chosen.Content.ReadAsStringAsync()}");
    }

    private static async Task<string> SignInAsync(HttpClient http, string userName)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/auth/token", new { userName, password = Password, tokenName = "bench-reads", days = 1 });
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"sign-in of {userName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    public sealed record WrkResult(long Requests, double PerSecond, double P50, double P99, long Errors);

    /// <summary>wrk sending a random line of <paramref name="requestsFile"/> (<see cref="RequestsFileAsync"/>) per request.</summary>
    private static async Task<WrkResult> WrkAsync(Uri baseAddress, string requestsFile, string mode, int connections, int seconds)
    {
        var script = Path.Combine(Args.RepositoryRoot(), "bench", "requests.lua");
        var psi = new ProcessStartInfo("wrk", ["-t", Math.Min(connections, 2).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--latency", "--timeout", "10s",
            "-s", script, baseAddress.ToString().TrimEnd('/'), "--", requestsFile])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var wrk = Process.Start(psi) ?? throw new InvalidOperationException("could not start wrk");
        var stderr = wrk.StandardError.ReadToEndAsync();
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        if ((await stderr).Trim() is { Length: > 0 } errors) Console.WriteLine($"  wrk {mode}: {errors}");
        if (wrk.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({wrk.ExitCode}): {output}");
        var requests = long.Parse(RequestsLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var perSecond = double.Parse(PerSecondLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors2 = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(requests, perSecond, Percentile(output, "50%"), Percentile(output, "99%"), errors2);
    }

    /// <summary>wrk's "     99%   12.34ms" line, in milliseconds.</summary>
    private static double Percentile(string output, string which)
    {
        var m = Regex.Match(output, $@"^\s+{Regex.Escape(which)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success) return double.NaN;
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex PerSecondLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    // ---- the service as a process (the approach of tests/GrantLedger.Reliability.Tests/Support/ServiceProcess.cs)

    private static Process StartService(string connectionString, string ownerConnectionString, int port)
    {
        var psi = ServiceStartInfo(connectionString, ownerConnectionString, ["--urls", $"http://127.0.0.1:{port}"]);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ServiceLogs[process.Id] = log;
        return process;
    }

    private static readonly Dictionary<int, StringBuilder> ServiceLogs = [];

    /// <param name="connectionString">the role the service works as, which owns nothing (decision 25)</param>
    /// <param name="ownerConnectionString">the cluster's superuser, which applies the migrations</param>
    private static ProcessStartInfo ServiceStartInfo(string connectionString, string ownerConnectionString, string[] args)
    {
        // a hundred users sign in within seconds
        var psi = ServiceHost.StartInfo(WebDll(), connectionString, ownerConnectionString, args, signInsPerMinute: 100_000);
        psi.Environment["DOTNET_gcServer"] = "0";
        return psi;
    }

    private static async Task WaitReadyAsync(Process service, Uri baseAddress)
    {
        using var probe = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            if (service.HasExited)
                throw new InvalidOperationException($"the service exited with {service.ExitCode} while starting:\n{ServiceLogs[service.Id]}");
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the service did not become ready within 180 s:\n{ServiceLogs[service.Id]}");
    }

    /// <summary>The service's own build output for this configuration (src/GrantLedger.Web/bin/{configuration}/net10.0), with its runtimeconfig.</summary>
    private static string WebDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(Args.RepositoryRoot(), "src", "GrantLedger.Web", "bin", here.Parent!.Name, here.Name, "GrantLedger.Web.dll");
        if (!File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            throw new FileNotFoundException($"{dll} with its runtimeconfig was not found: build the bench (it builds the service)");
        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GrantLedger.Bench;

/// <summary>
/// The service as a real, separate process, as in production: the Release build of GrantLedger.Web
/// (`dotnet GrantLedger.Web.dll`) on Kestrel at 127.0.0.1 on a free port, against the benchmark's
/// cluster. The approach of tests/GrantLedger.Reliability.Tests/Support/ServiceProcess.cs, without
/// referencing the test project. Killed when disposed (and when the bench process exits).
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public int Port { get; }
    public int ProcessId => _process.Id;

    /// <summary>
    /// CPU the service process has used so far (user + system, all threads), from /proc/PID/stat:
    /// unlike wall-clock rates it hardly moves when other work shares the cores.
    /// </summary>
    public TimeSpan CpuTime() => CpuMeter.Process(File.ReadAllText($"/proc/{_process.Id}/stat")).Cpu;

    /// <summary>
    /// CPU used so far by each live thread of the runtime's tiered compilation (".NET Tiered Com…"), by thread
    /// id: the background re-compilation a fresh process does for its first minute or so under load. A thread
    /// that exits between two readings loses its last share, so a difference is a slight underestimate.
    /// </summary>
    public Dictionary<int, TimeSpan> TieredCompilationThreads()
    {
        var result = new Dictionary<int, TimeSpan>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
        {
            try
            {
                var (name, cpu) = CpuMeter.Process(File.ReadAllText(Path.Combine(dir, "stat")));
                if (name.StartsWith(".NET Tiered Com", StringComparison.Ordinal)) result[int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture)] = cpu;
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return result;
    }

    /// <summary>CPU the tiered-compilation threads used between two readings.</summary>
    public static TimeSpan Between(Dictionary<int, TimeSpan> before, Dictionary<int, TimeSpan> after) =>
        after.Aggregate(TimeSpan.Zero, (sum, t) => sum + t.Value - before.GetValueOrDefault(t.Key));

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    private ServiceHost(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>
    /// Lets the cluster settle before a benchmark's warm-up: waits until the service's sealer has sealed what the seed
    /// queued (the seeded history's journal entries wait in seal_queue; the sealer hashes them into their chains every
    /// 2 s from the service's start), then checkpoints, so that the seed's and the sealing's dirty pages are written out
    /// now rather than by a checkpoint spread over the measurements that follow. A service in production seals as it
    /// goes, on a cluster not just loaded (docs/performance.md, section 10). With <paramref name="vacuum"/>, a
    /// VACUUM (ANALYZE) comes before the checkpoint: between measurements, so that autovacuum does not work through one
    /// measurement's rows during the next (section 12).
    /// </summary>
    public static async Task<string> SettleAsync(BenchCluster db, bool vacuum = false)
    {
        var clock = Stopwatch.StartNew();
        async Task<long> Queued() => (long)(await db.Scalar("SELECT count(*) FROM seal_queue"))!;
        var backlog = await Queued();
        for (var left = backlog; left > 0; left = await Queued())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new InvalidOperationException("the service did not seal the seeded records within 10 minutes");
            await Task.Delay(250);
        }
        var sealedIn = clock.Elapsed;
        if (vacuum) await db.Exec("VACUUM (ANALYZE)");
        var vacuumedIn = clock.Elapsed;
        await db.Exec("CHECKPOINT");
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"settled: {backlog:N0} records still queued for sealing, sealed within {sealedIn.TotalSeconds:F1} s, " +
            $"{(vacuum ? $"then VACUUM (ANALYZE) ({(vacuumedIn - sealedIn).TotalSeconds:F1} s), " : "")}then a checkpoint ({(clock.Elapsed - vacuumedIn).TotalSeconds:F1} s)");
    }

    /// <summary>
    /// Starts the service and waits (at most 3 minutes) until /health/ready answers 200: working as the cluster's role that
    /// owns nothing, the migrations the superuser's, as a deployment runs it (decision 25).
    /// </summary>
    public static async Task<ServiceHost> StartAsync(BenchCluster db)
    {
        var port = FreePort();
        var psi = StartInfo(WebDll(), db.ServiceConnectionString, db.ConnectionString, ["--urls", $"http://127.0.0.1:{port}"], signInsPerMinute: 1_000_000);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var host = new ServiceHost(process, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => host.Kill();
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"the service exited with {process.ExitCode} while starting:\n{host.Log}");
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return host;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        host.Kill();
        throw new TimeoutException($"the service did not become ready within 3 minutes:\n{host.Log}");
    }

    public string Log
    {
        get { lock (_log) return _log.Length > 20_000 ? _log.ToString(_log.Length - 20_000, 20_000) : _log.ToString(); }
    }

    /// <summary>
    /// Submits one draft and waits for the answer, however long the first request takes (JIT, EF's model,
    /// the first pooled connections): on a busy machine that is longer than a timed warm-up lasts.
    /// </summary>
    public async Task FirstSubmitAsync(string token, long claimId)
    {
        using var http = Client(token);
        using var answer = await http.PostAsync($"/api/v1/claims/{claimId}/submit",
            new StringContent("{\"declaration\": true}", System.Text.Encoding.UTF8, "application/json"));
        if (answer.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"the first submission answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}\n{Log}");
    }

    /// <summary>A client signed in with <paramref name="token"/>.</summary>
    public HttpClient Client(string token, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>
    /// The service (or one of its commands) as a process of its own: production, demo off, warnings logged; working as
    /// <paramref name="connectionString"/>'s role, the migrations <paramref name="ownerConnectionString"/>'s (decision 25).
    /// </summary>
    public static ProcessStartInfo StartInfo(string dll, string connectionString, string ownerConnectionString, string[] args, int signInsPerMinute)
    {
        var psi = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ConnectionStrings__GrantLedger"] = connectionString;
        psi.Environment["ConnectionStrings__GrantLedgerOwner"] = ownerConnectionString;
        psi.Environment["GrantLedger__Demo"] = "false";
        psi.Environment["GrantLedger__SignInsPerMinute"] = signInsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        return psi;
    }

    /// <summary>The service's own Release build output, with its runtimeconfig (`dotnet run -c Release` of the bench builds it).</summary>
    public static string WebDll()
    {
        var dll = Path.Combine(Args.RepositoryRoot(), "src", "GrantLedger.Web", "bin", "Release", "net10.0", "GrantLedger.Web.dll");
        if (File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json"))) return dll;
        throw new FileNotFoundException($"{dll} was not found: build the service first (dotnet build -c Release src/GrantLedger.Web)");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// The service as a real, separate process: the built GrantLedger.Web.dll run with
/// `dotnet GrantLedger.Web.dll --urls http://127.0.0.1:{port}` and a connection string. It can be
/// killed like a crash (SIGKILL) and started again on the same port. Every process started here is
/// killed when the test ends, and again when the test run's process exits, failed or not.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static ServiceProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var p in Running.Values) TryKill(p);
    };

    private readonly string _connectionString;
    private readonly string _ownerConnectionString;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public string Name { get; }

    private ServiceProcess(string name, string connectionString, string ownerConnectionString, int port)
    {
        Name = name;
        _connectionString = connectionString;
        _ownerConnectionString = ownerConnectionString;
        Port = port;
    }

    /// <summary>Starts the service on a free loopback port and waits (at most a minute) until /health/ready answers 200.</summary>
    /// <param name="connectionString">the role the service works as</param>
    /// <param name="ownerConnectionString">the schema's owner, which applies the migrations</param>
    public static async Task<ServiceProcess> StartAsync(string connectionString, string ownerConnectionString, string name = "service")
    {
        var service = new ServiceProcess(name, connectionString, ownerConnectionString, FreePort());
        await service.StartAgainAsync();
        return service;
    }

    /// <summary>(Re)starts the process on the same port and connection string.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"{Name} is already running");
        var dll = WebDll();
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", BaseAddress.ToString().TrimEnd('/')])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ConnectionStrings__GrantLedger"] = _connectionString;
        psi.Environment["ConnectionStrings__GrantLedgerOwner"] = _ownerConnectionString;
        psi.Environment["GrantLedger__Demo"] = "false";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // each entry timed (UTC, the tests' clock), so that a drill's failure shows which wait came when
        psi.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        psi.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        Running[process.Id] = process;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (await BecomesReadyAsync(process, BaseAddress, TimeSpan.FromSeconds(180))) return;
        if (process.HasExited) throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting:\n{Log}");
        Kill();
        throw new TimeoutException($"{Name} did not become ready within 180 s:\n{Log}");
    }

    /// <summary>Asks the process's /health/ready until it answers 200 (true), or the process exits or the time runs out (false).</summary>
    public static async Task<bool> BecomesReadyAsync(Process process, Uri baseAddress, TimeSpan within)
    {
        using var probe = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        return false;
    }

    /// <summary>
    /// First requests to a fresh process pay for JIT and EF model building (seconds on a busy machine):
    /// pay that before a drill, so that the drill's timeouts measure the drill.
    /// </summary>
    public async Task WarmUpAsync(ApiClient user)
    {
        var client = As(user, TimeSpan.FromSeconds(120));
        foreach (var path in new[] { "/api/v1/programmes", "/api/v1/claims", "/api/v1/claims" })
            await client.GetAsync(path);
    }

    /// <summary>A crash: SIGKILL, no shutdown hooks, in-flight requests cut off.</summary>
    public void Kill()
    {
        if (_process is null) return;
        TryKill(_process);
        _process.WaitForExit(10_000);
        Running.TryRemove(_process.Id, out _);
    }

    public bool IsRunning => _process is { HasExited: false };

    public string Log
    {
        get { lock (_log) return _log.Length > 20_000 ? _log.ToString(_log.Length - 20_000, 20_000) : _log.ToString(); }
    }

    /// <summary>A client of this process signed in as the same user as <paramref name="user"/>, with a bounded timeout.</summary>
    public ApiClient As(ApiClient user, TimeSpan? timeout = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        return new ApiClient(http, user.Http.DefaultRequestHeaders.Authorization?.Parameter, user.UserId, user.UserName);
    }

    /// <summary>
    /// A browser's view of this process: an HTTP client with a cookie jar, signed in through the sign-in page's form (its
    /// antiforgery token read from the page) as <paramref name="userName"/>, following redirects as a browser does.
    /// </summary>
    public Task<HttpClient> SignedInPagesAsync(string userName, string password = DatabaseFixture.Password) =>
        SignedInPagesAsync(BaseAddress, userName, password, Name);

    /// <summary>The same, for a service at <paramref name="baseAddress"/> started some other way (run.sh).</summary>
    public static async Task<HttpClient> SignedInPagesAsync(Uri baseAddress, string userName, string password, string name)
    {
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var form = await http.GetStringAsync("/sign-in");
        var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        using var signedIn = await http.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = userName, ["password"] = password, ["__RequestVerificationToken"] = token, ["returnUrl"] = "/",
        }));
        if (!signedIn.IsSuccessStatusCode || signedIn.RequestMessage?.RequestUri?.AbsolutePath == "/sign-in")
            throw new InvalidOperationException($"{userName} could not sign in to {name}: {(int)signedIn.StatusCode} {signedIn.RequestMessage?.RequestUri}");
        return http;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private static void TryKill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>
    /// The service's own build output (src/GrantLedger.Web/bin/{configuration}/net10.0), which has its
    /// runtimeconfig and deps files; the copy beside the tests is the fallback.
    /// </summary>
    public static string WebDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;                 // net10.0
        var configuration = here.Parent?.Name;     // Debug or Release
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) continue;
            var own = Path.Combine(dir.FullName, "src", "GrantLedger.Web", "bin", configuration ?? "Debug", framework, "GrantLedger.Web.dll");
            if (File.Exists(own) && File.Exists(Path.ChangeExtension(own, ".runtimeconfig.json"))) return own;
            break;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "GrantLedger.Web.dll");
        if (File.Exists(Path.ChangeExtension(beside, ".runtimeconfig.json"))) return beside;
        throw new FileNotFoundException("GrantLedger.Web.dll with its runtimeconfig was not found: build the solution first");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

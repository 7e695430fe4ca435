using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

/// <summary>
/// The README's first command as a newcomer runs it: <c>./run.sh</c> with no connection string, which starts a PostgreSQL of
/// its own in the data folder, applies the migrations, loads the demo and serves it; and again, on the data it kept. Nothing
/// else ran it end to end: the demo was loaded in-process on the tests' own cluster.
/// </summary>
public sealed class RunScriptTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("GrantLedger.sln is not above the tests");
    }

    /// <summary>
    /// run.sh in a clean environment, as a newcomer's shell has it: no connection string, the real clock (not the tests' moved one),
    /// none of the test host's build variables; its data folder and its PostgreSQL's port its own.
    /// </summary>
    private static Process Start(string data, int port, int postgresPort, StringBuilder log)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "run.sh"), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = RepositoryRoot(), UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "LANG", "USER", "DOTNET_ROOT", "NUGET_PACKAGES", "DOTNET_CLI_HOME", "DOTNET_NOLOGO" })
            if (Environment.GetEnvironmentVariable(name) is { } value) psi.Environment[name] = value;
        psi.Environment["GrantLedger__DataDirectory"] = data;
        psi.Environment["GrantLedger__LocalPostgresPort"] = postgresPort.ToString();
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Served within 8 minutes: a first build check, a cluster made, every migration and the demo, on a busy machine.</summary>
    private static async Task ReadyAsync(Process process, HttpClient http, StringBuilder log) =>
        Assert.True(await ServiceProcess.BecomesReadyAsync(process, http.BaseAddress!, TimeSpan.FromMinutes(8)),
            process.HasExited ? $"run.sh exited with {process.ExitCode}:\n{Tail(log)}" : $"run.sh did not serve the demo within 8 minutes:\n{Tail(log)}");

    private static string Tail(StringBuilder log)
    {
        lock (log) return log.Length > 8000 ? log.ToString(log.Length - 8000, 8000) : log.ToString();
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(30_000);
    }

    [Fact]
    public async Task RunScript_StartsItsOwnPostgreSQL_ServesTheDemo_AndKeepsItWhenStartedAgain()
    {
        var data = Directory.CreateTempSubdirectory("grantledger-run-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101); // the server user goes through it to its cluster
        var (port, postgresPort) = (ServiceProcess.FreePort(), ServiceProcess.FreePort());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var log = new StringBuilder();
        var process = Start(data, port, postgresPort, log);
        try
        {
            await ReadyAsync(process, http, log);
            Assert.True(File.Exists(Path.Combine(data, "postgres", "pgdata", "PG_VERSION")), "the cluster is made in the data folder");
            Assert.Contains("Demo users (password for each: demo-password-2026):", Tail(log));

            // the demo's users, as the README tells a newcomer to sign in: a token from the credentials file, and the sign-in page
            var credentials = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "demo-credentials.json"))).RootElement;
            string Token(string user) => credentials.EnumerateArray().Single(c => c.GetProperty("userName").GetString() == user).GetProperty("token").GetString()!;
            async Task<JsonElement> GetAsync(string user, string path)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "Authorization", $"Bearer {Token(user)}" } } };
                using var answer = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone();
            }
            var programmes = await GetAsync("auditor", "/api/v1/programmes");
            Assert.Equal(["dm", "pins"], programmes.EnumerateArray().Select(p => p.GetProperty("code").GetString()).Order());
            var claims = (await GetAsync("dm-area-lead", "/api/v1/claims?limit=1000")).GetArrayLength();
            Assert.True(claims > 0, "the demo's borough has claims for its lead");
            using var page = await ServiceProcess.SignedInPagesAsync(http.BaseAddress!, "dm-school", "demo-password-2026", "run.sh's service");
            Assert.Contains("Your school's budget", await page.GetStringAsync("/school"));

            // started again: the same cluster, its data kept, the demo not loaded twice
            Stop(process);
            log.Clear();
            process = Start(data, port, postgresPort, log);
            await ReadyAsync(process, http, log);
            Assert.Equal(claims, (await GetAsync("dm-area-lead", "/api/v1/claims?limit=1000")).GetArrayLength());
            Assert.Equal(2, (await GetAsync("auditor", "/api/v1/programmes")).GetArrayLength());
        }
        finally
        {
            Stop(process);
            await ClusterControl.StopIfRunningAsync(Path.Combine(data, "postgres")); // the cluster run.sh's service started outlives the service killed
            try { Directory.Delete(data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

using System.Diagnostics;
using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Reliability.Tests.Support;

/// <summary>
/// Stops and starts the test cluster behind the service's back, and runs PostgreSQL's client tools
/// (pg_dump, pg_restore) against it. Server commands run as the postgres user when we are root.
/// </summary>
public static class ClusterControl
{
    private static string Bin(string tool) => Path.Combine(LocalPostgres.FindBinaries(), tool);

    /// <summary>A database outage: the server stops at once, without a checkpoint, cutting every connection.</summary>
    public static Task StopImmediateAsync(LocalPostgres cluster) =>
        RunAsync(Bin("pg_ctl"), ["-D", cluster.DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], asServerUser: true);

    /// <summary>The cluster under a data folder (<see cref="LocalPostgres"/>'s root), stopped at once if one runs there: one a killed service started.</summary>
    public static async Task StopIfRunningAsync(string root)
    {
        var data = Path.Combine(root, "pgdata");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
            await RunAsync(Bin("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], asServerUser: true, throwOnError: false);
    }

    /// <summary>Starts the stopped cluster again, on the port it had (kept in its configuration).</summary>
    public static Task StartAsync(LocalPostgres cluster) =>
        RunAsync(Bin("pg_ctl"), ["-D", cluster.DataDirectory, "-l", cluster.LogFile, "-w", "-t", "60", "start"], asServerUser: true);

    /// <summary>
    /// A database that stops answering without refusing (a frozen host, a network that drops packets): every PostgreSQL
    /// process stopped (SIGSTOP), the postmaster first so that it starts no others, every connection left open.
    /// </summary>
    public static async Task FreezeAsync(LocalPostgres cluster)
    {
        try
        {
            var postmaster = Postmaster(cluster);
            await RunAsync("kill", ["-STOP", postmaster.ToString()]);
            if (ChildrenOf(postmaster) is { Length: > 0 } children) await RunAsync("kill", ["-STOP", .. children.Select(c => c.ToString())], throwOnError: false);
        }
        catch
        {
            await ThawAsync(cluster);
            throw;
        }
    }

    /// <summary>The cluster's processes carry on (SIGCONT) where they stopped; harmless for a cluster that is not frozen.</summary>
    public static async Task ThawAsync(LocalPostgres cluster)
    {
        if (!File.Exists(Path.Combine(cluster.DataDirectory, "postmaster.pid"))) return;
        var postmaster = Postmaster(cluster);
        await RunAsync("kill", ["-CONT", .. ChildrenOf(postmaster).Select(c => c.ToString()), postmaster.ToString()], throwOnError: false);
    }

    private static int Postmaster(LocalPostgres cluster) =>
        int.Parse(File.ReadLines(Path.Combine(cluster.DataDirectory, "postmaster.pid")).First().Trim());

    private static int[] ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit))
            .Select(int.Parse).Where(pid => ParentOf(pid) == parent).ToArray();

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: pid (comm) state ppid …; comm may hold spaces, so read after its closing parenthesis
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return null; } // the process ended meanwhile
    }

    public static async Task<bool> IsRunningAsync(LocalPostgres cluster) =>
        await RunAsync(Bin("pg_ctl"), ["-D", cluster.DataDirectory, "status"], asServerUser: true, throwOnError: false) == 0;

    /// <summary>
    /// A hot standby of the cluster under <paramref name="root"/>, streaming its WAL as a reports replica would: a base
    /// backup (pg_basebackup -R writes the standby's signal and its primary's address), started on a port of its own.
    /// </summary>
    public static async Task<LocalPostgres> StartStandbyAsync(LocalPostgres primary, string root)
    {
        Directory.CreateDirectory(root);
        if (Environment.UserName == "root") await RunAsync("chown", ["postgres:postgres", root]);
        await RunAsync(Bin("pg_basebackup"), ["-h", "127.0.0.1", "-p", primary.Port.ToString(), "-U", "postgres", "-D", Path.Combine(root, "pgdata"),
            "-R", "-X", "stream", "-c", "fast", "--no-sync"], asServerUser: true);
        return await LocalPostgres.StartAsync(root, throwaway: true); // its own port and socket, written over the primary's
    }

    public static Task DumpAsync(LocalPostgres cluster, string database, string file) =>
        RunAsync(Bin("pg_dump"), ["-h", "127.0.0.1", "-p", cluster.Port.ToString(), "-U", "postgres", "-Fc", "-f", file, database]);

    public static Task RestoreAsync(LocalPostgres cluster, string database, string file) =>
        RunAsync(Bin("pg_restore"), ["-h", "127.0.0.1", "-p", cluster.Port.ToString(), "-U", "postgres", "--no-owner", "--exit-on-error",
            "-d", database, file]);

    public static async Task<int> RunAsync(string program, string[] args, bool asServerUser = false, bool throwOnError = true)
    {
        var psi = asServerUser && Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. args])
            : new ProcessStartInfo(program, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.WorkingDirectory = "/";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', args)} took more than 2 minutes");
        }
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        return process.ExitCode;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of our own, made from the machine's PostgreSQL binaries in a folder we
/// own: the service uses one when no connection string is configured, and the tests use a
/// throwaway one. Listens on 127.0.0.1 only, with trust authentication (loopback, local use).
/// When running as root, the server runs as the 'postgres' user, as initdb requires.
/// </summary>
public sealed class LocalPostgres
{
    private readonly string _bin;
    private readonly bool _throwaway;

    public string DataDirectory { get; }
    public string SocketDirectory { get; }
    public string LogFile { get; }
    public int Port { get; private set; }

    /// <summary>True when this process started the server (and so should stop it); false when it was already running.</summary>
    public bool StartedHere { get; private set; }

    private LocalPostgres(string root, bool throwaway, string? bin)
    {
        _bin = bin ?? FindBinaries();
        _throwaway = throwaway;
        DataDirectory = Path.Combine(root, "pgdata");
        SocketDirectory = Path.Combine(root, "pgsocket");
        LogFile = Path.Combine(root, "postgres.log");
    }

    /// <summary>
    /// Creates the cluster under <paramref name="root"/> if it is not there, and starts it if it is
    /// not running. A <paramref name="throwaway"/> cluster (tests) runs without fsync.
    /// </summary>
    public static async Task<LocalPostgres> StartAsync(string root, bool throwaway = false, string? binDirectory = null,
        int? preferredPort = null, CancellationToken ct = default)
    {
        var pg = new LocalPostgres(Path.GetFullPath(root), throwaway, binDirectory);
        await pg.EnsureStartedAsync(preferredPort, ct);
        return pg;
    }

    /// <param name="role">who connects: the cluster's superuser unless said (trust on 127.0.0.1, no password)</param>
    public string ConnectionString(string database = "postgres", string role = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = role,
        Database = database,
    }.ConnectionString;

    public async Task CreateDatabaseIfMissingAsync(string database, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString());
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn)
        {
            Parameters = { new() { Value = database } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Statements.Identifier(database)}", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// The database migrated as the cluster's superuser, and the role the service works as (<see cref="ServiceRole.Local"/>)
    /// made and given its rows, as a deployment's two roles are (decision 25): the tests' and the benchmarks' clusters.
    /// </summary>
    /// <param name="commandTimeout">seconds a statement may take, the migrations' and the service's (Npgsql's 30 unless said)</param>
    /// <returns>the service's connection string to the database, with that timeout</returns>
    public async Task<string> MigrateForTheServiceAsync(string database, int commandTimeout = 30, CancellationToken ct = default)
    {
        string As(string role) => new NpgsqlConnectionStringBuilder(ConnectionString(database, role)) { CommandTimeout = commandTimeout }.ConnectionString;
        var owner = As("postgres");
        await Migrator.ApplyAsync(owner, ct: ct);
        await CreateLoginRoleIfMissingAsync(ServiceRole.Local, ct);
        await ServiceRole.GrantAsync(owner, ServiceRole.Local, ct);
        return As(ServiceRole.Local);
    }

    /// <summary>A role that may log in and owns nothing (no superuser, no CREATEDB, no CREATEROLE), made once.</summary>
    public async Task CreateLoginRoleIfMissingAsync(string role, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString());
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", conn) { Parameters = { new() { Value = role } } };
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        await using var create = new NpgsqlCommand($"CREATE ROLE {Statements.Identifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", conn);
        try
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            // another process made it between the look and the CREATE
        }
    }

    public async Task StopAsync()
    {
        if (!File.Exists(Path.Combine(DataDirectory, "postmaster.pid"))) return;
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], CancellationToken.None, throwOnError: false);
    }

    private async Task EnsureStartedAsync(int? preferredPort, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DataDirectory)!);
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(DataDirectory);
            Directory.CreateDirectory(SocketDirectory);
            HandToServerUser(DataDirectory, SocketDirectory);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await RunAsync(Path.Combine(_bin, "initdb"),
                ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], ct);
            await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"),
                "\ninclude_if_exists = 'grantledger.conf'\n", ct);
        }

        if (await RunningPortAsync(ct) is { } running)
        {
            Port = running;
            return;
        }

        Directory.CreateDirectory(SocketDirectory);
        HandToServerUser(SocketDirectory);
        Port = preferredPort is { } p && IsFree(p) ? p : FreePort();
        var settings = $"""
            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{SocketDirectory}'
            max_connections = 200
            """;
        if (_throwaway) settings += "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        var conf = Path.Combine(DataDirectory, "grantledger.conf");
        await File.WriteAllTextAsync(conf, settings + "\n", ct);
        HandToServerUser(conf);
        if (File.Exists(LogFile)) HandToServerUser(LogFile);
        else
        {
            await File.WriteAllTextAsync(LogFile, "", ct);
            HandToServerUser(LogFile);
        }
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start"], ct);
        StartedHere = true;
    }

    /// <summary>The port of a server already running on this data folder, if one answers.</summary>
    private async Task<int?> RunningPortAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var status = await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "status"], ct, throwOnError: false);
        if (status != 0) return null;
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        return lines.Length > 3 && int.TryParse(lines[3], out var port) ? port : null;
    }

    private static bool RunningAsRoot => Environment.UserName == "root";

    private static void HandToServerUser(params string[] paths)
    {
        if (!RunningAsRoot) return;
        foreach (var path in paths)
        {
            using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", "postgres:postgres", path]) { UseShellExecute = false })!;
            chown.WaitForExit();
        }
    }

    private static async Task<int> RunAsync(string program, string[] args, CancellationToken ct, bool throwOnError = true)
    {
        var psi = RunningAsRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. args])
            : new ProcessStartInfo(program, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.WorkingDirectory = "/";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        return process.ExitCode;
    }

    /// <summary>The newest PostgreSQL under /usr/lib/postgresql, or GRANTLEDGER_PG_BIN.</summary>
    public static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("GRANTLEDGER_PG_BIN");
        if (!string.IsNullOrEmpty(configured)) return configured;
        var root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version).FirstOrDefault().Dir
            : null;
        return newest is null
            ? throw new InvalidOperationException(
                "No PostgreSQL server binaries found under /usr/lib/postgresql. Install them (apt-get install postgresql) " +
                "or set ConnectionStrings__GrantLedger to a database of your own.")
            : Path.Combine(newest, "bin");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

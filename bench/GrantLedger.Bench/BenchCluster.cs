using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster for one benchmark run, with the server's durable defaults:
/// fsync on, synchronous_commit on (LocalPostgres turns them off only for tests). Migrated with
/// the service's own Migrator; stopped and deleted at the end unless kept.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    public const string Database = "grantledger_bench";

    private readonly bool _keep;

    public LocalPostgres Postgres { get; }
    public string Root { get; }
    /// <summary>The cluster's superuser, which owns the schema: the seeds', the ceilings' and the checks'.</summary>
    public string ConnectionString { get; }

    /// <summary>The role the service works as, which owns nothing (<see cref="ServiceRole.Local"/>), as a deployment runs it (decision 25).</summary>
    public string ServiceConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    // bulk seeding commits tens of thousands of deferred checks at once: no 30 s timeout
    private const int CommandTimeout = 900;

    private BenchCluster(LocalPostgres pg, string root, bool keep, string serviceConnectionString)
    {
        Postgres = pg;
        Root = root;
        _keep = keep;
        ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(pg.ConnectionString(Database)) { CommandTimeout = CommandTimeout }.ConnectionString;
        ServiceConnectionString = serviceConnectionString;
        DataSource = DatabaseEndpoint.CreateDataSource(ConnectionString);
    }

    /// <param name="root">a folder to keep the cluster in (reused if it is there); a temporary one when null</param>
    public static async Task<BenchCluster> StartAsync(string? root = null)
    {
        var keep = root is not null;
        root ??= Path.Combine(Path.GetTempPath(), $"grantledger-bench-{Environment.ProcessId}");
        var pg = await LocalPostgres.StartAsync(root, throwaway: false);
        await pg.CreateDatabaseIfMissingAsync(Database);
        var cluster = new BenchCluster(pg, Path.GetFullPath(root), keep, await pg.MigrateForTheServiceAsync(Database, CommandTimeout));
        await cluster.RequireDurableAsync();
        return cluster;
    }

    /// <summary>Refuses to measure anything on a cluster that does not flush commits to disk.</summary>
    private async Task RequireDurableAsync()
    {
        foreach (var setting in new[] { "fsync", "synchronous_commit", "full_page_writes" })
        {
            var value = (string)(await Scalar($"SHOW {setting}"))!;
            if (value != "on") throw new InvalidOperationException($"{setting} is {value}: benchmarks run only with it on");
        }
    }

    /// <summary>
    /// How far PostgreSQL has written its WAL (the insert position, in bytes from the start, and as pg_waldump's
    /// <c>--start</c>/<c>--end</c> name it): two readings around a measurement say how much WAL it wrote, to the byte,
    /// without waiting for the statistics' collector.
    /// </summary>
    public async Task<(long Bytes, string Lsn)> WalPositionAsync()
    {
        await using var cmd = DataSource.CreateCommand("SELECT (l - '0/0'::pg_lsn)::bigint, l::text FROM pg_current_wal_insert_lsn() AS l");
        await using var row = await cmd.ExecuteReaderAsync();
        await row.ReadAsync();
        return (row.GetInt64(0), row.GetString(1));
    }

    /// <summary>Runs <paramref name="measurement"/> and says how much WAL was written meanwhile, and between which positions.</summary>
    public async Task<(T Result, WalWritten Wal)> WalDuringAsync<T>(Func<Task<T>> measurement)
    {
        var before = await WalPositionAsync();
        var result = await measurement();
        var after = await WalPositionAsync();
        return (result, new WalWritten(after.Bytes - before.Bytes, before.Lsn, after.Lsn));
    }

    public async Task<object?> Scalar(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>The first column of every row of <paramref name="sql"/>, as ids.</summary>
    public async Task<List<long>> IdsAsync(string sql, params object[] args)
    {
        var ids = new List<long>();
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync()) ids.Add(rows.GetInt64(0));
        return ids;
    }

    public async Task Exec(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Writes statements slower than <paramref name="ms"/> to the cluster's log (postgres.log), to see where time goes.</summary>
    public async Task LogSlowStatementsAsync(int ms)
    {
        await Exec($"ALTER SYSTEM SET log_min_duration_statement = {ms}");
        await Exec("SELECT pg_reload_conf()");
    }

    /// <summary>
    /// Runs a measurement and says which tables autovacuum worked on meanwhile: those it finished with (PostgreSQL's
    /// counts of autovacuums and autoanalyses before and after) and those it is working on at the end: "claim, staff_day
    /// (running)", or "none". Its work is counted in the cluster's CPU and shares the cores with the measurement.
    /// </summary>
    public async Task<(T Result, string Autovacuum)> AutovacuumDuringAsync<T>(Func<Task<T>> measurement)
    {
        var before = await AutovacuumCountsAsync();
        var result = await measurement();
        return (result, await AutovacuumSinceAsync(before));
    }

    /// <summary>How many times autovacuum has vacuumed and analysed each table so far.</summary>
    private async Task<Dictionary<string, long>> AutovacuumCountsAsync()
    {
        var counts = new Dictionary<string, long>();
        await using var cmd = DataSource.CreateCommand("SELECT relname, autovacuum_count + autoanalyze_count FROM pg_stat_user_tables");
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync()) counts[rows.GetString(0)] = rows.GetInt64(1);
        return counts;
    }

    private async Task<string> AutovacuumSinceAsync(Dictionary<string, long> before)
    {
        var after = await AutovacuumCountsAsync();
        var done = after.Where(t => t.Value > before.GetValueOrDefault(t.Key)).Select(t => t.Key).Order().ToList();
        // its query reads "autovacuum: VACUUM ANALYZE public.claim" (or "… (to prevent wraparound)"): the table, without its schema
        await using var cmd = DataSource.CreateCommand("""
            SELECT coalesce(string_agg(regexp_replace(regexp_replace(regexp_replace(query, ' [(]to prevent wraparound[)]$', ''), '^.* ', ''),
                                                      '^[^.]*[.]', ''), ', '), '')
              FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'
            """);
        var running = (string)(await cmd.ExecuteScalarAsync())!;
        var all = string.Join(", ", done.Concat(running.Length == 0 ? [] : running.Split(", ").Select(t => $"{t} (running)")));
        return all.Length == 0 ? "none" : all;
    }

    public async Task<string> SettingsAsync() =>
        $"fsync={await Scalar("SHOW fsync")}, synchronous_commit={await Scalar("SHOW synchronous_commit")}, " +
        $"shared_buffers={await Scalar("SHOW shared_buffers")}, {await Scalar("SELECT split_part(version(), ',', 1)")}";

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (_keep) return;
        await Postgres.StopAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>WAL written during a measurement: its bytes, and where it starts and ends (for <c>pg_waldump --stats</c>).</summary>
public sealed record WalWritten(long Bytes, string From, string To)
{
    public double PerOperation(long operations) => operations == 0 ? double.NaN : (double)Bytes / operations;
}

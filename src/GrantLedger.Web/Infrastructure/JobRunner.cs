using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>Wakes a runner when a job is asked for here (jobs asked for on other instances are found by polling).</summary>
public abstract class JobWakeUp
{
    private readonly SemaphoreSlim _signal = new(0);

    public void Wake()
    {
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _signal.WaitAsync(timeout, ct); }
        catch (OperationCanceledException) { }
    }
}

public static class JobRunnerSetup
{
    /// <summary>A runner of background jobs (one per instance) and what wakes it when a job is asked for.</summary>
    public static IServiceCollection AddJobRunner<TWakeUp, TRunner>(this IServiceCollection services)
        where TWakeUp : JobWakeUp where TRunner : JobRunner
    {
        services.AddSingleton<TWakeUp>();
        services.AddHostedService<TRunner>();
        return services;
    }
}

/// <summary>
/// Runs the queued jobs of one table (export_job, ledger_check_run) one at a time per instance. Each such table has an id and
/// a state (queued, running, succeeded or failed), started_at, finished_at and error. A job is taken with FOR UPDATE SKIP
/// LOCKED, so any number of instances share the queue, and held by a session advisory lock while it runs: a job that says
/// 'running' while nobody holds its lock was interrupted (the instance stopped or died) and is marked failed, at start-up
/// and every few seconds after.
/// </summary>
public abstract class JobRunner(IServiceProvider services, JobWakeUp wakeUp, ILogger log, string table, string interrupted) : BackgroundService
{
    protected IServiceProvider Services => services;
    protected ILogger Log => log;

    // resolved once running: the data source needs the database endpoint, which start-up resolves first
    // (the background pool: its polling every 2 s stays out of the requests' pool)
    protected NpgsqlDataSource DataSource => services.GetRequiredKeyedService<NpgsqlDataSource>(DatabaseEndpoint.Background);

    /// <summary>Runs the job, which this instance has marked running and holds the lock of, to its end: succeeded or failed.</summary>
    protected abstract Task RunAsync(NpgsqlConnection conn, long id, CancellationToken stop);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await FailInterruptedAsync(DataSource, table, interrupted, stop);
                while (!stop.IsCancellationRequested && await RunNextAsync(stop)) { }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                log.LogWarning(e, "The runner of {Table} could not reach the database; it tries again shortly", table);
            }
            await wakeUp.WaitAsync(TimeSpan.FromSeconds(2), stop);
        }
    }

    private static string Lock(string table) => $"hashtext('{table}'), @id::int";

    /// <summary>Marks failed, with <paramref name="error"/>, every job of the table left 'running' by an instance that no longer runs it.</summary>
    public static async Task<int> FailInterruptedAsync(NpgsqlDataSource dataSource, string table, string error, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var running = new List<long>();
        await using (var cmd = new NpgsqlCommand($"SELECT id FROM {table} WHERE state = 'running'", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) running.Add(r.GetInt64(0));
        var failed = 0;
        foreach (var id in running)
        {
            if (!await ScalarAsync<bool>(conn, $"SELECT pg_try_advisory_lock({Lock(table)})", id, ct)) continue; // still running somewhere
            try
            {
                await using var cmd = new NpgsqlCommand(
                    $"UPDATE {table} SET state = 'failed', error = @error, finished_at = now() WHERE id = @id AND state = 'running'", conn);
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("error", error);
                failed += await cmd.ExecuteNonQueryAsync(ct);
            }
            finally
            {
                await ScalarAsync<bool>(conn, $"SELECT pg_advisory_unlock({Lock(table)})", id, CancellationToken.None);
            }
        }
        return failed;
    }

    private async Task<bool> RunNextAsync(CancellationToken stop)
    {
        await using var conn = await DataSource.OpenConnectionAsync(stop);
        long id;
        await using (var tx = await conn.BeginTransactionAsync(stop))
        {
            await using (var cmd = new NpgsqlCommand($"SELECT id FROM {table} WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", conn, tx))
            {
                if (await cmd.ExecuteScalarAsync(stop) is not long next) return false;
                id = next;
            }
            await ScalarAsync<object>(conn, $"SELECT pg_advisory_lock({Lock(table)})", id, stop, tx);
            await using (var cmd = new NpgsqlCommand($"UPDATE {table} SET state = 'running', started_at = now() WHERE id = @id", conn, tx))
            {
                cmd.Parameters.AddWithValue("id", id);
                await cmd.ExecuteNonQueryAsync(stop);
            }
            await tx.CommitAsync(stop);
        }
        try
        {
            await RunAsync(conn, id, stop);
        }
        finally
        {
            if (conn.State == System.Data.ConnectionState.Open)
                await ScalarAsync<bool>(conn, $"SELECT pg_advisory_unlock({Lock(table)})", id, CancellationToken.None);
        }
        return true;
    }

    /// <summary>Marks the running job failed with why (at most 2,000 characters); if the database cannot be reached, the next sweep marks it.</summary>
    protected async Task FinishFailedAsync(NpgsqlConnection conn, long id, string error)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(
                $"UPDATE {table} SET state = 'failed', error = @error, finished_at = now() WHERE id = @id AND state = 'running'", conn);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("error", error.Length > 2000 ? error[..2000] : error);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            log.LogWarning(e, "Job {Id} of {Table} could not be marked failed; the next sweep will", id, table);
        }
    }

    protected static async Task<T?> ScalarAsync<T>(NpgsqlConnection conn, string sql, long id, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        return (T?)await cmd.ExecuteScalarAsync(ct);
    }
}

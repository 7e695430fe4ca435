using System.IO.Compression;
using System.Security.Cryptography;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace GrantLedger.Web.Exports;

/// <summary>Wakes the runner when a job is asked for here (jobs asked for on other instances are found by polling).</summary>
public sealed class ExportQueue
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

public static class ExportSetup
{
    public static IServiceCollection AddExports(this IServiceCollection services)
    {
        services.AddSingleton<ExportQueue>();
        services.AddHostedService<ExportRunner>();
        return services;
    }
}

/// <summary>
/// Runs queued export jobs one at a time per instance. A job is taken with FOR UPDATE SKIP LOCKED, so
/// any number of instances share the queue, and held by a session advisory lock while it runs: a job
/// that says 'running' while nobody holds its lock was interrupted (the instance stopped or died)
/// and is marked failed, at start-up and every few seconds after. The file is written to a
/// temporary folder (zipped when the export has several files), then stored in export_file with the
/// job's success in one transaction.
/// </summary>
public sealed class ExportRunner(IServiceProvider services, ExportQueue queue, ILogger<ExportRunner> log) : BackgroundService
{
    // resolved once running: the data source needs the database endpoint, which start-up resolves first
    // (the background pool: its polling every 2 s stays out of the requests' pool)
    private NpgsqlDataSource DataSource => services.GetRequiredKeyedService<NpgsqlDataSource>(DatabaseEndpoint.Background);

    public const string Interrupted = "interrupted: the service stopped while the export ran; ask for it again";
    private const string Lock = "hashtext('export_job'), @id::int";

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await FailInterruptedAsync(DataSource, stop);
                while (!stop.IsCancellationRequested && await RunNextAsync(stop)) { }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                log.LogWarning(e, "The export runner could not reach the database; it tries again shortly");
            }
            await queue.WaitAsync(TimeSpan.FromSeconds(2), stop);
        }
    }

    /// <summary>Marks failed every job left 'running' by an instance that no longer runs it.</summary>
    public static async Task<int> FailInterruptedAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var running = new List<long>();
        await using (var cmd = new NpgsqlCommand("SELECT id FROM export_job WHERE state = 'running'", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) running.Add(r.GetInt64(0));
        var failed = 0;
        foreach (var id in running)
        {
            if (!await Scalar<bool>(conn, $"SELECT pg_try_advisory_lock({Lock})", id, ct)) continue; // still running somewhere
            try
            {
                await using var cmd = new NpgsqlCommand(
                    "UPDATE export_job SET state = 'failed', error = @error, finished_at = now() WHERE id = @id AND state = 'running'", conn);
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("error", Interrupted);
                failed += await cmd.ExecuteNonQueryAsync(ct);
            }
            finally
            {
                await Scalar<bool>(conn, $"SELECT pg_advisory_unlock({Lock})", id, CancellationToken.None);
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
            await using (var cmd = new NpgsqlCommand("SELECT id FROM export_job WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", conn, tx))
            {
                if (await cmd.ExecuteScalarAsync(stop) is not long next) return false;
                id = next;
            }
            await Scalar<object>(conn, $"SELECT pg_advisory_lock({Lock})", id, stop, tx);
            await using (var cmd = new NpgsqlCommand("UPDATE export_job SET state = 'running', started_at = now() WHERE id = @id", conn, tx))
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
                await Scalar<bool>(conn, $"SELECT pg_advisory_unlock({Lock})", id, CancellationToken.None);
        }
        return true;
    }

    private async Task RunAsync(NpgsqlConnection conn, long id, CancellationToken stop)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"grantledger-export-{id}-{Guid.NewGuid():N}");
        var progress = new ExportProgress();
        using var ticking = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task? ticker = null;
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GrantLedgerDb>();
            var job = await db.Set<ExportJob>().AsNoTracking().SingleAsync(j => j.Id == id, stop);
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == job.RequestedBy, stop);
            var caller = new CurrentUser(user.Id, user.UserName ?? "", user.Role, user.ProgrammeId, user.AreaId, user.SchoolId);
            if (user.DisabledAt is not null) throw new Core.Rules.Forbidden("the user who asked for this export has been disabled");
            if (!ExportJobs.TryParseKind(job.Kind, out var kind)) throw new InvalidOperationException($"unknown export kind {job.Kind}");
            var programmeCode = await db.Programmes.Where(p => p.Id == job.ProgrammeId).Select(p => p.Code).SingleAsync(stop);
            ticker = TickAsync(conn, id, progress, ticking.Token);

            // on the reports replica when there is one and it has caught up with the request, else (or if it fails the export) on the primary
            var requestedLsn = await Scalar<string>(conn, "SELECT coalesce(requested_lsn::text, '') FROM export_job WHERE id = @id", id, stop);
            await using var replica = await services.GetRequiredService<ReportsReplica>().CaughtUpAsync(id, requestedLsn, stop);
            var (files, readFrom) = (default(IReadOnlyList<ExportedFile>), ReportsReplica.Primary);
            if (replica is not null)
                try
                {
                    (files, readFrom) = (await Exporter.WriteAsync(replica, caller, job.ProgrammeId, kind, job.AsOf, folder, progress, ct: stop), ReportsReplica.Replica);
                }
                catch (Exception e) when (e is NpgsqlException || ProblemAnswers.IsDatabaseUnavailable(e)) // the replica stopped, or cancelled a statement that conflicted with what it replayed
                {
                    log.LogWarning(e, "Export {Id} could not be read on the reports replica; it is read on the primary", id);
                    progress.Restart();
                }
            files ??= await Exporter.WriteAsync(db, caller, job.ProgrammeId, kind, job.AsOf, folder, progress, ct: stop);
            await ticking.CancelAsync();
            await ticker;
            var (path, name, type) = files.Count == 1
                ? (files[0].Path, Path.GetFileName(files[0].Path), files[0].ContentType)
                : Zip(files, Path.Combine(folder, $"{Exporter.Prefix(programmeCode, job.AsOf)}-{job.Kind}.zip"));
            await StoreAsync(conn, id, path, name, type, readFrom, stop);
            log.LogInformation("Export {Id} ({Kind} of programme {Programme} as of {AsOf}) succeeded, read on the {ReadFrom}", id, job.Kind,
                job.ProgrammeId, job.AsOf, readFrom);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            log.LogWarning(e, "Export {Id} failed", id);
            await FinishFailedAsync(conn, id, e is Core.Rules.RuleBroken or Core.Rules.Forbidden or Core.Rules.NotFound
                ? e.Message : $"the export failed ({e.GetType().Name}): {e.Message}");
        }
        catch (OperationCanceledException)
        {
            await FinishFailedAsync(conn, id, Interrupted);
        }
        finally
        {
            await ticking.CancelAsync();
            if (ticker is not null) await ticker;
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static (string Path, string Name, string Type) Zip(IReadOnlyList<ExportedFile> files, string zipPath)
    {
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
            foreach (var f in files) zip.CreateEntryFromFile(f.Path, Path.GetFileName(f.Path), CompressionLevel.Optimal);
        return (zipPath, Path.GetFileName(zipPath), "application/zip");
    }

    private static async Task StoreAsync(NpgsqlConnection conn, long id, string path, string name, string type, string readFrom, CancellationToken ct)
    {
        byte[] sha;
        await using (var read = File.OpenRead(path)) sha = await SHA256.HashDataAsync(read, ct);
        var size = new FileInfo(path).Length;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var content = File.OpenRead(path))
        await using (var cmd = new NpgsqlCommand("INSERT INTO export_file (job_id, content) VALUES (@id, @content)", conn, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.Add(new NpgsqlParameter("content", NpgsqlDbType.Bytea) { Value = content, Size = (int)Math.Min(size, int.MaxValue) });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = new NpgsqlCommand("""
            UPDATE export_job SET state = 'succeeded', percent_done = 100, finished_at = now(),
                   file_name = @name, content_type = @type, size_bytes = @size, sha256 = @sha, read_from = @from
             WHERE id = @id
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("name", name);
            cmd.Parameters.AddWithValue("type", type);
            cmd.Parameters.AddWithValue("size", size);
            cmd.Parameters.AddWithValue("sha", sha);
            cmd.Parameters.AddWithValue("from", readFrom);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private async Task FinishFailedAsync(NpgsqlConnection conn, long id, string error)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(
                "UPDATE export_job SET state = 'failed', error = @error, finished_at = now() WHERE id = @id AND state = 'running'", conn);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("error", error.Length > 2000 ? error[..2000] : error);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            log.LogWarning(e, "Export {Id} could not be marked failed; the next sweep will", id);
        }
    }

    /// <summary>Writes the percentage done to the job twice a second while it changes.</summary>
    private static async Task TickAsync(NpgsqlConnection conn, long id, ExportProgress progress, CancellationToken ct)
    {
        var last = -1;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct);
                var now = progress.Percent;
                if (now == last) continue;
                await using var cmd = new NpgsqlCommand("UPDATE export_job SET percent_done = @p WHERE id = @id AND state = 'running'", conn);
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("p", now);
                await cmd.ExecuteNonQueryAsync(ct);
                last = now;
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task<T?> Scalar<T>(NpgsqlConnection conn, string sql, long id, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        return (T?)await cmd.ExecuteScalarAsync(ct);
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace GrantLedger.Web.Exports;

/// <summary>Wakes the export runner when a job is asked for here.</summary>
public sealed class ExportQueue : JobWakeUp;

/// <summary>
/// Runs queued export jobs one at a time per instance (<see cref="JobRunner"/>: taken with SKIP LOCKED, held by an advisory
/// lock, an interrupted one marked failed). The file is written to a temporary folder (zipped when the export has several
/// files), then stored in export_file with the job's success in one transaction.
/// </summary>
public sealed class ExportRunner(IServiceProvider services, ExportQueue queue, ILogger<ExportRunner> log)
    : JobRunner(services, queue, log, "export_job", Interrupted)
{
    public const string Interrupted = "interrupted: the service stopped while the export ran; ask for it again";

    /// <summary>Marks failed every export left 'running' by an instance that no longer runs it.</summary>
    public static Task<int> FailInterruptedAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        FailInterruptedAsync(dataSource, "export_job", Interrupted, ct);

    protected override async Task RunAsync(NpgsqlConnection conn, long id, CancellationToken stop)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"grantledger-export-{id}-{Guid.NewGuid():N}");
        var progress = new ExportProgress();
        using var ticking = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task? ticker = null;
        try
        {
            await using var scope = Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GrantLedgerDb>();
            var job = await db.Set<ExportJob>().AsNoTracking().SingleAsync(j => j.Id == id, stop);
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == job.RequestedBy, stop);
            var caller = new CurrentUser(user.Id, user.UserName ?? "", user.Role, user.ProgrammeId, user.AreaId, user.SchoolId);
            if (user.DisabledAt is not null) throw new Core.Rules.Forbidden("the user who asked for this export has been disabled");
            if (!ExportJobs.TryParseKind(job.Kind, out var kind)) throw new InvalidOperationException($"unknown export kind {job.Kind}");
            var programmeCode = await db.Programmes.Where(p => p.Id == job.ProgrammeId).Select(p => p.Code).SingleAsync(stop);
            ticker = TickAsync(conn, id, progress, ticking.Token);

            // on the reports replica when there is one and it has caught up with the request, else (or if it fails the export) on the primary
            var requestedLsn = await ScalarAsync<string>(conn, "SELECT coalesce(requested_lsn::text, '') FROM export_job WHERE id = @id", id, stop);
            await using var replica = await Services.GetRequiredService<ReportsReplica>().CaughtUpAsync(id, requestedLsn, stop);
            var (files, readFrom) = (default(IReadOnlyList<ExportedFile>), ReportsReplica.Primary);
            if (replica is not null)
                try
                {
                    (files, readFrom) = (await Exporter.WriteAsync(replica, caller, job.ProgrammeId, kind, job.AsOf, folder, progress, ct: stop), ReportsReplica.Replica);
                }
                catch (Exception e) when (e is NpgsqlException || ProblemAnswers.IsDatabaseUnavailable(e)) // the replica stopped, or cancelled a statement that conflicted with what it replayed
                {
                    Log.LogWarning(e, "Export {Id} could not be read on the reports replica; it is read on the primary", id);
                    progress.Restart();
                }
            files ??= await Exporter.WriteAsync(db, caller, job.ProgrammeId, kind, job.AsOf, folder, progress, ct: stop);
            await ticking.CancelAsync();
            await ticker;
            var (path, name, type) = files.Count == 1
                ? (files[0].Path, Path.GetFileName(files[0].Path), files[0].ContentType)
                : Zip(files, Path.Combine(folder, $"{Exporter.Prefix(programmeCode, job.AsOf)}-{job.Kind}.zip"));
            await StoreAsync(conn, id, path, name, type, readFrom, stop);
            Log.LogInformation("Export {Id} ({Kind} of programme {Programme} as of {AsOf}) succeeded, read on the {ReadFrom}", id, job.Kind,
                job.ProgrammeId, job.AsOf, readFrom);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            Log.LogWarning(e, "Export {Id} failed", id);
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
}

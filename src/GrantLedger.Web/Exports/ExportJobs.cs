using System.Data;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace GrantLedger.Web.Exports;

public sealed class ExportJob
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    /// <summary>workbook, csv, hledger or beancount.</summary>
    public required string Kind { get; set; }
    public DateOnly AsOf { get; set; }
    /// <summary>queued, running, succeeded or failed.</summary>
    public string State { get; set; } = "queued";
    public int PercentDone { get; set; }
    public long RequestedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public string? FileName { get; set; }
    public string? ContentType { get; set; }
    public long? SizeBytes { get; set; }
    public byte[]? Sha256 { get; set; }
    /// <summary>Where a succeeded export read the ledger: "replica" (the reports replica, <see cref="ReportsReplica"/>) or "primary".</summary>
    public string? ReadFrom { get; set; }
}

public sealed class ExportJobConfiguration : IEntityTypeConfiguration<ExportJob>
{
    public void Configure(EntityTypeBuilder<ExportJob> b) => b.ToTable("export_job");
}

/// <summary>An export job as the API shows it; "file" is where to fetch the result once it has succeeded.</summary>
public sealed record ExportJobView(long Id, long ProgrammeId, string Kind, DateOnly AsOf, string State, int PercentDone,
    DateTimeOffset RequestedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error,
    string? FileName, string? ContentType, long? SizeBytes, string? Sha256, string? File, string? ReadFrom)
{
    public static ExportJobView Of(ExportJob j) => new(j.Id, j.ProgrammeId, j.Kind, j.AsOf, j.State, j.PercentDone, j.CreatedAt, j.StartedAt,
        j.FinishedAt, j.Error, j.FileName, j.ContentType, j.SizeBytes, j.Sha256 is null ? null : Convert.ToHexStringLower(j.Sha256),
        j.State == "succeeded" ? $"/api/v1/exports/{j.Id}/file" : null, j.ReadFrom);
}

/// <summary>
/// Exports through the API: asked for, run in the background by <see cref="ExportRunner"/> (on any
/// instance), watched, and fetched. Taken by funder finance, programme admins and auditors, for a
/// programme they see whole.
/// </summary>
public static class ExportJobs
{
    /// <param name="Kind">workbook, csv, hledger or beancount</param>
    /// <param name="AsOf">the balances at the end of this day (today when left out)</param>
    public sealed record NewExport([property: OneOf(typeof(ExportJobs), nameof(Kinds))] string? Kind, DateOnly? AsOf);

    /// <summary>The kinds of export, as the API spells them.</summary>
    public static readonly string[] Kinds = Enum.GetValues<ExportKind>().Select(k => Kebab.Of(k)).ToArray();

    public static bool TryParseKind(string? text, out ExportKind kind) => Kebab.TryParse(text, out kind);

    public static async Task<ExportJob> RequestAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewExport request,
        CancellationToken ct)
    {
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new NotFound("programme", programmeId);
        Exporter.EnsureMayExport(caller, programmeId);
        var errors = new FieldErrors();
        if (!TryParseKind(request.Kind, out var kind))
            errors.Add("kind", "must be one of: " + string.Join(", ", Kinds));
        var today = UkTime.Today;
        var asOf = request.AsOf ?? today;
        if (Ledger.LedgerReads.AsOfRefusal(asOf) is { } future) errors.Add("asOf", future);
        errors.ThrowIfAny();

        var job = new ExportJob { ProgrammeId = programmeId, Kind = Kebab.Of(kind), AsOf = asOf, RequestedBy = caller.Id };
        db.Add(job);
        await db.SaveChangesAsync(ct);
        audit.Record(AuditAction.ExportRequested, job.Id, programmeId, new { job.Kind, job.AsOf });
        await db.SaveChangesAsync(ct);
        return job;
    }

    public static async Task<ExportJob> FindAsync(GrantLedgerDb db, CurrentUser caller, long jobId, CancellationToken ct)
    {
        var job = await db.Set<ExportJob>().AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, ct) ?? throw new NotFound("export", jobId);
        Exporter.EnsureMayExport(caller, job.ProgrammeId);
        return job;
    }

    /// <summary>The programme's export jobs, for whoever may take its exports (what the web page lists, a page at a time).</summary>
    public static async Task<IQueryable<ExportJob>> OfProgrammeAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, CancellationToken ct)
    {
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new NotFound("programme", programmeId);
        Exporter.EnsureMayExport(caller, programmeId);
        return db.Set<ExportJob>().AsNoTracking().Where(j => j.ProgrammeId == programmeId);
    }

    /// <summary>The finished file, streamed from the database: the caller disposes the connection when the response is sent.</summary>
    public static async Task<(ExportJob Job, Stream Content, NpgsqlConnection Connection)> OpenFileAsync(GrantLedgerDb db, NpgsqlDataSource dataSource,
        CurrentUser caller, long jobId, CancellationToken ct)
    {
        var job = await FindAsync(db, caller, jobId, ct);
        if (job.State != "succeeded")
            throw new RuleBroken("export-not-ready",
                job.State == "failed" ? $"Export {job.Id} failed: {job.Error}" : $"Export {job.Id} is {job.State} ({job.PercentDone}% done): fetch it when it has succeeded.",
                409, details: new Dictionary<string, object?> { ["state"] = job.State, ["percentDone"] = job.PercentDone });
        var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var cmd = new NpgsqlCommand("SELECT content FROM export_file WHERE job_id = @id", conn);
            cmd.Parameters.AddWithValue("id", jobId);
            var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, ct);
            if (!await reader.ReadAsync(ct)) throw new NotFound("export file", jobId);
            return (job, reader.GetStream(0), conn);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }
}

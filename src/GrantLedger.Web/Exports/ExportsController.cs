using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Exports;

/// <summary>
/// Exports of a programme as of a date, run in the background: ask for one (202 with the job), watch
/// its percentage, fetch the file when it has succeeded. Funder finance, programme admins and
/// auditors, for a programme they see whole.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ExportsController(GrantLedgerDb db, AuditTrail audit, ExportQueue queue, NpgsqlDataSource dataSource) : ApiControllerBase
{
    /// <summary>
    /// Asks for an export: kind "workbook" (the reconciliation .xlsx), "csv" (a zip of a CSV per table),
    /// "hledger" or "beancount" (a zip of the money journal and the staff-time journal); asOf defaults to today.
    /// </summary>
    [HttpPost("programmes/{programmeId:long}/exports")]
    // finance, admins and auditors (DESIGN.md: the auditor "takes exports"), as the class says: an export job changes no record
    [ProducesResponseType(typeof(ExportJobView), 202)]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<ExportJobView>> Ask(long programmeId, ExportJobs.NewExport request, CancellationToken ct)
    {
        var job = await ExportJobs.RequestAsync(db, audit, Caller, programmeId, request, ct);
        queue.Wake();
        // with an Idempotency-Key the job is committed with the key, after this answer is made: the runner is woken again then
        Response.OnCompleted(() => { queue.Wake(); return Task.CompletedTask; });
        return Accepted($"/api/v1/exports/{job.Id}", ExportJobView.Of(job));
    }

    /// <summary>
    /// The programme's export jobs, newest first, as the exports page lists them: a job asked for earlier, whose address
    /// was not kept, found again. Page with ?before={the last job's id}.
    /// </summary>
    [HttpGet("programmes/{programmeId:long}/exports")]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    public async Task<IReadOnlyList<ExportJobView>> List(long programmeId, [FromQuery] long? before,
        [FromQuery, Limit(typeof(ExportsController), nameof(JobsPage))] int? limit, CancellationToken ct)
    {
        var size = JobsPage.Of(limit);
        var jobs = await ExportJobs.OfProgrammeAsync(db, Caller, programmeId, ct);
        if (before is { } last) jobs = jobs.Where(j => j.Id < last);
        return (await jobs.OrderByDescending(j => j.Id).Take(size).ToListAsync(ct)).Select(ExportJobView.Of).ToList();
    }

    public static readonly PageSize JobsPage = new(1000, 100);

    /// <summary>The job: queued, running (with its percentage done), succeeded (with where to fetch the file) or failed (with why).</summary>
    [HttpGet("exports/{jobId:long}")]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    public async Task<ExportJobView> Get(long jobId, CancellationToken ct) =>
        ExportJobView.Of(await ExportJobs.FindAsync(db, Caller, jobId, ct));

    /// <summary>The finished file (its SHA-256 in X-Content-SHA256); 409 until the job has succeeded.</summary>
    [HttpGet("exports/{jobId:long}/file")]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    [ProducesResponseType(typeof(ProblemDetails), 409)]
    public async Task<IActionResult> File(long jobId, CancellationToken ct)
    {
        var (job, content, connection) = await ExportJobs.OpenFileAsync(db, dataSource, Caller, jobId, ct);
        Response.RegisterForDisposeAsync(connection);
        Response.Headers["X-Content-SHA256"] = Convert.ToHexStringLower(job.Sha256!);
        return File(content, job.ContentType!, job.FileName);
    }
}

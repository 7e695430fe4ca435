using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Audit;

/// <summary>
/// The ledger's checks over a programme run in the background and kept (what the ledger's checks page shows): ask for a run
/// (202 with the run), watch it, read its report. For auditors, and the programme's admins and funder finance. Asking changes
/// no record of the ledger; it is on the audit trail.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class LedgerCheckRunsController(GrantLedgerDb db, AuditTrail audit, LedgerCheckQueue queue) : ApiControllerBase
{
    /// <summary>
    /// Asks for the checks of <c>GET /audit/programmes/{programmeId}/checks</c> to be run in the background and their report kept:
    /// the run is queued, then running, then succeeded with its report (each check, whether it holds, the rows that break it,
    /// at most "most" each: 1 to 100, 20 when left out) or failed with why.
    /// </summary>
    [HttpPost("audit/programmes/{programmeId:long}/check-runs")]
    [ProducesResponseType(typeof(LedgerCheckRunView), 202)]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<LedgerCheckRunView>> Ask(long programmeId, LedgerCheckRuns.NewRun? request, CancellationToken ct)
    {
        var run = await LedgerCheckRuns.RequestAsync(db, audit, Caller, programmeId, request ?? new(null), ct);
        queue.Wake();
        // with an Idempotency-Key the run is committed with the key, after this answer is made: the runner is woken again then
        Response.OnCompleted(() => { queue.Wake(); return Task.CompletedTask; });
        return Accepted($"/api/v1/audit/check-runs/{run.Id}", await LedgerCheckRuns.FindAsync(db, Caller, run.Id, ct));
    }

    /// <summary>The programme's runs of the checks, newest first, each with its report once it has one. Page with ?before={the last run's id}.</summary>
    [HttpGet("audit/programmes/{programmeId:long}/check-runs")]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    public Task<IReadOnlyList<LedgerCheckRunView>> List(long programmeId, [FromQuery] long? before,
        [FromQuery, Limit(typeof(LedgerCheckRuns), nameof(LedgerCheckRuns.RunsPage))] int? limit, CancellationToken ct) =>
        LedgerCheckRuns.OfProgrammeAsync(db, Caller, programmeId, before, LedgerCheckRuns.RunsPage.Of(limit), ct);

    /// <summary>One run: queued, running, succeeded (with its report) or failed (with why).</summary>
    [HttpGet("audit/check-runs/{checkRunId:long}")]
    [ProducesResponseType(typeof(ProblemDetails), 404)]
    public Task<LedgerCheckRunView> Get(long checkRunId, CancellationToken ct) => LedgerCheckRuns.FindAsync(db, Caller, checkRunId, ct);
}

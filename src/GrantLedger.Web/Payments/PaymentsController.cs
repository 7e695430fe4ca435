using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace GrantLedger.Web.Payments;

/// <summary>
/// Paying schools: payment runs built from approved claims and approved by a second finance user,
/// the payment file, confirmations from the finance system, and closing half-terms and years.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class PaymentsController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    public sealed record CancelRequest([property: MaxText(PaymentRuns.MostCancelReason)] string? Reason);

    private async Task<ActionResult<PaymentRunView>> Answer(long runId, int status, CancellationToken ct)
    {
        var view = await PaymentReads.DetailAsync(db, Caller, runId, ct);
        Response.Headers.ETag = view.ETag;
        return status == 201 ? Created($"/api/v1/payment-runs/{runId}", view) : Ok(view);
    }

    /// <summary>Builds a run from the programme's approved claims (of one area, of one half-term, approved on or before asOf): one payee per school.</summary>
    [HttpPost("programmes/{programmeId:long}/payment-runs")]
    [Authorize(Roles = Roles.FunderFinance)]
    [ProducesResponseType(typeof(PaymentRunView), 201)]
    public async Task<ActionResult<PaymentRunView>> Build(long programmeId, PaymentRuns.NewRun request, CancellationToken ct) =>
        await Answer((await PaymentRuns.BuildAsync(db, audit, Caller, programmeId, request, ct)).Id, 201, ct);

    /// <summary>The programme's payment runs, newest first; page with ?before={last id} until a page has fewer than limit.</summary>
    /// <param name="before">the id of the last run of the previous page</param>
    /// <param name="limit">runs per page, 1 to 5000 (default 500)</param>
    [HttpGet("programmes/{programmeId:long}/payment-runs")]
    public Task<IReadOnlyList<PaymentRunSummary>> List(long programmeId, [FromQuery, OneOf(typeof(PaymentReads), nameof(PaymentReads.States))] string? state,
        [FromQuery] long? before, [FromQuery, Limit(typeof(PaymentsController), nameof(RunsPage))] int? limit, CancellationToken ct) =>
        PaymentReads.ListAsync(db, Caller, programmeId, state, before, RunsPage.Of(limit), ct);

    public static readonly PageSize RunsPage = new(5000, 500);

    /// <summary>
    /// What is owed: the approved claims with money to pay that no run has taken yet, in all and by half-term (oldest first)
    /// and area, each row what a run for that half-term and area, built today, would pay.
    /// </summary>
    [HttpGet("programmes/{programmeId:long}/payments-owed")]
    public Task<PaymentRuns.OwedNow> Owed(long programmeId, CancellationToken ct) => PaymentRuns.OwedAsync(db, Caller, programmeId, ct);

    /// <summary>A run with its payees (each with the claims it pays and its confirmation) and the actions you may take now; with ?format=csv its payees, a row each, to check in a spreadsheet.</summary>
    [HttpGet("payment-runs/{runId:long}")]
    [ProducesResponseType(typeof(PaymentRunView), 200)]
    public async Task<IActionResult> Get(long runId, [FromQuery, OneOf(typeof(CsvAnswer), nameof(CsvAnswer.Formats))] string? format, CancellationToken ct)
    {
        if (!CsvAnswer.Wanted(Request, format)) return (await Answer(runId, 200, ct)).Result!;
        var view = await PaymentReads.DetailAsync(db, Caller, runId, ct);
        return PaymentReads.PayeesCsv(view, view.Payees);
    }

    /// <summary>Approves the run: a finance user other than the one who built it.</summary>
    [HttpPost("payment-runs/{runId:long}/approve")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.FunderFinance)]
    public async Task<ActionResult<PaymentRunView>> Approve(long runId, CancellationToken ct)
    {
        await PaymentRuns.FireAsync(db, audit, Caller, runId, PaymentRunTrigger.Approve, null, IfMatch, ct);
        return await Answer(runId, 200, ct);
    }

    /// <summary>Cancels the run before it is exported, with the reason: its claims return to approved.</summary>
    [HttpPost("payment-runs/{runId:long}/cancel")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.FunderFinance)]
    public async Task<ActionResult<PaymentRunView>> Cancel(long runId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CancelRequest? request,
        CancellationToken ct)
    {
        await PaymentRuns.FireAsync(db, audit, Caller, runId, PaymentRunTrigger.Cancel, request?.Reason, IfMatch, ct);
        return await Answer(runId, 200, ct);
    }

    /// <summary>Exports an approved run: answers with the payment file (CSV), which is kept exactly as it left.</summary>
    [HttpPost("payment-runs/{runId:long}/export")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.FunderFinance)]
    [Produces("text/csv")]
    [ProducesResponseType(typeof(string), 200, "text/csv")]
    public async Task<IActionResult> Export(long runId, CancellationToken ct)
    {
        var run = await PaymentRuns.ExportAsync(db, audit, Caller, runId, IfMatch, ct);
        return PaymentFile(run, run.PaymentFile!.File!);
    }

    /// <summary>The payment file of an exported run, again, byte for byte (its SHA-256 in X-Content-SHA256).</summary>
    [HttpGet("payment-runs/{runId:long}/file")]
    [Produces("text/csv")]
    [ProducesResponseType(typeof(string), 200, "text/csv")]
    public async Task<IActionResult> File(long runId, CancellationToken ct)
    {
        var (run, file) = await PaymentRuns.WithFileAsync(db, Caller, runId, ct);
        if (file is null)
            throw new Core.Rules.RuleBroken("not-exported", run.State == "cancelled"
                ? $"{run.Reference} was cancelled before it was exported: it has no payment file, and never will (its claims went back to approved, for a later run)."
                : $"{run.Reference} is {run.State}: it has no payment file until it is exported.", 409);
        return PaymentFile(run, file);
    }

    private FileContentResult PaymentFile(PaymentRun run, byte[] file)
    {
        Response.Headers["X-Content-SHA256"] = Convert.ToHexStringLower(run.FileSha256!);
        return File(file, "text/csv; charset=utf-8", $"{run.Reference}.csv");
    }

    /// <summary>
    /// Imports payment confirmations (CSV form field "file": remittance_reference, amount, date, status paid|failed).
    /// Matched lines are recorded; the report lists every line's outcome. The same file again changes nothing.
    /// </summary>
    [HttpPost("programmes/{programmeId:long}/payment-confirmations")]
    [Authorize(Roles = Roles.FunderFinance)]
    [Consumes("multipart/form-data")]
    [RequestSizeLimit(Confirmations.MaxBytes + 100_000)]
    [RequestFormLimits(MultipartBodyLengthLimit = Confirmations.MaxBytes + 100_000)]
    public async Task<Confirmations.Report> Confirm(long programmeId, IFormFile? file, CancellationToken ct)
    {
        if (file is null) throw new Core.Rules.InvalidInput("file", "attach the confirmations CSV as the form field 'file'");
        await using var content = file.OpenReadStream();
        return await Confirmations.ImportAsync(db, audit, Caller, programmeId, file.FileName, content, ct,
            idempotencyKey: Request.Headers[Idempotency.Header].FirstOrDefault());
    }

    /// <summary>
    /// Closes a half-term (in order): nothing dated inside it can be posted afterwards, and no claim can be started, moved into,
    /// added to or submitted for it. Says how many of its claims are still drafts and how many await a decision (a warning:
    /// the close does not wait for them; reviews and payments go on).
    /// </summary>
    [HttpPost("programmes/{programmeId:long}/years/{yearId:long}/periods/{periodId:long}/close")]
    [Authorize(Roles = Roles.FunderFinance)]
    public async Task<ClosedPeriodView> ClosePeriod(long programmeId, long yearId, long periodId, CancellationToken ct)
    {
        var closed = await Closing.ClosePeriodAsync(db, audit, Caller, programmeId, yearId, periodId, ct);
        var p = closed.Period;
        return new ClosedPeriodView(p.Id, p.Code, p.Name, p.StartsOn, p.EndsOn, true, closed.DraftClaims, closed.UndecidedClaims, closed.Warning);
    }

    /// <summary>A half-term as closed, with its claims still drafts and those awaiting a decision.</summary>
    public sealed record ClosedPeriodView(long Id, string Code, string Name, DateOnly StartsOn, DateOnly EndsOn, bool Closed, int DraftClaims,
        int UndecidedClaims, string? Warning);

    /// <summary>
    /// What closing the year would move now, per budget category (amount unspent and schools), with the fingerprint of those
    /// figures to post with the close (which then refuses 409 year-end-changed if they change first), whether the year is
    /// closed, the day it can be closed from, and the claims still awaiting a decision that the close waits for.
    /// </summary>
    [HttpGet("programmes/{programmeId:long}/years/{yearId:long}/year-end")]
    [Authorize(Roles = Roles.FunderFinance)]
    public Task<Closing.YearEndPreview> PreviewYearEnd(long programmeId, long yearId, CancellationToken ct) =>
        Closing.PreviewYearEndAsync(db, Caller, programmeId, yearId, ct);

    /// <summary>Closes the year: each category's unspent allocation lapses or carries forward to nextYearId, by one entry; then nothing more posts into the year.</summary>
    [HttpPost("programmes/{programmeId:long}/years/{yearId:long}/close")]
    [Authorize(Roles = Roles.FunderFinance)]
    public Task<Closing.YearEndReport> CloseYear(long programmeId, long yearId, Closing.YearEnd request, CancellationToken ct) =>
        Closing.CloseYearAsync(db, audit, Caller, programmeId, yearId, request, ct);
}

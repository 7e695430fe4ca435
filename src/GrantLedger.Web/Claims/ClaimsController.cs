using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Claims: drafted by the school (lines, evidence), submitted, reviewed by the area lead against the
/// school's plan, approved in full or for less, returned or rejected. Each claim answers with an
/// ETag; send it back as If-Match to act only on the version you read (409 if it changed).
/// </summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class ClaimsController(GrantLedgerDb db, AuditTrail audit, SubmissionGroups submissions) : ApiControllerBase
{

    /// <param name="created">the address of what a 201 created, when it has its own (an evidence file); else the claim's</param>
    private async Task<ActionResult<ClaimView>> Answer(long claimId, int status, CancellationToken ct, string? created = null)
    {
        var view = await ClaimReads.DetailAsync(db, Caller, claimId, ct);
        Response.Headers.ETag = view.ETag;
        return status == 201 ? Created(created ?? $"/api/v1/claims/{claimId}", view) : Ok(view);
    }

    /// <summary>Starts a draft claim for a half-term (the school business manager; school defaults to theirs).</summary>
    [HttpPost("claims")]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(typeof(ClaimView), 201)]
    public async Task<ActionResult<ClaimView>> Start(Drafting.NewClaim request, CancellationToken ct) =>
        await Answer((await Drafting.StartAsync(db, audit, Caller, request, ct)).Id, 201, ct);

    /// <summary>Claims you can see, newest first; page with ?before={last id}.</summary>
    [HttpGet("claims")]
    public async Task<IReadOnlyList<ClaimSummary>> List([FromQuery] long? programmeId, [FromQuery] long? schoolId, [FromQuery] long? areaId,
        [FromQuery, OneOf(typeof(ClaimReads), nameof(ClaimReads.States))] string? state, [FromQuery] long? periodId, [FromQuery] long? before,
        [FromQuery, Limit(typeof(ClaimsController), nameof(ClaimsPage))] int? limit, CancellationToken ct = default)
    {
        await SchoolScoping.EnsureFiltersInScopeAsync(db, Caller, programmeId, areaId, schoolId, ct);
        return await ClaimReads.ListAsync(db, Caller, programmeId, schoolId, areaId, state, periodId, before, ClaimsPage.Of(limit), ct);
    }

    public static readonly PageSize ClaimsPage = new(1000, 100);

    /// <summary>
    /// A claim with its lines, evidence (flagged when the same file is on another claim), while a
    /// draft what it would leave in each budget category, the school's agreed plan beside it
    /// (estimated, claimed and approved per action), its history, and the actions you may take now.
    /// </summary>
    [HttpGet("claims/{claimId:long}")]
    public Task<ActionResult<ClaimView>> Get(long claimId, CancellationToken ct) => Answer(claimId, 200, ct);

    [HttpPatch("claims/{claimId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public async Task<ActionResult<ClaimView>> Change(long claimId, Drafting.ClaimChange request, CancellationToken ct)
    {
        await Drafting.ChangeAsync(db, audit, Caller, claimId, request, IfMatch, ct);
        return await Answer(claimId, 200, ct);
    }

    /// <summary>Discards a draft that was never submitted.</summary>
    [HttpDelete("claims/{claimId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(204)]
    public async Task<IActionResult> Discard(long claimId, CancellationToken ct)
    {
        await Drafting.DiscardAsync(db, audit, Caller, claimId, IfMatch, ct);
        return NoContent();
    }

    /// <summary>Adds a line: staff-time, tlr, support-hours, action-plan or specialist-days.</summary>
    [HttpPost("claims/{claimId:long}/lines")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(typeof(ClaimView), 201)]
    public async Task<ActionResult<ClaimView>> AddLine(long claimId, LineEditing.LineInput request, CancellationToken ct)
    {
        await LineEditing.AddAsync(db, audit, Caller, claimId, request, IfMatch, ct);
        return await Answer(claimId, 201, ct);
    }

    /// <summary>
    /// Adds lines from a CSV, sent as the body (text/csv) or as the form field "file": a row per line, the columns
    /// named as a line's fields (kind, categoryId, allowanceCategoryId, staffRef, role, activity, date, hours, days,
    /// actionId, supplier, invoiceRef, amount, specialist, description; a category by its id, code or name; an action
    /// by its id or, in an actionRef column, by its number in the school's agreed plan), at most 500 rows. All or none:
    /// every refused
    /// row comes back by its line in the file and its field ("line 3, hours"), and then no line is added.
    /// </summary>
    [HttpPost("claims/{claimId:long}/lines/import")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [RequestSizeLimit(1_000_000)]
    [RequestFormLimits(MultipartBodyLengthLimit = 1_000_000)]
    [Consumes("text/csv", "multipart/form-data")]
    public async Task<ActionResult<ClaimView>> ImportLines(long claimId, CancellationToken ct)
    {
        await LineImport.RunAsync(db, audit, Caller, claimId, await UploadedCsvAsync(ct), IfMatch, ct);
        return await Answer(claimId, 200, ct);
    }

    [HttpPut("claims/{claimId:long}/lines/{lineId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public async Task<ActionResult<ClaimView>> ChangeLine(long claimId, long lineId, LineEditing.LineInput request, CancellationToken ct)
    {
        await LineEditing.ChangeAsync(db, audit, Caller, claimId, lineId, request, IfMatch, ct);
        return await Answer(claimId, 200, ct);
    }

    [HttpDelete("claims/{claimId:long}/lines/{lineId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public async Task<ActionResult<ClaimView>> RemoveLine(long claimId, long lineId, CancellationToken ct)
    {
        await LineEditing.RemoveAsync(db, audit, Caller, claimId, lineId, IfMatch, ct);
        return await Answer(claimId, 200, ct);
    }

    /// <summary>
    /// Attaches a PDF, PNG or JPEG (at most 10 MB) as form field "file", optionally to a line ("lineId"): 201 with the file's
    /// address in Location (GET /api/v1/evidence/{id}) and the claim, with the file among its evidence, as the answer.
    /// </summary>
    [HttpPost("claims/{claimId:long}/evidence")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [Consumes("multipart/form-data")]
    [RequestSizeLimit(11_000_000)]
    [RequestFormLimits(MultipartBodyLengthLimit = 11_000_000)]
    [ProducesResponseType(typeof(ClaimView), 201)]
    public async Task<ActionResult<ClaimView>> AttachEvidence(long claimId, IFormFile? file, [FromForm] long? lineId, CancellationToken ct)
    {
        if (file is null) throw new Core.Rules.InvalidInput("file", "attach the file as the form field 'file'");
        await using var content = file.OpenReadStream();
        var evidence = await EvidenceFiles.AttachAsync(db, audit, Caller, claimId, lineId, file.FileName, content, IfMatch, ct);
        return await Answer(claimId, 201, ct, $"/api/v1/evidence/{evidence.Id}"); // the file's own address; the answer, the claim with it
    }

    /// <summary>The evidence file itself, for whoever may see its claim.</summary>
    [HttpGet("evidence/{evidenceId:long}")]
    public async Task<IActionResult> Evidence(long evidenceId, CancellationToken ct)
    {
        var evidence = await EvidenceFiles.ReadAsync(db, Caller, evidenceId, ct);
        Response.Headers["X-Content-SHA256"] = Convert.ToHexStringLower(evidence.Sha256);
        return File(evidence.Content, evidence.ContentType, evidence.FileName);
    }

    /// <summary>Removes an evidence file from its draft claim; If-Match, when sent, is the claim's ETag.</summary>
    [HttpDelete("evidence/{evidenceId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(204)]
    public async Task<IActionResult> RemoveEvidence(long evidenceId, CancellationToken ct)
    {
        await EvidenceFiles.RemoveAsync(db, audit, Caller, evidenceId, IfMatch, ct);
        return NoContent();
    }

    /// <summary>Submits the claim with the declaration: reserves its amounts; refused with 422, saying by how much, beyond what is available.</summary>
    [HttpPost("claims/{claimId:long}/submit")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public Task<ActionResult<ClaimView>> Submit(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.Submit, request, ct);

    /// <summary>Withdraws a submitted claim before review starts: releases what it reserved.</summary>
    [HttpPost("claims/{claimId:long}/withdraw")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public Task<ActionResult<ClaimView>> Withdraw(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.Withdraw, request, ct);

    [HttpPost("claims/{claimId:long}/start-review")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead)]
    public Task<ActionResult<ClaimView>> StartReview(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.StartReview, request, ct);

    /// <summary>
    /// Approves: in full, or with reduced ("sanctioned") amounts per line, each with a reason. At or above the
    /// programme's threshold it then awaits a programme admin's second approval.
    /// </summary>
    [HttpPost("claims/{claimId:long}/approve")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead)]
    public Task<ActionResult<ClaimView>> Approve(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.Approve, request, ct);

    [HttpPost("claims/{claimId:long}/second-approve")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public Task<ActionResult<ClaimView>> SecondApprove(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.SecondApprove, request, ct);

    /// <summary>Returns the claim to the school as a draft, with the reason: releases what it reserved.</summary>
    [HttpPost("claims/{claimId:long}/return")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead + "," + Roles.ProgrammeAdmin)]
    public Task<ActionResult<ClaimView>> Return(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.Return, request, ct);

    /// <summary>Rejects the claim for good, with the reason: releases what it reserved.</summary>
    [HttpPost("claims/{claimId:long}/reject")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead + "," + Roles.ProgrammeAdmin)]
    public Task<ActionResult<ClaimView>> Reject(long claimId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] Transitions.Request? request,
        CancellationToken ct) => Fire(claimId, ClaimTrigger.Reject, request, ct);

    /// <summary>
    /// Claims awaiting your review, oldest submission first (area leads: their area; programme admins: second approvals), a page
    /// at a time: <c>limit</c> claims (500 unless given), the next page by <c>after</c>, the last claim's id.
    /// </summary>
    /// <param name="after">the id of the last claim of the page before; the next page starts after it in the queue's order</param>
    /// <param name="limit">how many claims, 1 to 1000 (500 unless given)</param>
    /// <param name="state">one state of the queue: submitted or under-review (an area lead's), awaiting-second-approval (a programme admin's)</param>
    [HttpGet("review-queue")]
    [Authorize(Roles = Roles.AreaLead + "," + Roles.ProgrammeAdmin)]
    public Task<IReadOnlyList<ClaimSummary>> ReviewQueue([FromQuery] long? periodId, [FromQuery] long? schoolId,
        [FromQuery, OneOf(typeof(ClaimReads), nameof(ClaimReads.QueueStates))] string? state, [FromQuery] long? after, [FromQuery, Limit(typeof(ClaimsController), nameof(QueuePage))] int? limit, CancellationToken ct = default) =>
        ClaimReads.ReviewQueueAsync(db, Caller, periodId, schoolId, state, after, QueuePage.Of(limit), ct);

    public static readonly PageSize QueuePage = new(1000, 500);

    private async Task<ActionResult<ClaimView>> Fire(long claimId, ClaimTrigger trigger, Transitions.Request? request, CancellationToken ct)
    {
        var c = trigger == ClaimTrigger.Submit
            ? await submissions.SubmitAsync(db, audit, Caller, claimId, request ?? new(null, null, null), IfMatch, ct)
            : await Transitions.FireAsync(db, audit, Caller, claimId, trigger, request ?? new(null, null, null), IfMatch, ct);
        // the claim as the transition left it, without reading it, its school, programme and period again
        var view = await ClaimReads.DetailAsync(db, Caller, c, ct);
        Response.Headers.ETag = view.ETag;
        return Ok(view);
    }
}

using GrantLedger.Core.Plans;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace GrantLedger.Web.ActionPlans;

/// <summary>
/// Action plans: per school and programme year, 2 or 3 priority themes and actions under them,
/// written by the school, agreed by the area lead or returned with feedback; an agreed plan is
/// revised as a new version and every version is kept. Each plan answers with an ETag; send it
/// back as If-Match to act only on the version you read.
/// </summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class ActionPlansController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    public sealed record ReturnRequest([property: MaxText(PlanTransitions.MostFeedback)] string? Feedback);

    private async Task<ActionResult<ActionPlanView>> Answer(long planId, int status, CancellationToken ct)
    {
        var view = await PlanReads.DetailAsync(db, Caller, planId, ct);
        Response.Headers.ETag = view.ETag;
        return status == 201 ? Created($"/api/v1/action-plans/{planId}", view) : Ok(view);
    }

    /// <summary>The eight themes a plan chooses its 2 or 3 priorities from.</summary>
    [HttpGet("action-plans/themes")]
    public IReadOnlyList<string> Themes() => ActionPlanRules.Themes;

    /// <summary>Starts the school's plan for a year (the school business manager; school defaults to theirs).</summary>
    [HttpPost("action-plans")]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(typeof(ActionPlanView), 201)]
    public async Task<ActionResult<ActionPlanView>> Start(PlanDrafting.PlanInput request, CancellationToken ct) =>
        await Answer((await PlanDrafting.StartAsync(db, audit, Caller, request, ct)).Id, 201, ct);

    /// <summary>Plan versions you can see, the newest version first; page with ?before={last id} until a page has fewer than limit.</summary>
    /// <param name="before">the id of the last plan of the previous page</param>
    /// <param name="limit">plans per page, 1 to 5000 (default 2000)</param>
    [HttpGet("action-plans")]
    public async Task<IReadOnlyList<ActionPlanSummary>> List([FromQuery] long? programmeId, [FromQuery] long? programmeYearId, [FromQuery] long? schoolId,
        [FromQuery] long? areaId, [FromQuery, OneOf(typeof(PlanReads), nameof(PlanReads.States))] string? state, [FromQuery] long? before,
        [FromQuery, Limit(typeof(ActionPlansController), nameof(PlansPage))] int? limit, CancellationToken ct)
    {
        await SchoolScoping.EnsureFiltersInScopeAsync(db, Caller, programmeId, areaId, schoolId, ct);
        return await PlanReads.PageAsync(db, Caller, programmeId, programmeYearId, schoolId, areaId, state, before, PlansPage.Of(limit), ct);
    }

    public static readonly PageSize PlansPage = new(5000, 2000);

    /// <summary>A plan version with its actions, every version of the school's plan for the year, its history and the actions you may take now.</summary>
    [HttpGet("action-plans/{planId:long}")]
    public Task<ActionResult<ActionPlanView>> Get(long planId, CancellationToken ct) => Answer(planId, 200, ct);

    /// <summary>Replaces a draft's content: themes, the student action group's date, summary and actions (keep an action's ref to keep its number).</summary>
    [HttpPut("action-plans/{planId:long}")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public async Task<ActionResult<ActionPlanView>> Replace(long planId, PlanDrafting.PlanInput request, CancellationToken ct)
    {
        await PlanDrafting.ReplaceAsync(db, audit, Caller, planId, request, IfMatch, ct);
        return await Answer(planId, 200, ct);
    }

    [HttpPost("action-plans/{planId:long}/submit")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    public Task<ActionResult<ActionPlanView>> Submit(long planId, CancellationToken ct) => Fire(planId, ActionPlanTrigger.Submit, null, ct);

    /// <summary>Agrees the plan (the area lead): it is the one claims are checked against from now, and the version agreed before it is superseded.</summary>
    [HttpPost("action-plans/{planId:long}/agree")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead)]
    public Task<ActionResult<ActionPlanView>> Agree(long planId, CancellationToken ct) => Fire(planId, ActionPlanTrigger.Agree, null, ct);

    /// <summary>Returns the plan to the school as a draft, with feedback.</summary>
    [HttpPost("action-plans/{planId:long}/return")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.AreaLead)]
    public Task<ActionResult<ActionPlanView>> Return(long planId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] ReturnRequest? request,
        CancellationToken ct) => Fire(planId, ActionPlanTrigger.Return, request?.Feedback, ct);

    /// <summary>Starts the next version of the agreed plan, as a draft copy of it.</summary>
    [HttpPost("action-plans/{planId:long}/revise")]
    [KeepsIfMatch]
    [Authorize(Roles = Roles.SchoolBusinessManager)]
    [ProducesResponseType(typeof(ActionPlanView), 201)]
    public async Task<ActionResult<ActionPlanView>> Revise(long planId, CancellationToken ct) =>
        await Answer((await PlanDrafting.ReviseAsync(db, audit, Caller, planId, IfMatch, ct)).Id, 201, ct);

    private async Task<ActionResult<ActionPlanView>> Fire(long planId, ActionPlanTrigger trigger, string? feedback, CancellationToken ct)
    {
        await PlanTransitions.FireAsync(db, audit, Caller, planId, trigger, feedback, IfMatch, ct);
        return await Answer(planId, 200, ct);
    }
}

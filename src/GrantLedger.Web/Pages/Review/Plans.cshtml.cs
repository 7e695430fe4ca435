using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Review;

/// <summary>
/// The action plans of the lead's area, most recently changed first, 50 a page with the true count, found by year and status: it
/// listed the newest 2,000 without a word, and every status and year together.
/// </summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class PlansModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 50;
    public IReadOnlyList<ActionPlanSummary> Plans { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    /// <summary>A year or a status was chosen: the list is of the plans found.</summary>
    public bool Filtered { get; private set; }

    /// <summary>The plans' statuses to list them by, as the API's <c>state</c> names them.</summary>
    public static IReadOnlyList<(string Value, string Text)> States { get; } = [("", "All plans"), .. PlanReads.States.Select(s => (s, Gov.Words(s)))];
    public List<(string Value, string Text)> Years { get; private set; } = [];
    private Dictionary<long, string> _yearCodes = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["year"] = "The year", ["state"] = "The status" };

    /// <summary>The academic year a plan is for, "2026-27".</summary>
    public string Year(long programmeYearId) => _yearCodes.GetValueOrDefault(programmeYearId, "");

    public async Task OnGetAsync(CancellationToken ct)
    {
        var years = await Db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == Caller.ProgrammeId)
            .OrderByDescending(y => y.StartsOn).Select(y => new { y.Id, y.Code }).ToListAsync(ct);
        _yearCodes = years.ToDictionary(y => y.Id, y => y.Code);
        Years = [("", "All years"), .. years.Select(y => (y.Id.ToString(CultureInfo.InvariantCulture), y.Code))];

        var yearId = ReadId("year");
        if (yearId is not null && !_yearCodes.ContainsKey(yearId.Value)) AddError("year", Unreadable("year"));
        var state = Filled("state");
        if (state is not null && !PlanReads.States.Contains(state)) AddError("state", Unreadable("state"));
        if (HasErrors) return;

        Filtered = state is not null || yearId is not null;
        var plans = PlanReads.ForPages(Db, Caller, yearId, state);
        Paging = Paging.Of(await plans.CountAsync(ct), Typed("page"), PageSize);
        Plans = await PlanReads.SummariesAsync(Db, plans.Skip(Paging.Skip).Take(PageSize), ct);
    }
}

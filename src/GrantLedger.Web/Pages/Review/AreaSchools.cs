using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages.School;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Html;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Review;

/// <summary>
/// The latest version of a school's plan for a year; a draft the lead returned (with feedback) is "returned". A revision
/// under way leaves an earlier version agreed (<paramref name="AgreedVersion"/>): the school still has an agreed plan.
/// </summary>
public sealed record LatestPlan(long Id, string State, bool Returned, int? AgreedVersion)
{
    /// <summary>What the lead's pages call it: its state as the action plans page names it, or "returned".</summary>
    public string Shown => State == "draft" && Returned ? "returned" : State;

    /// <summary>The plan's tag on the lead's pages: "None" without a plan, and the version still agreed beside a revision.</summary>
    public static IHtmlContent Tag(LatestPlan? plan) =>
        plan is null ? Gov.Tag("none")
        : plan.AgreedVersion is { } agreed ? new HtmlContentBuilder().AppendHtml(Gov.Tag(plan.Shown)).Append($" (version {agreed} is agreed)")
        : Gov.Tag(plan.Shown);
}

/// <summary>One school of the lead's area in a year: its plan, its money (every money category summed) and its claims awaiting the lead.</summary>
public sealed record AreaSchoolRow(long Id, string Urn, string Name, LatestPlan? Plan, long Allocated, long Reserved, long Approved, long Paid,
    long Available, int Awaiting);

/// <summary>A page of the schools an area lead's list finds, and the totals of all of them (<see cref="AreaSchools.FindAsync"/>).</summary>
public sealed record AreaSchoolsFound(IReadOnlyList<AreaSchoolRow> Rows, Paging Paging, AreaSchoolRow Totals);

/// <summary>
/// An area lead's schools: read for the whole area at once (the budgets in one query of their accounts, as
/// <see cref="SchoolBudget"/> reads one school's), never a query per school.
/// </summary>
public static class AreaSchools
{
    /// <summary>The claims that await the area lead's decision, as the review queue has them.</summary>
    private static readonly string[] AwaitingLead = ["submitted", "under-review"];

    /// <summary>The caller's area (an area lead has one).</summary>
    public static async Task<Area> AreaAsync(GrantLedgerDb db, CurrentUser caller, CancellationToken ct) =>
        await db.Areas.AsNoTracking().SingleOrDefaultAsync(a => a.Id == caller.AreaId, ct) ?? throw new Forbidden("an area lead's pages need their area");

    /// <summary>A school of the caller's area; any other school, or none, is not found (as a claim outside their area is).</summary>
    public static async Task<Programmes.School> SchoolAsync(GrantLedgerDb db, CurrentUser caller, long schoolId, CancellationToken ct) =>
        await db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == schoolId && s.AreaId == caller.AreaId, ct)
        ?? throw new NotFound("school", schoolId);

    /// <summary>
    /// The schools of the area the lead's list finds (by a name or URN searched for, and only those with claims waiting for
    /// the lead when asked), by name: a page of them with their plans, and the totals of every school found. An area of a
    /// national programme holds hundreds of schools; its page shows a hundred.
    /// </summary>
    public static async Task<AreaSchoolsFound> FindAsync(GrantLedgerDb db, long areaId, long yearId, string? search, bool waitingOnly, string? page,
        int pageSize, CancellationToken ct)
    {
        var found = db.Schools.AsNoTracking().Where(s => s.AreaId == areaId);
        if (search is not null) found = found.Matching(search);
        var schools = await found.OrderBy(s => s.Name).ThenBy(s => s.Urn).Select(s => new { s.Id, s.Urn, s.Name }).ToListAsync(ct);
        var ids = schools.Select(s => s.Id).ToList();
        var awaiting = await db.Set<Claim>().AsNoTracking()
            .Where(c => ids.Contains(c.SchoolId) && c.ProgrammeYearId == yearId && AwaitingLead.Contains(c.State))
            .GroupBy(c => c.SchoolId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        if (waitingOnly) schools = schools.Where(s => awaiting.ContainsKey(s.Id)).ToList();

        var budgets = await SchoolBudget.ForSchoolsAsync(db, schools.Select(s => s.Id).ToList(), yearId, ct);
        var rows = schools.Select(s =>
        {
            var money = budgets.GetValueOrDefault(s.Id, []).Where(f => f.Unit == "GBP").ToList();
            return new AreaSchoolRow(s.Id, s.Urn, s.Name, null, money.Sum(f => f.Allocated), money.Sum(f => f.Reserved),
                money.Sum(f => f.Approved), money.Sum(f => f.Paid), money.Sum(f => f.Available), awaiting.GetValueOrDefault(s.Id));
        }).ToList();
        var totals = new AreaSchoolRow(0, "", "", null, rows.Sum(s => s.Allocated), rows.Sum(s => s.Reserved), rows.Sum(s => s.Approved),
            rows.Sum(s => s.Paid), rows.Sum(s => s.Available), rows.Sum(s => s.Awaiting));

        var paging = Paging.Of(rows.Count, page, pageSize);
        var shown = rows.Skip(paging.Skip).Take(pageSize).ToList();
        var plans = await LatestPlansAsync(db, shown.Select(r => r.Id).ToList(), yearId, ct);
        return new AreaSchoolsFound(shown.Select(r => r with { Plan = plans.GetValueOrDefault(r.Id) }).ToList(), paging, totals);
    }

    /// <summary>Each school's latest plan version of the year: the one the school and the lead are working on.</summary>
    public static async Task<IReadOnlyDictionary<long, LatestPlan>> LatestPlansAsync(GrantLedgerDb db, IReadOnlyCollection<long> schoolIds, long yearId,
        CancellationToken ct)
    {
        var ids = schoolIds.ToList();
        var versions = await db.Set<ActionPlan>().AsNoTracking().Where(p => ids.Contains(p.SchoolId) && p.ProgrammeYearId == yearId)
            .Select(p => new { p.Id, p.SchoolId, p.Version, p.State, Returned = p.Feedback != null }).ToListAsync(ct);
        return versions.GroupBy(p => p.SchoolId).ToDictionary(g => g.Key, g =>
        {
            var latest = g.MaxBy(p => p.Version)!;
            var agreed = latest.State == "agreed" ? null : g.Where(p => p.State == "agreed").Select(p => (int?)p.Version).Max();
            return new LatestPlan(latest.Id, latest.State, latest.Returned, agreed);
        });
    }
}

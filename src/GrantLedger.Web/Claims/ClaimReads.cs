using GrantLedger.Core.Claims;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>A claim as its school, its reviewer and an auditor read it.</summary>
public static class ClaimReads
{
    /// <summary>States in which a claim holds or has spent budget.</summary>
    public static readonly string[] Live = ["submitted", "under-review", "awaiting-second-approval", "approved", "in-payment-run", "paid"];
    public static readonly string[] Approved = ["approved", "in-payment-run", "paid"];

    public static async Task<ClaimView> DetailAsync(GrantLedgerDb db, CurrentUser caller, long claimId, CancellationToken ct) =>
        await DetailAsync(db, caller, await ClaimAccess.FindAsync(db, caller, claimId, ct), ct);

    /// <summary>The view of a claim already in hand (as a transition leaves it, its changes saved): no need to read it again.</summary>
    public static async Task<ClaimView> DetailAsync(GrantLedgerDb db, CurrentUser caller, ClaimScope c, CancellationToken ct)
    {
        var claim = c.Claim;
        var claimId = claim.Id;
        // evidence, history, categories and "is there an agreed plan": read with the row lock by a transition, else here
        // in one round trip
        var rows = c.AnswerRows ?? await ClaimAccess.AnswerRowsAsync(db, claimId, ct);
        var categories = rows.Categories;
        var plan = rows.HasAgreedPlan ? await ActionPlans.ActionPlans.AgreedPlanAsync(db, c.School.Id, claim.ProgrammeYearId, ct) : null;
        var refs = plan?.Actions.ToDictionary(a => a.Id, a => a.ActionRef) ?? [];
        // a line added under an earlier version of the plan is shown under the agreed version's action of the same number
        var earlier = plan is null ? [] : await Transitions.ActionRefsAsync(db, claim.Lines.Where(l => l.ActionId is { } a && !refs.ContainsKey(a)), ct);
        var byRef = plan?.Actions.ToDictionary(a => a.ActionRef, a => a.Id) ?? [];
        (long? Id, int? Ref) ActionOf(long? id) =>
            id is not { } a ? (null, null)
            : refs.TryGetValue(a, out var r) ? (a, r)
            : earlier.TryGetValue(a, out var kept) && byRef.TryGetValue(kept, out var now) ? (now, kept)
            : (a, null);
        var evidence = rows.Evidence;
        var hashes = evidence.Select(e => e.Sha256).ToList();
        // The same file elsewhere, only on claims the caller may open, of this claim's programme: matched by hash alone, a
        // school could ask whether another school (or programme) holds a file; the area lead still sees their area's.
        var readable = db.Set<Claim>().VisibleTo(db, caller).Where(x => x.ProgrammeId == claim.ProgrammeId).Select(x => x.Id);
        var elsewhere = hashes.Count == 0 ? [] : await db.Set<Evidence>().AsNoTracking()
            .Where(e => hashes.Contains(e.Sha256) && e.ClaimId != claimId && readable.Contains(e.ClaimId))
            .Select(e => new { e.Sha256, e.ClaimId }).ToListAsync(ct);

        var lines = claim.Lines.OrderBy(l => l.LineNo).Select(l => new LineView(l.Id, l.LineNo, l.Kind, l.CategoryId, Name(categories, l.CategoryId),
            new Money(l.AmountPence), l.AllowanceCategoryId, Name(categories, l.AllowanceCategoryId), l.Minutes, l.StaffRef, l.StaffRole,
            l.Activity, l.WorkDate, l.RateBasis, l.RatePence is { } r ? new Money(r) : null, ActionOf(l.ActionId).Id,
            ActionOf(l.ActionId).Ref, l.Supplier, l.InvoiceRef, l.Description,
            l.SanctionedPence is { } sp ? new Money(sp) : null, l.SanctionReason, l.MoneyHoldId is not null || l.TimeHoldId is not null)).ToList();
        var claimed = new Money(claim.Lines.Sum(l => l.AmountPence));
        var sanctioned = claim.Lines.Any(l => l.SanctionedPence is not null)
            ? new Money(claim.Lines.Sum(l => l.SanctionedPence ?? l.AmountPence)) : (Money?)null;

        return new ClaimView(claim.Id, ClaimAccess.Reference(claim.Id), claim.ProgrammeId, claim.ProgrammeYearId,
            new PeriodRef(c.Period.Id, c.Period.Code, c.Period.Name, c.Period.StartsOn, c.Period.EndsOn),
            new SchoolSummary(c.School.Id, c.School.Urn, c.School.Name, c.School.AreaId), claim.State, claim.Description,
            claimed, sanctioned, LineView.AllowanceMinutes(lines), claim.CreatedBy, claim.CreatedAt, claim.SubmittedBy, claim.SubmittedAt,
            claim.FirstApprovedBy, claim.DecidedBy, claim.DecidedAt, claim.Reason, claim.PaymentRunId, lines,
            evidence.Select(e => new EvidenceView(e.Id, e.ClaimLineId, e.FileName, e.ContentType, e.SizeBytes, Convert.ToHexStringLower(e.Sha256),
                e.UploadedAt, elsewhere.Where(x => x.Sha256.AsSpan().SequenceEqual(e.Sha256)).Select(x => x.ClaimId).Distinct().Order().ToList())).ToList(),
            claim.State == "draft" ? await BudgetAsync(db, c, categories, ct) : [],
            plan is null ? null : await PlanAsync(db, c, plan, ct),
            rows.History, AllowedActions(c, caller, claimed), ClaimAccess.ETag(claim)) { HalfTerm = Programmes.Years.HalfTerm(c.Period.Name, c.Year.Code), HalfTermClosed = claim.State == "draft" && !Drafting.OpenTo(c) };
    }

    /// <summary>Whether the claim's last step was a reviewer's decision (approved, returned or rejected), which a decision's page tells.</summary>
    public static bool Decided(ClaimView claim) =>
        claim.History.Count > 0 && claim.History[^1].Trigger is "approve" or "second-approve" or "return" or "reject";

    /// <summary>What the caller may do now: the lifecycle's actions for them, and editing while it is their draft.</summary>
    /// <param name="claimed">the amount claimed: the second-approval threshold applies to it</param>
    public static IReadOnlyList<string> AllowedActions(ClaimScope c, CurrentUser caller, Money claimed)
    {
        var actions = ClaimWorkflow.Lifecycle.Actions(c.State, c.Context(caller, claimed)).Select(t => Kebab.Of(t)).ToList();
        if (ChangesDraft(c, caller)) actions.InsertRange(0, ["edit", "add-line", "attach-evidence"]);
        // a closed half-term's draft is not added to, given evidence or submitted: it is moved to an open half-term, or deleted
        // (one returned for changes is amended and submitted again in it: Drafting.OpenTo)
        if (c.Claim.State == "draft" && !Drafting.OpenTo(c)) actions.RemoveAll(a => a is "add-line" or "attach-evidence" or "submit");
        return actions;
    }

    /// <summary>Whether the caller may change the claim: it is a draft of their school's.</summary>
    private static bool ChangesDraft(ClaimScope c, CurrentUser caller) =>
        c.Claim.State == "draft" && caller.Role == Roles.SchoolBusinessManager && caller.SchoolId == c.School.Id;

    /// <summary>
    /// What the caller may do to the claim beside its workflow, as a 409's detail says it after the lifecycle's steps
    /// ("What you can do now: submit; or change this draft."), as a plan's does (<see cref="ActionPlans.PlanReads.BesideSaidAsync"/>).
    /// </summary>
    public static IReadOnlyList<string>? BesideSaid(ClaimScope c, CurrentUser caller) => ChangesDraft(c, caller) ? ["change this draft"] : null;

    private static async Task<IReadOnlyList<BudgetLine>> BudgetAsync(GrantLedgerDb db, ClaimScope c, Dictionary<long, Programmes.BudgetCategory> categories,
        CancellationToken ct)
    {
        var asked = c.Claim.Lines.Where(l => l.CategoryId is not null).GroupBy(l => l.CategoryId!.Value).ToDictionary(g => g.Key, g => g.Sum(l => l.AmountPence));
        foreach (var g in c.Claim.Lines.Where(l => l.AllowanceCategoryId is not null).GroupBy(l => l.AllowanceCategoryId!.Value))
            asked[g.Key] = g.Sum(l => l.Minutes ?? 0);
        var ids = asked.Keys.ToList();
        var accounts = await db.Accounts.AsNoTracking()
            .Where(a => a.SchoolId == c.School.Id && a.ProgrammeYearId == c.Claim.ProgrammeYearId && ids.Contains(a.CategoryId!.Value))
            .ToListAsync(ct);
        return ids.OrderBy(id => id).Select(id =>
        {
            var figures = BudgetFigures.Of(accounts.Where(a => a.CategoryId == id)); // as the dashboard and the workbook read them
            var unit = categories[id].Unit;
            var preview = new BudgetPreview(id, unit, figures.Allocated, figures.Committed, asked[id]);
            return new BudgetLine(id, categories[id].Name, unit, Amounts.Format(unit, preview.Allocated), Amounts.Format(unit, preview.Committed),
                Amounts.Format(unit, preview.AvailableNow), Amounts.Format(unit, preview.ThisClaim), Amounts.Format(unit, preview.LeftAfter),
                preview.UsedPercentAfter, preview.Warning, preview.Exceeds);
        }).ToList();
    }

    private static async Task<PlanView> PlanAsync(GrantLedgerDb db, ClaimScope c, ActionPlans.ActionPlan plan, CancellationToken ct)
    {
        // Spending against each action across every version of the school's plan, matched by its stable ref.
        var spent = await (from l in db.Set<ClaimLine>()
                           join x in db.Set<Claim>() on l.ClaimId equals x.Id
                           join a in db.Set<ActionPlans.ActionPlanAction>() on l.ActionId equals a.Id
                           where x.SchoolId == c.School.Id && x.ProgrammeYearId == c.Claim.ProgrammeYearId && l.ActionId != null
                           select new { a.ActionRef, x.Id, x.State, l.AmountPence, Allowed = l.SanctionedPence ?? l.AmountPence })
            .ToListAsync(ct);
        var actions = plan.Actions.OrderBy(a => a.ActionRef).Select(a =>
        {
            var mine = spent.Where(s => s.ActionRef == a.ActionRef).ToList();
            return new PlanActionView(a.Id, a.ActionRef, a.Theme, a.Description, new Money(a.EstimatedCostPence),
                new Money(mine.Where(s => Live.Contains(s.State)).Sum(s => s.AmountPence)),
                new Money(mine.Where(s => Approved.Contains(s.State)).Sum(s => s.Allowed)),
                new Money(mine.Where(s => s.Id == c.Claim.Id).Sum(s => s.AmountPence)));
        }).ToList();
        return new PlanView(plan.Id, plan.Version, plan.Themes, actions);
    }

    private static string? Name(Dictionary<long, Programmes.BudgetCategory> categories, long? id) =>
        id is { } x && categories.TryGetValue(x, out var c) ? c.Name : null;

    /// <summary>Claims the caller may see, newest first, a page at a time (pass the last id as <paramref name="before"/>).</summary>
    public static async Task<IReadOnlyList<ClaimSummary>> ListAsync(GrantLedgerDb db, CurrentUser caller, long? programmeId, long? schoolId,
        long? areaId, string? state, long? periodId, long? before, int limit, CancellationToken ct)
    {
        var claims = Filtered(db, caller, programmeId, schoolId, areaId, state, periodId);
        if (before is not null) claims = claims.Where(c => c.Id < before);
        return await SummariesAsync(db, claims.OrderByDescending(c => c.Id).Take(limit), ct);
    }

    /// <summary>The claims the caller may see, of a programme, a school, an area, a state and a half-term when given: the API's list's and the ledger's page's.</summary>
    public static IQueryable<Claim> Filtered(GrantLedgerDb db, CurrentUser caller, long? programmeId, long? schoolId, long? areaId, string? state,
        long? periodId)
    {
        var claims = Scoped(db, caller);
        if (programmeId is not null) claims = claims.Where(c => c.ProgrammeId == programmeId);
        if (schoolId is not null) claims = claims.Where(c => c.SchoolId == schoolId);
        if (areaId is not null) claims = claims.Where(c => db.Schools.Any(s => s.Id == c.SchoolId && s.AreaId == areaId));
        if (state is not null)
        {
            if (!States.Contains(state)) throw new Core.Rules.InvalidInput("state", "must be one of " + string.Join(", ", States));
            claims = claims.Where(c => c.State == state);
        }
        if (periodId is not null)
            claims = schoolId is null && areaId is null && state is null && caller.Role is Roles.ProgrammeAdmin or Roles.FunderFinance or Roles.Auditor
                ? claims.OfHalfTerm(db, periodId.Value)
                : claims.Where(c => c.PeriodId == periodId); // an area's, a school's or a state's: found by those first
        return claims;
    }

    /// <summary>
    /// The claims of a half-term across a programme: those of its own <c>period_id</c> among the claims between its first and
    /// its last, which <c>claim_half_term</c>'s index gives (migration 0079; a claim's moves never write it). By
    /// <c>claim.period_id</c> alone, which nothing indexes, the oldest of a national programme's 18 half-terms walked the
    /// 276,000 claims after it for a page and read every claim for its count; between its first and last claim it reads its
    /// own 24,000 (a half-term takes no new claim once closed, so they lie close together). No claim of the half-term: none
    /// between, none found. Not where an area, a school or a state narrows them: PostgreSQL cannot know how many claims lie
    /// between, takes them for a few, and reads them all where the area's schools or the state's index would find theirs
    /// (an area lead's queue by half-term at national scale, 35 ms against 3; a half-term's submitted claims, 20 against 1.3).
    /// </summary>
    public static IQueryable<Claim> OfHalfTerm(this IQueryable<Claim> claims, GrantLedgerDb db, long periodId)
    {
        var ids = db.Set<ClaimHalfTerm>().Where(h => h.PeriodId == periodId).Select(h => (long?)h.ClaimId);
        return claims.Where(c => c.PeriodId == periodId && c.Id >= ids.Min() && c.Id <= ids.Max());
    }

    /// <summary>A claim's states, as the API names them ("under-review"), in the order of the lifecycle.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetValues<ClaimState>().Select(x => Kebab.Of(x)).ToList();

    /// <summary>
    /// What awaits the caller's review, oldest submission first: an area lead's area's claims that are submitted or under
    /// review; a programme admin's claims awaiting second approval. The queue's pages and the API's read it.
    /// </summary>
    /// <summary>The states a review queue holds: an area lead's first two, a programme admin's the last.</summary>
    public static readonly string[] QueueStates = ["submitted", "under-review", "awaiting-second-approval"];

    public static IOrderedQueryable<Claim> ReviewQueue(GrantLedgerDb db, CurrentUser caller, long? periodId, long? schoolId, string? state)
    {
        string[] states = caller.Role switch
        {
            Roles.AreaLead => QueueStates[..2],
            Roles.ProgrammeAdmin => QueueStates[2..],
            _ => throw new Core.Rules.Forbidden("the review queue is for area leads and programme admins"),
        };
        if (state is not null) states = states.Contains(state) ? [state] : throw new Core.Rules.InvalidInput("state", "must be one of " + string.Join(", ", states));
        var claims = Scoped(db, caller).Where(c => states.Contains(c.State));
        if (periodId is not null) claims = claims.Where(c => c.PeriodId == periodId); // few, found by their state or the area's schools
        if (schoolId is not null) claims = claims.Where(c => c.SchoolId == schoolId);
        return claims.OrderBy(c => c.SubmittedAt).ThenBy(c => c.Id);
    }

    /// <summary>
    /// The review queue a page at a time: <paramref name="limit"/> claims, after the claim <paramref name="after"/> (the last
    /// of the page before) in the queue's order. It stopped at the oldest 500 without a word.
    /// </summary>
    public static async Task<IReadOnlyList<ClaimSummary>> ReviewQueueAsync(GrantLedgerDb db, CurrentUser caller, long? periodId, long? schoolId,
        string? state, long? after, int limit, CancellationToken ct)
    {
        IQueryable<Claim> claims = ReviewQueue(db, caller, periodId, schoolId, state);
        if (after is { } last)
        {
            // the claim's submission moment places it in the queue, even once it has left it (approved since the page was read)
            var mark = await Scoped(db, caller).Where(c => c.Id == last && c.SubmittedAt != null).Select(c => new { c.SubmittedAt }).SingleOrDefaultAsync(ct)
                ?? throw new Core.Rules.InvalidInput("after", "must be the id of the last claim of the page before, a submitted claim you can see");
            claims = claims.Where(c => c.SubmittedAt > mark.SubmittedAt || (c.SubmittedAt == mark.SubmittedAt && c.Id > last));
        }
        return await SummariesAsync(db, claims.OrderBy(c => c.SubmittedAt).ThenBy(c => c.Id).Take(limit), ct);
    }

    /// <summary>
    /// Each claim's half-term with its year, "Summer 2 2025-26", for the pages' lists (the API gives the half-term's name and
    /// its id): "Summer 2" alone could be either year's beside claims of two years.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, string>> HalfTermsAsync(GrantLedgerDb db, IEnumerable<long> claimIds, CancellationToken ct)
    {
        var ids = claimIds.ToList();
        return await db.Set<Claim>().AsNoTracking().Where(c => ids.Contains(c.Id))
            .Join(Programmes.Years.PeriodsInYears(db), c => c.PeriodId, h => h.Period.Id, (c, h) => new { c.Id, h })
            .ToDictionaryAsync(x => x.Id, x => x.h.HalfTerm, ct);
    }

    private static IQueryable<Claim> Scoped(GrantLedgerDb db, CurrentUser caller) => db.Set<Claim>().AsNoTracking().VisibleTo(db, caller);

    /// <summary>The summaries of the claims a query selects (in its order): the lists' and the area lead's school page's.</summary>
    internal static async Task<IReadOnlyList<ClaimSummary>> SummariesAsync(GrantLedgerDb db, IQueryable<Claim> claims, CancellationToken ct)
    {
        var rows = await claims.Select(c => new
        {
            c.Id, c.State, c.SubmittedAt, c.Reason, c.SchoolId, c.PeriodId,
            Claimed = c.Lines.Sum(l => l.AmountPence),
            Sanctioned = c.Lines.Any(l => l.SanctionedPence != null) ? (long?)c.Lines.Sum(l => l.SanctionedPence ?? l.AmountPence) : null,
            Lines = c.Lines.Count,
            AllowanceMinutes = c.Lines.Where(l => l.AllowanceCategoryId != null && l.Minutes > 0).Sum(l => l.Minutes ?? 0),
            ApprovedMinutes = c.Lines.Where(l => l.AllowanceCategoryId != null && l.Minutes > 0 && (l.SanctionedPence == null || l.SanctionedPence != 0))
                .Sum(l => l.Minutes ?? 0),
        }).ToListAsync(ct);
        var schoolIds = rows.Select(r => r.SchoolId).Distinct().ToList();
        var schools = await db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var periodIds = rows.Select(r => r.PeriodId).Distinct().ToList();
        var periods = await db.Periods.AsNoTracking().Where(p => periodIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var claimIds = rows.Select(r => r.Id).ToList();
        var reduced = (await db.Set<ClaimLine>().AsNoTracking().Where(l => claimIds.Contains(l.ClaimId) && l.SanctionReason != null)
                .OrderBy(l => l.LineNo).Select(l => new { l.ClaimId, l.LineNo, l.SanctionReason }).ToListAsync(ct))
            .ToLookup(l => l.ClaimId, l => new LineReason(l.LineNo, l.SanctionReason!));
        return rows.Select(r => new ClaimSummary(r.Id, ClaimAccess.Reference(r.Id),
            new SchoolSummary(r.SchoolId, schools[r.SchoolId].Urn, schools[r.SchoolId].Name, schools[r.SchoolId].AreaId),
            periods[r.PeriodId].Name, r.State, new Money(r.Claimed), r.Sanctioned is { } s ? new Money(s) : null, r.SubmittedAt, r.Reason, r.Lines,
            reduced[r.Id].ToList()) { AllowanceMinutes = r.AllowanceMinutes, ApprovedMinutes = r.ApprovedMinutes }).ToList();
    }
}

using System.Text.RegularExpressions;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>Adds one action to a draft plan (one thing per page): the draft is saved with the new action beside the others.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed partial class PlanActionModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ActionPlanView Plan { get; private set; } = null!;
    public List<(string, string)> Periods { get; private set; } = [];

    /// <summary>The version is no longer a draft (sent, agreed, superseded): the page says so and offers no form.</summary>
    public bool NoLongerADraft { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["theme"] = "The theme", ["description"] = "The description", ["periodId"] = "The half-term", ["estimatedCost"] = "The estimated cost",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["theme"] = "Select the theme the action is under", ["description"] = "Enter what the school will do",
        ["periodId"] = "Select the half-term the action happens in",
    };

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        Plan = await PlanReads.DetailAsync(Db, Caller, id, ct);
        if (NoLongerADraft = NoLongerChanged.NoLongerADraft(Plan)) return;
        Periods = (await Db.Periods.AsNoTracking().Where(p => p.ProgrammeYearId == Plan.ProgrammeYearId).OrderBy(p => p.StartsOn).ToListAsync(ct))
            .Select(p => (p.Id.ToString(), p.Name)).ToList();
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        if (NoLongerADraft) return Page();
        Given("theme");
        Given("description");
        var cost = ReadMoney("estimatedCost", "the estimated cost");
        var added = new PlanDrafting.ActionInput(null, Typed("theme"), Typed("description"), ReadId("periodId"), cost);
        var index = Plan.Actions.Count;
        var input = PlanEditing.Input(Plan, Plan.Actions.Select(PlanEditing.Keep).Append(added));
        if (await AttemptAsync(() => PlanDrafting.ReplaceAsync(Db, Audit, Caller, id, input, null, ct),
                f => ActionField().Match(f) is { Success: true } m && m.Groups[1].Value == index.ToString() ? m.Groups[2].Value : f))
            return Redirect("/school/plan");
        return Page();
    }

    [GeneratedRegex(@"^actions\[(\d+)\]\.(\w+)$")] private static partial Regex ActionField();
}

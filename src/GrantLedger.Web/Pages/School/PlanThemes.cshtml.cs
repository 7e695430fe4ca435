using GrantLedger.Core.Plans;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>Starts the plan, or changes a draft's themes, the student action group's date and summary (its actions stay).</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class PlanThemesModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public long? PlanId { get; private set; }
    public ActionPlanView? Stored { get; private set; }

    /// <summary>The version is no longer a draft (sent, agreed, superseded): the page says so and offers no form.</summary>
    public bool NoLongerADraft => Stored is not null && NoLongerChanged.NoLongerADraft(Stored);
    public IEnumerable<(string, string)> ThemeOptions => ActionPlanRules.Themes.Select(t => (t, Gov.Words(t)));

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["themes"] = "Themes", ["studentGroupAgreedOn"] = "The date the student action group agreed the plan", ["summary"] = "The summary",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["themes"] = $"Select {ActionPlanRules.MinThemes} or {ActionPlanRules.MaxThemes} themes for your plan",
    };

    public async Task OnGetAsync(long? id, CancellationToken ct)
    {
        PlanId = id;
        if (id is not null) Stored = await PlanReads.DetailAsync(Db, Caller, id.Value, ct);
    }

    public async Task<IActionResult> OnPostAsync(long? id, CancellationToken ct)
    {
        PlanId = id;
        if (id is not null && NoLongerChanged.NoLongerADraft(Stored = await PlanReads.DetailAsync(Db, Caller, id.Value, ct))) return Page();
        var themes = TypedAll("themes").ToList();
        if (themes.Count == 0) LeftOut("themes"); // too few or too many, the use case says how many were chosen
        var agreedOn = ReadDate("studentGroupAgreedOn", "the date the student action group agreed the plan", required: false);
        var summary = Typed("summary");
        var ok = await AttemptAsync(async () =>
        {
            if (id is null)
                await PlanDrafting.StartAsync(Db, Audit, Caller, new(null, null, themes, agreedOn, summary, []), ct);
            else
            {
                var v = await PlanReads.DetailAsync(Db, Caller, id.Value, ct);
                await PlanDrafting.ReplaceAsync(Db, Audit, Caller, id.Value,
                    new(v.School.Id, v.ProgrammeYearId, themes, agreedOn, summary, v.Actions.Select(PlanEditing.Keep).ToList()), null, ct);
            }
        }, f => f.StartsWith("actions[") ? "themes" : f);
        if (ok) return Redirect("/school/plan");
        if (id is not null) Stored = await PlanReads.DetailAsync(Db, Caller, id.Value, ct);
        return Page();
    }
}

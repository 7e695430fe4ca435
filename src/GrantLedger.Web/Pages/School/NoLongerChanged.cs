using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Claims;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// What a page that changes a draft says (_NoLongerChanged) when it is opened or posted once the draft is no longer one (a
/// bookmark, another tab): no form, the record's status, and a link to where it now stands.
/// </summary>
public sealed record NoLongerChanged(string Heading, string Said, string State, string Href, string LinkText)
{
    /// <summary>
    /// A claim submitted since a page that changes it (a line, its evidence, an import) was opened, saying where it now stands:
    /// "has been submitted", "is under review", "has been withdrawn", "has been approved", … (<see cref="Gov.Became"/>).
    /// </summary>
    public static NoLongerChanged Of(ClaimView c) => new($"Claim {c.Reference} can no longer be changed",
        $"Claim {c.Reference} {Gov.Became(c.State)} and can no longer be changed.", c.State, $"/school/claims/{c.Id}", $"Go to claim {c.Reference}");

    /// <summary>A plan version sent, agreed or superseded since its action or themes page was opened; the plan's page shows the latest version.</summary>
    public static NoLongerChanged Of(ActionPlanView p)
    {
        var latest = p.Versions.Max(v => v.Version);
        return new($"Version {p.Version} of your action plan can no longer be changed",
            $"Version {p.Version} of your action plan ({p.Reference}) is no longer a draft, so it cannot be changed.", p.State, "/school/plan",
            latest > p.Version ? $"Go to your action plan, now at version {latest}" : "Go to your action plan");
    }

    /// <summary>
    /// An agreed version revised since the plan's page was shown (in another tab, or by a colleague): the version that
    /// revises it, with its status; null while it may be revised.
    /// </summary>
    public static NoLongerChanged? Revised(ActionPlanView p)
    {
        var later = p.Versions.Where(v => v.Version > p.Version).MaxBy(v => v.Version);
        return later is null ? null : new($"Version {p.Version} of your action plan has already been revised",
            $"Version {p.Version} of your action plan has already been revised as version {later.Version}, so it is not revised again.", later.State,
            "/school/plan", $"Go to your action plan, now at version {later.Version}");
    }

    /// <summary>A plan version the school can no longer change: its pages say so (<see cref="Of(ActionPlanView)"/>) and offer no form.</summary>
    public static bool NoLongerADraft(ActionPlanView p) => !p.AllowedActions.Contains("edit") && p.State != "draft";
}

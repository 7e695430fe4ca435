using GrantLedger.Web.Claims;
using Microsoft.AspNetCore.Html;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages.Review;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// What waits for the school's business manager, as their dashboard opens with it: claims returned to them for changes,
/// drafts not yet submitted (each of any year, the oldest first, <see cref="Shown"/> of each named), and the current year's
/// action plan when it waits for them (none yet, a draft or a revision not sent, or returned with feedback). Nothing told them before:
/// a returned claim was found only by opening the claims list.
/// </summary>
/// <param name="Plan">what the dashboard says of the year's plan, when it waits for the school; null when it does not</param>
public sealed record SchoolToDo(IReadOnlyList<long> Returned, int ReturnedCount, IReadOnlyList<long> Drafts, int DraftCount, string? Plan, bool PlanStarted)
{
    /// <summary>How many claims of each kind the dashboard names; the rest are counted, on the claims list.</summary>
    public const int Shown = 5;

    public bool Any => ReturnedCount > 0 || DraftCount > 0 || Plan is not null;

    public static async Task<SchoolToDo> ForSchoolAsync(GrantLedgerDb db, Programmes.School school, CancellationToken ct)
    {
        var drafts = db.Set<Claim>().AsNoTracking().Where(c => c.SchoolId == school.Id && c.State == "draft");
        var counts = await drafts.GroupBy(c => c.Reason != null).Select(g => new { Returned = g.Key, Count = g.Count() }).ToListAsync(ct);
        int Count(bool returned) => counts.Where(c => c.Returned == returned).Sum(c => c.Count);
        var (returnedCount, draftCount) = (Count(true), Count(false));
        var returned = returnedCount == 0 ? [] : await drafts.Where(c => c.Reason != null).OrderBy(c => c.Id).Select(c => c.Id).Take(Shown).ToListAsync(ct);
        var never = draftCount == 0 ? [] : await drafts.Where(c => c.Reason == null).OrderBy(c => c.Id).Select(c => c.Id).Take(Shown).ToListAsync(ct);

        var year = await SchoolBudget.CurrentYearAsync(db, school.ProgrammeId, ct);
        string? plan = null;
        if (year is not null)
        {
            var latest = (await AreaSchools.LatestPlansAsync(db, [school.Id], year.Id, ct)).GetValueOrDefault(school.Id);
            plan = latest switch
            {
                null => $"Your school has no action plan for {year.Code} yet",
                { Shown: "returned" } => "Your action plan was returned to you with feedback",
                { State: "draft", AgreedVersion: { } agreed } => $"Your revision of the action plan has not been sent to your area lead (version {agreed} stays agreed)",
                { State: "draft" } => "Your action plan has not been sent to your area lead",
                _ => null, // sent to the lead, or agreed
            };
            return new SchoolToDo(returned, returnedCount, never, draftCount, plan, latest is not null);
        }
        return new SchoolToDo(returned, returnedCount, never, draftCount, null, false);
    }

    /// <summary>"1 claim was", "3 claims were".</summary>
    public static string Claims(int count, string was, string were) => count == 1 ? $"1 claim {was}" : $"{Gov.Number(count)} claims {were}";

    /// <summary>The claims named, each linked to its page, and how many more the claims list has: "CLM-000012, CLM-000014, and 3 more on your claims list".</summary>
    public static IHtmlContent Links(IReadOnlyList<long> named, int count)
    {
        var html = new HtmlContentBuilder();
        for (var i = 0; i < named.Count; i++)
            html.AppendHtml(i > 0 ? ", " : "").AppendHtml($"<a class=\"govuk-notification-banner__link\" href=\"/school/claims/{named[i]}\">")
                .Append(ClaimAccess.Reference(named[i])).AppendHtml("</a>");
        return count > named.Count ? html.Append($", and {Gov.Number(count - named.Count)} more on your claims list") : html;
    }
}

using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages.Review;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// What waits for the school's business manager, as their dashboard opens with it: claims returned to them for changes,
/// drafts not yet submitted (each of any year, the oldest first, <see cref="Shown"/> of each named), and the current year's
/// action plan when it waits for them (none yet, a draft not sent, or returned with feedback). Nothing told them before:
/// a returned claim was found only by opening the claims list.
/// </summary>
public sealed record SchoolToDo(IReadOnlyList<long> Returned, int ReturnedCount, IReadOnlyList<long> Drafts, int DraftCount, string? Plan, string? YearCode)
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
                null => "none",
                { Shown: "returned" } => "returned",
                { State: "draft" } => "draft",
                _ => null, // sent to the lead, or agreed
            };
        }
        return new SchoolToDo(returned, returnedCount, never, draftCount, plan, year?.Code);
    }

    /// <summary>"1 claim was", "3 claims were".</summary>
    public static string Claims(int count, string was, string were) => count == 1 ? $"1 claim {was}" : $"{Gov.Number(count)} claims {were}";

    /// <summary>A claim's reference, for its link.</summary>
    public static string Reference(long claimId) => ClaimAccess.Reference(claimId);
}

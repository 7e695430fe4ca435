using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>One budget category of a school for a year, read from its ledger accounts as the reconciliation reads them (<see cref="BudgetFigures"/>).</summary>
public sealed record CategoryFigures(long CategoryId, string Name, string Unit, BudgetFigures Figures)
{
    /// <summary>Allocations net of their reversals, virements and lapses.</summary>
    public long Allocated => Figures.Allocated;
    /// <summary>Held by submitted claims (pending transfers).</summary>
    public long Reserved => Figures.Reserved;
    /// <summary>Approved claims, paid or not.</summary>
    public long Approved => Figures.Approved;
    public long Paid => Figures.Paid;
    public long Available => Figures.Available;
}

/// <summary>
/// What became of a school's category at its year's close: what it had left unspent lapsed, or was carried forward into
/// <paramref name="NextYear"/> (amounts in the category's unit; both nought when nothing was left).
/// </summary>
public sealed record YearEndFigure(long CategoryId, string Name, string Unit, long Lapsed, long CarriedForward, string? NextYear);

/// <summary>
/// What the school dashboard shows: each category's allocation and what claims have done with it, from the accounts
/// (<see cref="BudgetFigures"/>: the same reading as the reconciliation workbook's).
/// </summary>
public static class SchoolBudget
{
    /// <summary>The year that contains today, else the latest year that has started, else the first.</summary>
    public static async Task<ProgrammeYear?> CurrentYearAsync(GrantLedgerDb db, long programmeId, CancellationToken ct)
    {
        var today = UkTime.Today;
        var years = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).Where(y => y.ProgrammeId == programmeId)
            .OrderBy(y => y.StartsOn).ToListAsync(ct);
        return years.FirstOrDefault(y => y.StartsOn <= today && today <= y.EndsOn)
               ?? years.LastOrDefault(y => y.StartsOn <= today) ?? years.FirstOrDefault();
    }

    /// <summary>
    /// The years a school's budget can be shown for: the programme's years that have started (and the current one), newest
    /// first, and the one chosen, else the current one; a year not of the programme is not found. The school's dashboard and
    /// the area lead's schools pages offer them.
    /// </summary>
    public static async Task<(IReadOnlyList<ProgrammeYear> Years, ProgrammeYear? Year)> ShownYearsAsync(GrantLedgerDb db, long programmeId, long? chosen,
        CancellationToken ct)
    {
        var current = await CurrentYearAsync(db, programmeId, ct);
        var today = UkTime.Today;
        var years = await db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == programmeId && y.StartsOn <= today)
            .OrderByDescending(y => y.StartsOn).ToListAsync(ct);
        if (current is not null && years.All(y => y.Id != current.Id)) years.Insert(0, current);
        if (chosen is null) return (years, current);
        return (years, years.FirstOrDefault(y => y.Id == chosen) ?? throw new NotFound("programme year", chosen));
    }

    /// <summary>
    /// The signed-in school business manager's school and the years its pages offer (<see cref="ShownYearsAsync"/>): the
    /// dashboard, the statement and its CSV.
    /// </summary>
    public static async Task<(Programmes.School School, IReadOnlyList<ProgrammeYear> Years, ProgrammeYear? Year)> CallersYearsAsync(
        GrantLedgerDb db, CurrentUser caller, long? chosen, CancellationToken ct)
    {
        var school = await db.Schools.AsNoTracking().SingleAsync(s => s.Id == caller.SchoolId, ct);
        var (years, year) = await ShownYearsAsync(db, school.ProgrammeId, chosen, ct);
        return (school, years, year);
    }

    /// <summary>
    /// The years finance works in: every year that has started and is not closed (last year's, while its Summer 2 claims are
    /// paid and its half-terms closed in the autumn), newest first, else the current year.
    /// </summary>
    public static async Task<IReadOnlyList<ProgrammeYear>> WorkingYearsAsync(GrantLedgerDb db, long programmeId, CancellationToken ct)
    {
        var today = UkTime.Today;
        var years = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).Where(y => y.ProgrammeId == programmeId)
            .OrderByDescending(y => y.StartsOn).ToListAsync(ct);
        var working = years.Where(y => y.ClosedAt is null && y.StartsOn <= today).ToList();
        return working.Count > 0 ? working : years.Where(y => y.StartsOn <= today).Take(1).DefaultIfEmpty(years.LastOrDefault()).OfType<ProgrammeYear>().ToList();
    }

    public static async Task<IReadOnlyList<CategoryFigures>> ForSchoolAsync(GrantLedgerDb db, long schoolId, long yearId, CancellationToken ct) =>
        (await ForSchoolsAsync(db, [schoolId], yearId, ct)).GetValueOrDefault(schoolId, []);

    /// <summary>
    /// What each of the school's categories lapsed or carried forward when the year was closed, from the year end's transfers out
    /// of its available accounts (both of the close's entries: what was unspent on the last day, and what was released since),
    /// in the order of the dashboard's categories.
    /// </summary>
    public static async Task<IReadOnlyList<YearEndFigure>> YearEndAsync(GrantLedgerDb db, long schoolId, long yearId, IReadOnlyList<CategoryFigures> categories,
        CancellationToken ct)
    {
        var moved = await db.Database.SqlQuery<YearEndMoved>($"""
            SELECT a.category_id AS "CategoryId",
                   COALESCE(sum(t.amount) FILTER (WHERE c.code LIKE '%:lapsed'), 0)::bigint AS "Lapsed",
                   COALESCE(sum(t.amount) FILTER (WHERE c.code LIKE '%:carried-forward'), 0)::bigint AS "CarriedForward",
                   (SELECT ny.code FROM year_end_rule r JOIN programme_year ny ON ny.id = r.next_year_id
                     WHERE r.programme_year_id = {yearId} AND r.category_id = a.category_id) AS "NextYear"
              FROM transfer t
              JOIN journal_entry j ON j.id = t.entry_id AND j.cause_type = 'year_end' AND j.cause_id = {yearId}
              JOIN account a ON a.id = t.debit_account_id AND a.school_id = {schoolId} AND a.programme_year_id = {yearId} AND a.code LIKE '%:available'
              JOIN account c ON c.id = t.credit_account_id
             GROUP BY a.category_id
            """).ToListAsync(ct);
        return categories.Select(f => moved.FirstOrDefault(m => m.CategoryId == f.CategoryId) is { } m
            ? new YearEndFigure(f.CategoryId, f.Name, f.Unit, m.Lapsed, m.CarriedForward, m.NextYear)
            : new YearEndFigure(f.CategoryId, f.Name, f.Unit, 0, 0, null)).ToList();
    }

    private sealed record YearEndMoved(long CategoryId, long Lapsed, long CarriedForward, string? NextYear);

    /// <summary>
    /// Each school's categories as <see cref="ForSchoolAsync"/> reads one school's, for many schools in two queries (an area
    /// lead's list of their schools). A school with no accounts in the year is not in the answer.
    /// </summary>
    public static async Task<IReadOnlyDictionary<long, IReadOnlyList<CategoryFigures>>> ForSchoolsAsync(GrantLedgerDb db, IReadOnlyCollection<long> schoolIds,
        long yearId, CancellationToken ct)
    {
        var schools = schoolIds.ToList();
        var accounts = await db.Accounts.AsNoTracking()
            .Where(a => a.SchoolId != null && schools.Contains(a.SchoolId.Value) && a.ProgrammeYearId == yearId && a.CategoryId != null).ToListAsync(ct);
        var ids = accounts.Select(a => a.CategoryId!.Value).Distinct().ToList();
        var categories = await db.Categories.AsNoTracking().Where(c => ids.Contains(c.Id)).OrderBy(c => c.Unit).ThenBy(c => c.Id).ToListAsync(ct);
        return accounts.GroupBy(a => a.SchoolId!.Value).ToDictionary(g => g.Key, g => (IReadOnlyList<CategoryFigures>)categories
            .Where(c => g.Any(a => a.CategoryId == c.Id))
            .Select(c => new CategoryFigures(c.Id, c.Name, c.Unit, BudgetFigures.Of(g.Where(a => a.CategoryId == c.Id)))).ToList());
    }
}

/// <summary>A small stacked bar chart of the money categories, with a text alternative; the table beside it gives the figures.</summary>
public static class BudgetChart
{
    public static Microsoft.AspNetCore.Html.IHtmlContent Chart(IReadOnlyList<CategoryFigures> money)
    {
        static string E(string s) => System.Net.WebUtility.HtmlEncode(s);
        const int width = 460, bar = 22, gap = 34;
        var max = Math.Max(1, money.Select(f => f.Allocated).DefaultIfEmpty(1).Max());
        var height = money.Count * (bar + gap) + 30;
        long W(long v) => Math.Max(0, v) * width / max;
        var sb = new System.Text.StringBuilder();
        sb.Append($"""<svg class="gl-chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 {width + 10} {height}" width="{width + 10}" height="{height}" xmlns="http://www.w3.org/2000/svg">""");
        sb.Append("""<title id="chart-title">Money by category: approved, reserved and available</title>""");
        sb.Append($"""<desc id="chart-desc">{E(string.Join(". ", money.Select(f => $"{f.Name}: {new Core.Money.Money(f.Approved)} approved, {new Core.Money.Money(f.Reserved)} reserved, {new Core.Money.Money(f.Available)} available of {new Core.Money.Money(f.Allocated)}")))}</desc>""");
        for (var i = 0; i < money.Count; i++)
        {
            var f = money[i];
            var y = i * (bar + gap);
            sb.Append($"""<text x="0" y="{y + 14}" font-size="15" fill="#0b0c0c">{E(f.Name)}</text>""");
            sb.Append($"""<rect x="0" y="{y + 20}" width="{W(f.Approved)}" height="{bar}" fill="#00703c"></rect>""");
            sb.Append($"""<rect x="{W(f.Approved)}" y="{y + 20}" width="{W(f.Reserved)}" height="{bar}" fill="#1d70b8"></rect>""");
            sb.Append($"""<rect x="{W(f.Approved) + W(f.Reserved)}" y="{y + 20}" width="{W(f.Available)}" height="{bar}" fill="#b1b4b6"></rect>""");
        }
        sb.Append($"""<g transform="translate(0 {height - 12})" font-size="14" fill="#0b0c0c"><rect x="0" y="-10" width="12" height="12" fill="#00703c"></rect><text x="16" y="0">Approved</text><rect x="110" y="-10" width="12" height="12" fill="#1d70b8"></rect><text x="126" y="0">Reserved</text><rect x="220" y="-10" width="12" height="12" fill="#b1b4b6"></rect><text x="236" y="0">Available</text></g></svg>""");
        return new Microsoft.AspNetCore.Html.HtmlString(sb.ToString());
    }
}

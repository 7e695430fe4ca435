using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Review;

/// <summary>
/// An area lead's schools: a lead had only a queue of claims and plans, and no page saying how each school of their area
/// stood (its plan, what it was allocated and what its claims have taken), nor one school's budget as the school sees it.
/// </summary>
public sealed partial class AreaSchoolsPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// School 0 of area 0: £2,000 allocated (£1,000 staff cover, £500 TLR and admin, £500 action plan), a claim of £250
    /// submitted (reserved) and one of £250 approved. School 1 of area 0: allocated only. Schools 2 and 3 are area 1's.
    /// </summary>
    private static async Task<(ClaimWorld W, long Submitted, long Approved)> AreaWithClaimsAsync(DatabaseFixture db)
    {
        var w = await ClaimWorld.CreateAsync(db);
        var submitted = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(submitted, "STAFF-01", w.S.On("10-05"));
        (await w.SubmitAsync(submitted)).Expect(HttpStatusCode.OK);
        var approved = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        return (w, submitted, approved);
    }

    [Fact]
    public async Task TheList_ShowsTheLeadsAreasSchoolsOnly_WithFiguresThatTieToEachSchoolsDashboard()
    {
        var (w, _, _) = await AreaWithClaimsAsync(Db);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var list = await Read(lead, "/review/schools");
        var s = w.S.Schools;

        Assert.Contains($"School {s[0].Urn}", list);
        Assert.Contains($"School {s[1].Urn}", list);
        Assert.DoesNotContain(s[2].Urn, list);
        Assert.DoesNotContain(s[3].Urn, list);
        Assert.Contains("href=\"/review/schools\"", list); // in the navigation

        // allocated, reserved, approved, paid, available: the sums of the school's own dashboard's money table
        var dashboard = Table(await Read(school, "/school"), "budget-table");
        var columns = Enumerable.Range(0, 5).Select(i => Rows(dashboard).Sum(r => Amounts(r)[i])).ToArray();
        Assert.Equal([2000_00, 250_00, 250_00, 0, 1500_00], columns);
        var row = Row(list, $"school-{s[0].Id}");
        Assert.Equal(columns, Amounts(row));
        Assert.Contains("Agreed", row);
        Assert.Matches(@">\s*1\s*</td>\s*</tr>", row); // the submitted claim awaits the lead; the approved one does not

        var other = Row(list, $"school-{s[1].Id}");
        Assert.Equal([2000_00, 0, 0, 0, 2000_00], Amounts(other));
        Assert.Contains("None", other); // no plan
        Assert.Equal([4000_00, 250_00, 250_00, 0, 3500_00], Amounts(Row(list, "totals")));
    }

    [Fact]
    public async Task TheSchoolPage_ShowsItsBudgetAsItsDashboardDoes_ItsPlan_AndItsClaimsLinkedToTheirReview()
    {
        var (w, submitted, approved) = await AreaWithClaimsAsync(Db);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var s0 = w.S.Schools[0];

        Assert.Contains($"href=\"/review/schools/{s0.Id}\"", await Read(lead, "/review/schools"));
        var page = await Read(lead, $"/review/schools/{s0.Id}");
        Assert.Equal(Table(await Read(school, "/school"), "budget-table"), Table(page, "budget-table"));
        Assert.Equal(Table(await Read(school, "/school"), "time-table"), Table(page, "time-table"));
        Assert.Matches("href=\"/review/plans/\\d+\"", page);
        Assert.Contains("Agreed", page);
        var claims = Table(page, "claims");
        Assert.Contains($"href=\"/review/claims/{submitted}?from=school\"", claims);
        Assert.Contains($"href=\"/review/claims/{approved}?from=school\"", claims);
        Assert.Contains("£250.00", claims);
        Assert.Contains("Submitted", claims);
        Assert.Contains("Approved", claims);
        Assert.Contains($"<td class=\"govuk-table__cell\">Autumn 1 {w.S.YearCode}</td>", claims); // with its year, as the queue names it
        Assert.Contains("href=\"/review/schools\"", page); // back
    }

    /// <summary>
    /// A school's draft is listed on its page, and opening it read "Review claim CLM-…" as if it awaited the lead: it is headed
    /// "Claim CLM-…" and says the school has not submitted it, with no review button; a submitted claim is still "Review
    /// claim", with its button, and an approved one, past the lead, is just "Claim".
    /// </summary>
    [Fact]
    public async Task ASchoolsDraft_OpenedByTheLead_SaysItIsNotYetSubmitted_AndOffersNoReview()
    {
        var (w, submitted, approved) = await AreaWithClaimsAsync(Db);
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft, "STAFF-03", w.S.On("10-07"));
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var s0 = w.S.Schools[0];
        Assert.Contains($"href=\"/review/claims/{draft}?from=school\"", Table(await Read(lead, $"/review/schools/{s0.Id}"), "claims"));

        var page = await Read(lead, $"/review/claims/{draft}?from=school");
        Assert.Matches($@"<h1[^>]*>\s*Claim CLM-{draft:D6}\s*</h1>", page);
        Assert.Contains("The school has not submitted this claim", page);
        Assert.DoesNotContain("Start the review", page);
        Assert.DoesNotContain("Review claim", page);

        var waiting = await Read(lead, $"/review/claims/{submitted}");
        Assert.Matches($@"<h1[^>]*>\s*Review claim CLM-{submitted:D6}\s*</h1>", waiting);
        Assert.Contains("Start the review", waiting);
        Assert.DoesNotContain("has not submitted", waiting);
        Assert.Matches($@"<h1[^>]*>\s*Claim CLM-{approved:D6}\s*</h1>", await Read(lead, $"/review/claims/{approved}"));
    }

    /// <summary>
    /// Last year is offered beside this one, which is shown first; chosen, it shows last year's figures (nothing was
    /// allocated then), on the list and on a school's page. A year not of the programme is missing; one that cannot be read
    /// is said so, and this year shown.
    /// </summary>
    [Fact]
    public async Task AnotherYearThatHasStarted_CanBeChosen_AndShowsThatYearsFigures()
    {
        var (w, _, _) = await AreaWithClaimsAsync(Db);
        var lastYear = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2025-26" })).Expect(HttpStatusCode.Created).Id;
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var s0 = w.S.Schools[0];

        var list = await Read(lead, "/review/schools");
        Assert.Matches($"<option value=\"{w.S.YearId}\" selected>2026-27</option>", list);
        Assert.Contains($"<option value=\"{lastYear}\">2025-26</option>", list);
        Assert.Equal([2000_00, 250_00, 250_00, 0, 1500_00], Amounts(Row(list, $"school-{s0.Id}")));

        var then = await Read(lead, $"/review/schools?year={lastYear}");
        Assert.Equal([0L, 0, 0, 0, 0], Amounts(Row(then, $"school-{s0.Id}")));
        Assert.Contains($"href=\"/review/schools/{s0.Id}?year={lastYear}\"", then);
        var school = await Read(lead, $"/review/schools/{s0.Id}?year={lastYear}");
        Assert.DoesNotContain("budget-table", school);
        Assert.DoesNotContain("/review/claims/", school);

        using (var other = await lead.GetAsync("/review/schools?year=999999999"))
            Assert.Equal("/forbidden?missing=1", other.Headers.Location?.OriginalString);
        using var unread = await lead.GetAsync("/review/schools?year=abc");
        Assert.Equal(HttpStatusCode.OK, unread.StatusCode);
        Assert.Contains("govuk-error-summary", await unread.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// An area of a national programme holds hundreds of schools, and the page listed every one of them at once: it lists 100 a
    /// page, by name, with the totals of every school found on each page; finds a school by its name or the start of its URN;
    /// and lists only the schools with claims waiting for the lead when asked. Here area 0 holds 101 schools: the world's two
    /// (school 0 with a claim submitted and one approved) and 99 academies of £100.00 staff cover each.
    /// </summary>
    [Fact]
    public async Task AnAreaOfManySchools_IsListedAPageAtATime_WithTheTotalsOfAll_AndASchoolIsFoundByNameOrUrn_OrByClaimsWaiting()
    {
        var (w, _, _) = await AreaWithClaimsAsync(Db);
        var s = w.S;
        var csv = "URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n" + string.Concat(Enumerable.Range(0, 99).Select(i => $"{810000 + i},Academy {i:D2},Primary,Camden\n"));
        (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}", Encoding.UTF8.GetBytes(csv), "text/csv"))
            .Expect(HttpStatusCode.OK);
        await s.FundAsync("10300.00");
        await s.AllocateEachAsync("staff-cover", "100.00"); // to each of the programme's 103 schools
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);

        var first = await Read(lead, "/review/schools");
        Assert.Contains("Schools 1 to 100 of 101", first);
        Assert.Contains("href=\"/review/schools?page=2\"", first);
        var second = await Read(lead, "/review/schools?page=2");
        Assert.Contains("Schools 101 to 101 of 101", second);
        var listed = SchoolRowIds(first).Concat(SchoolRowIds(second)).ToList();
        Assert.Equal(101, listed.Distinct().Count());
        Assert.Equal("Academy 00", Regex.Match(first, "<tr[^>]*id=\"school-\\d+\".*?<a[^>]*>([^<]*)</a>", RegexOptions.Singleline).Groups[1].Value); // by name
        Assert.DoesNotContain(s.Schools[2].Urn, first + second); // another area's
        // every school's money on every page: £2,100.00 for each of the world's two and £100.00 for each academy
        long[] area = [2 * 2100_00 + 99 * 100_00, 250_00, 250_00, 0, 2 * 2100_00 + 99 * 100_00 - 500_00];
        Assert.Equal(area, Amounts(Row(first, "totals")));
        Assert.Equal(area, Amounts(Row(second, "totals")));
        Assert.Contains("Total, 101 schools on every page", Row(second, "totals"));
        Assert.Contains(">1</strong>", Row(first, "totals")); // the one claim waiting for the lead

        var byName = await Read(lead, "/review/schools?q=academy+4");
        Assert.Equal(10, SchoolRowIds(byName).Count); // Academy 40 to 49
        Assert.Contains("10 schools", byName);
        Assert.Equal([10 * 100_00, 0, 0, 0, 10 * 100_00], Amounts(Row(byName, "totals")));
        Assert.Contains("Total, 10 schools<", Row(byName, "totals"));
        var byUrn = await Read(lead, $"/review/schools?q={s.Schools[0].Urn}");
        Assert.Equal([s.Schools[0].Id], SchoolRowIds(byUrn));
        var elsewhere = await Read(lead, $"/review/schools?q={s.Schools[2].Urn}");
        Assert.Empty(SchoolRowIds(elsewhere));
        Assert.Contains("No schools of your area match this search.", elsewhere);

        var waiting = await Read(lead, "/review/schools?waiting=1");
        Assert.Equal([s.Schools[0].Id], SchoolRowIds(waiting));
        Assert.Equal([2100_00, 250_00, 250_00, 0, 1600_00], Amounts(Row(waiting, "totals")));
        Assert.Contains("value=\"1\" checked", waiting); // the filter shown as chosen
        Assert.Contains("No schools of your area match this search and have claims waiting for you.",
            await Read(lead, "/review/schools?waiting=1&q=academy"));

        var tooLong = await Read(lead, "/review/schools?q=" + new string('a', 201));
        Assert.Contains("govuk-error-summary", tooLong);
        Assert.Contains("The search must be at most 200 characters", tooLong);
        Assert.Empty(SchoolRowIds(tooLong));
    }

    private static List<long> SchoolRowIds(string html) =>
        Regex.Matches(html, "<tr class=\"govuk-table__row\" id=\"school-(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value)).ToList();

    /// <summary>A plan the lead returned is a draft again: the list says "Returned" until the school sends it back.</summary>
    [Fact]
    public async Task APlanTheLeadReturned_IsShownReturned_UntilTheSchoolSendsItAgain()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var plan = await w.OtherSchoolsDraftPlanAsync();
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var row = $"school-{w.S.Schools[1].Id}";
        Assert.Contains(">Draft<", Row(await Read(lead, "/review/schools"), row));
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{plan}/submit", null)).Expect(HttpStatusCode.OK);
        Assert.Contains(">Submitted<", Row(await Read(lead, "/review/schools"), row));
        (await w.Lead.PostAsync($"/api/v1/action-plans/{plan}/return", new { feedback = "Cost the training" })).Expect(HttpStatusCode.OK);
        Assert.Contains(">Returned<", Row(await Read(lead, "/review/schools"), row));
        Assert.Contains($"href=\"/review/plans/{plan}\"", await Read(lead, $"/review/schools/{w.S.Schools[1].Id}"));
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{plan}/submit", null)).Expect(HttpStatusCode.OK);
        Assert.Contains(">Submitted<", Row(await Read(lead, "/review/schools"), row));
    }

    /// <summary>A school revising its agreed plan still has it agreed: the list says both, and the school's page leads to the revision.</summary>
    [Fact]
    public async Task ARevisionUnderWay_IsShownBesideTheVersionStillAgreed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var s0 = w.S.Schools[0];
        var agreed = long.Parse(Regex.Match(await Read(lead, $"/review/schools/{s0.Id}"), "href=\"/review/plans/(\\d+)\"").Groups[1].Value);
        Assert.DoesNotContain("is agreed", Row(await Read(lead, "/review/schools"), $"school-{s0.Id}"));

        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{agreed}/revise", null)).Expect(HttpStatusCode.Created).Id;
        var row = Row(await Read(lead, "/review/schools"), $"school-{s0.Id}");
        Assert.Contains(">Draft<", row);
        Assert.Contains("version 1 is agreed", row);
        Assert.Contains($"href=\"/review/plans/{revision}\"", await Read(lead, $"/review/schools/{s0.Id}"));
    }

    [Fact]
    public async Task AnotherAreasSchool_OrOneThatDoesNotExist_IsAnsweredAsMissing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        foreach (var url in new[] { $"/review/schools/{w.S.Schools[2].Id}", "/review/schools/999999999" })
        {
            using var answer = await lead.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
            Assert.Equal("/forbidden?missing=1", answer.Headers.Location?.OriginalString);
        }
        using var own = await lead.GetAsync($"/review/schools/{w.S.Schools[1].Id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task ASchoolBusinessManager_IsRefused_AsOnTheActionPlansPage()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var plans = await school.GetAsync("/review/plans");
        Assert.NotEqual(HttpStatusCode.OK, plans.StatusCode);
        foreach (var url in new[] { "/review/schools", $"/review/schools/{w.S.Schools[0].Id}" })
        {
            using var answer = await school.GetAsync(url);
            Assert.Equal(plans.StatusCode, answer.StatusCode);
            Assert.EndsWith("/forbidden", Page(answer));
            Assert.Equal(Page(plans), Page(answer)); // the page that says it is not theirs (its return address aside)
        }
    }

    private static string? Page(HttpResponseMessage answer) => answer.Headers.Location?.OriginalString.Split('?')[0];

    private static string Row(string html, string id)
    {
        var m = Regex.Match(html, $"<tr[^>]*id=\"{id}\".*?</tr>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no row {id}");
        return m.Value;
    }

    /// <summary>The amounts of a row, in pence, in their order.</summary>
    private static long[] Amounts(string row) =>
        PoundsPattern().Matches(row).Select(m => long.Parse(m.Groups[1].Value.Replace(",", "")) * 100 + long.Parse(m.Groups[2].Value)).ToArray();

    [GeneratedRegex(@"£([\d,]+)\.(\d\d)")]
    private static partial Regex PoundsPattern();
}

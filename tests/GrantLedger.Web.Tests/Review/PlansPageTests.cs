using System.Net;
using GrantLedger.Web.Pages.Review;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Review;

/// <summary>The area lead's action plans (/review/plans), and the plans waiting on the review queue (/review).</summary>
public sealed class PlansPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static Task<HttpClient> PageAsync(DatabaseFixture db, string userName) => Security.PageFormFuzzTests.SignedInPageAsync(db.Factory, userName);

    private static string Caption(string html) => Table(html, "plans") is var t && System.Text.RegularExpressions.Regex.Match(t, "<caption[^>]*>(.*?)</caption>") is { Success: true } m
        ? m.Groups[1].Value : "";

    private static object PlanOf(ClaimWorld w) => new
    {
        programmeYearId = w.S.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"),
        actions = new object[]
        {
            new { theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
            new { theme = "support", description = "Staff training", periodId = w.Periods["aut1"], estimatedCost = "200.00" },
        },
    };

    [Fact]
    public async Task ThePlansList_PagesTheAreasPlansWithTheTrueCount_AndFindsThemByYearAndStatus()
    {
        var w = await ClaimWorld.CreateAsync(Db); // school 0's plan agreed
        var agreed = await w.AgreedPlanAsync();
        for (var i = 0; i < PlansModel.PageSize - 1; i++) // version after version: each agreed supersedes the one before
        {
            var next = (await w.School.PostAsync($"/api/v1/action-plans/{agreed}/revise", null)).Expect(HttpStatusCode.Created).Id;
            (await w.School.PostAsync($"/api/v1/action-plans/{next}/submit", null)).Expect(HttpStatusCode.OK);
            (await w.Lead.PostAsync($"/api/v1/action-plans/{next}/agree", null)).Expect(HttpStatusCode.OK);
            agreed = next;
        }
        var sent = (await w.OtherSchool.PostAsync("/api/v1/action-plans", PlanOf(w))).Expect(HttpStatusCode.Created).Id;
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{sent}/submit", null)).Expect(HttpStatusCode.OK);
        var elsewhere = await w.S.SchoolUserAsync(Db, 2); // a school of the other area: not the lead's
        (await elsewhere.PostAsync("/api/v1/action-plans", PlanOf(w))).Expect(HttpStatusCode.Created);

        using var page = await PageAsync(Db, w.Lead.UserName);
        var first = await Read(page, "/review/plans");
        Assert.Equal("Plans 1 to 50 of 51, most recently changed first", Caption(first));
        var rows = Rows(Table(first, "plans")).Select(Cells).ToList();
        Assert.Equal(50, rows.Count);
        Assert.StartsWith($"AP-{w.S.Schools[1].Urn}-v1", rows[0][0]); // sent last
        Assert.All(rows, r => Assert.Equal(w.S.YearCode, r[2]));
        Assert.DoesNotContain(rows, r => r[1].Contains(w.S.Schools[2].Urn));
        Assert.Contains("href=\"/review/plans?page=2\"", first);
        var second = Rows(Table(await Read(page, "/review/plans?page=2"), "plans")).Select(Cells).ToList();
        Assert.Equal(["Superseded"], second.Select(r => r[3]));
        Assert.StartsWith($"AP-{w.S.Schools[0].Urn}-v1", second[0][0]); // the first version, changed longest ago

        var submitted = await Read(page, "/review/plans?state=submitted");
        Assert.Equal("1 plan found, most recently changed first", Caption(submitted));
        Assert.StartsWith($"AP-{w.S.Schools[1].Urn}-v1", Rows(Table(submitted, "plans")).Select(Cells).Single()[0]);
        Assert.Equal($"{PlansModel.PageSize - 1} plans found, most recently changed first", Caption(await Read(page, "/review/plans?state=superseded")));
        var ofTheYear = await Read(page, $"/review/plans?year={w.S.YearId}&state=agreed");
        Assert.Equal($"AP-{w.S.Schools[0].Urn}-v{PlansModel.PageSize}", Rows(Table(ofTheYear, "plans")).Select(Cells).Single()[0]);

        foreach (var (query, field, says) in new[]
                 {
                     ("state=returned-ish", "state", "Select the status from the list"), ("year=999999", "year", "Select the year from the list"),
                     ("year=abc", "year", "Select the year from the list"),
                 })
        {
            var refused = await Read(page, $"/review/plans?{query}");
            Assert.Equal([$"{field}: {says}"], PageForms.SummaryItems(refused));
            Assert.Contains("Put the filters right to list the plans.", refused);
            Assert.DoesNotContain("id=\"plans\"", refused);
        }
    }

    [Fact]
    public async Task TheReviewQueue_ListsThePlansWaiting_AndSaysHowManyMoreWhenTheyDoNotAllFit()
    {
        var s = await Scenario.CreateAsync(Db, 1, PlansModel.PageSize + 1);
        var years = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray();
        var autumn = years[0]!["periods"]!.AsArray().Single(p => p!["code"]!.GetValue<string>() == "aut1")!["id"]!.GetValue<long>();
        var lead = await s.AreaLeadAsync(Db);
        using var page = await PageAsync(Db, lead.UserName);
        for (var i = 0; i <= PlansModel.PageSize; i++)
        {
            var school = await s.SchoolUserAsync(Db, i);
            var plan = (await school.PostAsync("/api/v1/action-plans", new
            {
                programmeYearId = s.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = s.On("09-20"),
                actions = new object[]
                {
                    new { theme = "learning", description = "Calm room", periodId = autumn, estimatedCost = "100.00" },
                    new { theme = "support", description = "Staff training", periodId = autumn, estimatedCost = "50.00" },
                },
            })).Expect(HttpStatusCode.Created).Id;
            (await school.PostAsync($"/api/v1/action-plans/{plan}/submit", null)).Expect(HttpStatusCode.OK);
            if (i == PlansModel.PageSize - 1) // as many as fit: no word of more
                Assert.DoesNotContain("id=\"more-plans-waiting\"", await Read(page, "/review"));
        }
        var queue = await Read(page, "/review");
        Assert.Equal(PlansModel.PageSize, System.Text.RegularExpressions.Regex.Matches(queue, "<li><a class=\"govuk-link\" href=\"/review/plans/").Count);
        Assert.Contains($"These are 50 of the 51 plans waiting, the most recently sent first: <a class=\"govuk-link\" href=\"/review/plans?state=submitted\">see every plan waiting</a>.", queue);
        Assert.Equal("Plans 1 to 50 of 51 found, most recently changed first", Caption(await Read(page, "/review/plans?state=submitted")));
    }
}

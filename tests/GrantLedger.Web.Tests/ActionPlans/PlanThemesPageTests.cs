using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.ActionPlans;

/// <summary>
/// Changing a draft plan's themes says plainly what stands in the way: dropping a theme that still has actions names the
/// action and the themes by their names ("'support' is not one of the plan's priority themes (learning, transitions)" named
/// neither the action nor what to do), and too few themes is told once, not also as every action's theme "not one of" them.
/// </summary>
public sealed class PlanThemesPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static async Task<List<(string Field, string Text)>> PostThemesAsync(HttpClient page, long plan, params string[] themes)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("id", plan.ToString()), new("studentGroupAgreedOn-day", "20"), new("studentGroupAgreedOn-month", "9"),
            new("studentGroupAgreedOn-year", "2026"), new("summary", ""),
            new(PageFormFuzzTests.Token, PageFormFuzzTests.TokenOf(await page.GetStringAsync($"/school/plan/themes?id={plan}"))),
        };
        fields.AddRange(themes.Select(t => new KeyValuePair<string, string>("themes", t)));
        using var answer = await page.PostAsync("/school/plan/themes", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return PageForms.Problems(WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task DroppingAThemeWithActions_NamesTheActionAndTheThemes_AndTooFewThemesIsToldOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var plan = (await w.OtherSchool.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = w.S.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"),
            actions = new object[]
            {
                new { theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
                new { theme = "support", description = "Staff training", periodId = w.Periods["aut2"], estimatedCost = "200.00" },
            },
        })).Expect(HttpStatusCode.Created).Id;
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName);

        var (field, text) = Assert.Single(await PostThemesAsync(page, plan, "learning", "transitions"));
        Assert.Equal("themes", field);
        Assert.Equal("The action \"Staff training\" is under Support, which is not one of the plan's themes (Learning, Transitions): "
                     + "keep Support as a theme, or move the action to another theme first", text);

        Assert.Equal([("themes", "Choose 2 or 3 priority themes (you chose 1)")], await PostThemesAsync(page, plan, "learning"));
        Assert.Equal(["learning", "support"], (await w.OtherSchool.GetAsync($"/api/v1/action-plans/{plan}")).Json["themes"]!.AsArray().Select(t => t!.GetValue<string>()));
    }
}

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

    /// <summary>
    /// A plan version no longer a draft (sent, agreed, or superseded by a later one), its action or themes page opened from a
    /// bookmark or a tab left open, offered its form, and a post was refused in the API's words in an unlinked summary line
    /// ("Version 1 of the plan is 'superseded': only a draft is edited…"). Each page says the version can no longer be
    /// changed, with its status and a link to the plan (naming a later version), and no form; a post writes nothing.
    /// </summary>
    [Fact]
    public async Task APlanNoLongerADraft_ItsActionAndThemesPagesSaySo_WithNoForm_AndAPostWritesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.AgreedPlanAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var urn = w.S.Schools[0].Urn;

        async Task SaysNoLongerChangedAsync(long plan, int version, string status, string link)
        {
            foreach (var url in new[] { $"/school/plan/action?id={plan}", $"/school/plan/themes?id={plan}" })
            {
                var html = WebUtility.HtmlDecode(await page.GetStringAsync(url));
                Assert.Contains($"Version {version} of your action plan (AP-{urn}-v{version}) is no longer a draft, so it cannot be changed", html);
                Assert.Contains($"Its status is now <strong class=\"govuk-tag", html);
                Assert.Contains($">{status}</strong>", html);
                Assert.Contains($"href=\"/school/plan\">{link}</a>", html);
                Assert.DoesNotContain("name=\"description\"", html);
                Assert.DoesNotContain("name=\"themes\"", html);

                var before = (await w.School.GetAsync($"/api/v1/action-plans/{plan}")).Expect(HttpStatusCode.OK).Json.ToJsonString();
                using var answer = await page.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync("/school/plan")), ["id"] = plan.ToString(),
                    ["theme"] = "learning", ["themes"] = "learning", ["description"] = "Late action", ["periodId"] = w.Periods["aut1"].ToString(),
                    ["estimatedCost"] = "10.00", ["summary"] = "changed",
                }));
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                var posted = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
                Assert.Contains("can no longer be changed", posted);
                Assert.DoesNotContain("govuk-error-summary", posted);
                Assert.Equal(before, (await w.School.GetAsync($"/api/v1/action-plans/{plan}")).Json.ToJsonString());
            }
        }

        await SaysNoLongerChangedAsync(first, 1, "Agreed", "Go to your action plan");
        var second = (await w.School.PostAsync($"/api/v1/action-plans/{first}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{second}/submit", null)).Expect(HttpStatusCode.OK);
        await SaysNoLongerChangedAsync(second, 2, "Submitted", "Go to your action plan");
        (await w.Lead.PostAsync($"/api/v1/action-plans/{second}/agree", null)).Expect(HttpStatusCode.OK);
        await SaysNoLongerChangedAsync(first, 1, "Superseded", "Go to your action plan, now at version 2");
    }

    /// <summary>
    /// The plan's page left open on a draft version while another tab sent it (or a colleague did): its Remove and Send
    /// buttons posted and were refused in the API's words in the error summary ("Version 2 of the plan is 'submitted': only
    /// a draft is edited…"), and its Revise button, once another tab had revised the agreed version, too ("Version 2 is
    /// already being revised (draft): continue with that one."). Each says, as the plan's action and themes pages do, that
    /// the version can no longer be changed (or is already revised), its status, and a link to the plan; nothing is written.
    /// </summary>
    [Fact]
    public async Task ThePlansPageLeftOpen_ItsRemoveSendAndReviseSayTheVersionMovedOn_AndWriteNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.AgreedPlanAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var urn = w.S.Schools[0].Urn;
        async Task<string> PostAsync(string token, string handler, long plan, int? actionRef = null)
        {
            var fields = new Dictionary<string, string> { [PageFormFuzzTests.Token] = token, ["id"] = plan.ToString() };
            if (actionRef is { } r) fields["actionRef"] = r.ToString();
            using var answer = await page.PostAsync($"/school/plan?handler={handler}", new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            Assert.DoesNotContain("govuk-error-summary", html);
            Assert.DoesNotContain("only a draft is edited", html);
            Assert.DoesNotContain("already being revised (draft)", html);
            foreach (var form in new[] { "name=\"actionRef\"", "Send the plan to your area lead", "Revise the plan as a new version" }) Assert.DoesNotContain(form, html);
            return html;
        }
        async Task<string> PlansAsync()
        {
            var plans = (await w.School.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Expect(HttpStatusCode.OK).Json.AsArray();
            var each = new List<string>();
            foreach (var p in plans) each.Add((await w.School.GetAsync($"/api/v1/action-plans/{p!["id"]}")).Expect(HttpStatusCode.OK).Json.ToJsonString());
            return string.Join("|", each);
        }

        // the plan is the year's: the page names it (it named none, where a school may have last year's plan too)
        Assert.Contains($"<span class=\"govuk-caption-l\" id=\"plan-year\">{w.S.YearCode}</span>", await page.GetStringAsync("/school/plan"));
        var token = PageFormFuzzTests.TokenOf(await page.GetStringAsync("/school/plan")); // version 1, agreed: Revise
        var second = (await w.School.PostAsync($"/api/v1/action-plans/{first}/revise", null)).Expect(HttpStatusCode.Created).Id; // another tab
        var before = await PlansAsync();
        var revised = await PostAsync(token, "Revise", first);
        Assert.Contains("Version 1 of your action plan has already been revised", revised);
        Assert.Contains("Its status is now <strong class=\"govuk-tag", revised);
        Assert.Contains(">Draft</strong>", revised);
        Assert.Contains("href=\"/school/plan\">Go to your action plan, now at version 2</a>", revised);
        Assert.Equal(before, await PlansAsync());

        token = PageFormFuzzTests.TokenOf(await page.GetStringAsync("/school/plan")); // version 2, a draft: Remove and Send
        (await w.School.PostAsync($"/api/v1/action-plans/{second}/submit", null)).Expect(HttpStatusCode.OK); // another tab
        before = await PlansAsync();
        foreach (var (handler, actionRef) in new[] { ("Remove", (int?)1), ("Submit", null) })
        {
            var html = await PostAsync(token, handler, second, actionRef);
            Assert.Contains($"Version 2 of your action plan (AP-{urn}-v2) is no longer a draft, so it cannot be changed", html);
            Assert.Contains(">Submitted</strong>", html);
            Assert.Contains("href=\"/school/plan\">Go to your action plan</a>", html);
            Assert.Equal(before, await PlansAsync());
        }
    }
}

using System.Net;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>The area lead's review, and the school's side of a returned claim and of a new action plan.</summary>
public sealed class ReviewJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    private static async Task<long> SubmittedClaimAsync(ClaimWorld world)
    {
        var id = await world.NewClaimAsync();
        await world.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05");
        await world.AddStaffTimeAsync(id, "STAFF-02", "2026-10-06");
        (await world.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        return id;
    }

    /// <summary>The lead's schools: the area's list from the navigation, one school's page from it, and back, then only the schools with claims waiting; each accessible.</summary>
    [Fact]
    public async Task AreaLead_SeesTheAreasSchools_AndOneSchoolsBudgetAndClaims()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await SubmittedClaimAsync(world);
        var page = await SignInAsync(world.Lead.UserName);
        await VisitAsync(page, "/review");
        await ClickAsync(page, "nav a[href='/review/schools']", screenshot: "lead-area-schools");
        var school = world.S.Schools[0];
        Assert.Contains(school.Urn, await page.InnerTextAsync("#schools"));
        Assert.Contains("1", await page.InnerTextAsync($"#school-{school.Id}")); // its claim awaiting the lead
        await ClickAsync(page, $"#school-{school.Id} a", screenshot: "lead-area-school");
        Assert.Contains($"CLM-{claimId:000000}", await page.InnerTextAsync("#claims"));
        await ClickAsync(page, "a:has-text('Back to the schools in your area')");
        await AtAsync(page, "/review/schools$");

        // only the schools with claims waiting: school 0, not school 1 of the same area
        await page.CheckAsync("input[name='waiting']");
        await ClickAsync(page, "button:has-text('Show schools')", screenshot: "lead-area-schools-waiting");
        await AtAsync(page, "/review/schools\\?.*waiting=1");
        Assert.Equal(1, await page.Locator("#schools tbody tr").CountAsync());
        Assert.Contains(school.Urn, await page.InnerTextAsync("#schools tbody"));
        Assert.DoesNotContain(world.S.Schools[1].Urn, await page.InnerTextAsync("#schools"));
    }

    [Fact]
    public async Task AreaLead_ReviewsAClaimBesideThePlan_AndApprovesLessOnOneLineWithAReason()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await SubmittedClaimAsync(world);
        var page = await SignInAsync(world.Lead.UserName);

        await VisitAsync(page, "/review", screenshot: "lead-review-queue");
        Assert.Contains("CLM-", await page.InnerTextAsync("#queue"));
        await ClickAsync(page, $"a[href='/review/claims/{claimId}']", screenshot: "lead-claim-beside-plan");
        Assert.Contains("Sensory room kit", await page.InnerTextAsync("#plan"));
        Assert.Equal(0, await page.Locator("a:has-text('Approve')").CountAsync()); // not before the review starts
        await ClickAsync(page, "button:has-text('Start the review')");
        Assert.Contains("Under review", await page.InnerTextAsync("#claim-state"));

        await ClickAsync(page, "a:has-text('Approve')");
        var lines = (await Db.ScalarAsync("SELECT max(id) FROM claim_line WHERE claim_id = $1", claimId));
        await page.FillAsync($"#amount-{lines}", "200");
        await ClickAsync(page, "button:has-text('Approve the claim')", screenshot: "lead-approve-error");
        await ExpectErrorAsync(page, $"reason-{lines}", "reason");
        Assert.Equal("200", await page.InputValueAsync($"#amount-{lines}"));
        await page.FillAsync($"#amount-{lines}", "two hundred");
        await page.FillAsync($"#reason-{lines}", "Half a day of the training was cancelled");
        await ClickAsync(page, "button:has-text('Approve the claim')");
        await ExpectErrorAsync(page, $"amount-{lines}");
        await page.FillAsync($"#amount-{lines}", "200.00");
        await ClickAsync(page, "button:has-text('Approve the claim')", screenshot: "lead-claim-approved");
        await AtAsync(page, "/done$");
        Assert.Contains("reduced amount", await page.InnerTextAsync("h1"));

        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'approved'", claimId));
        Assert.Equal(20000, await Db.ScalarAsync("SELECT sanctioned_pence FROM claim_line WHERE id = $1", lines));

        var school = await SignInAsync(world.School.UserName);
        await VisitAsync(school, "/school/claims");
        Assert.Contains("£450.00", await school.InnerTextAsync("#claims"));
    }

    [Fact]
    public async Task AreaLead_ReturnsAClaim_AndTheSchoolAmendsAndResubmitsIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await world.UnderReviewAsync();
        var lead = await SignInAsync(world.Lead.UserName);
        await VisitAsync(lead, $"/review/claims/{claimId}");
        await ClickAsync(lead, "a:has-text('Return to the school')");
        await ClickAsync(lead, "button:has-text('Return the claim')");
        await ExpectErrorAsync(lead, "reason", "Enter the reason");
        await lead.FillAsync("#reason", "The training was on 6 October: change the date");
        await ClickAsync(lead, "button:has-text('Return the claim')");
        Assert.Contains("returned", await lead.InnerTextAsync("h1"));

        var page = await SignInAsync(world.School.UserName);
        await VisitAsync(page, "/school/claims");
        Assert.Contains("change the date", await page.InnerTextAsync("#claims"));
        Assert.Contains("Returned", await page.InnerTextAsync("#claims"));
        // the dashboard says so too, and leads to the claim
        await ClickAsync(page, "nav a[href='/school']", screenshot: "school-waiting-for-you");
        Assert.Contains("1 claim was returned to you for changes", await page.InnerTextAsync("#to-do"));
        await ClickAsync(page, $"#to-do a[href='/school/claims/{claimId}']", screenshot: "school-returned-claim");
        Assert.Contains("change the date", await page.InnerTextAsync("main .govuk-notification-banner"));

        await ClickAsync(page, "button:has-text('Remove')");
        await ClickAsync(page, "a:has-text('Add a line')");
        await page.CheckAsync("label:has-text('Staff time')");
        await ClickAsync(page, "button:has-text('Continue')");
        await page.FillAsync("#staffRef", "STAFF-01");
        await page.SelectOptionAsync("#role", "leader"); // the role and activity start blank: each is chosen
        await page.SelectOptionAsync("#activity", "training");
        await FillDateAsync(page, "date", new DateOnly(2026, 10, 6));
        await page.FillAsync("#hours", "7.5");
        await ClickAsync(page, "button:has-text('Add the line')");
        await AtAsync(page, @"/school/claims/\d+$");
        await ClickAsync(page, "a:has-text('Check and submit')");
        await page.CheckAsync("#declaration");
        await ClickAsync(page, "button:has-text('Accept and submit')");
        Assert.Contains("Claim submitted", await page.InnerTextAsync("h1"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'submitted'", claimId));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1 AND work_date = '2026-10-06'", claimId));
    }

    [Fact]
    public async Task School_WritesAnActionPlan_AndTheAreaLeadAgreesIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var page = await SignInAsync(world.OtherSchool.UserName);
        await VisitAsync(page, "/school/plan");
        await ClickAsync(page, "a:has-text('Start your action plan')");
        await page.CheckAsync("label:has-text('Learning')");
        await FillDateAsync(page, "studentGroupAgreedOn", new DateOnly(2026, 9, 20));
        await ClickAsync(page, "button:has-text('Save and continue')", screenshot: "school-plan-themes-error");
        await ExpectErrorAsync(page, "themes", "Choose 2 or 3");
        Assert.Equal("20", await page.InputValueAsync("#studentGroupAgreedOn"));
        await page.CheckAsync("label:has-text('Environments')");
        await ClickAsync(page, "button:has-text('Save and continue')");
        await AtAsync(page, "/school/plan$");

        foreach (var (theme, text, cost) in new[] { ("Learning", "Visual timetables for every classroom", "1,234.50"), ("Environments", "Quiet room furniture", "250") })
        {
            await ClickAsync(page, "a:has-text('Add an action')");
            await page.CheckAsync($"label:has-text('{theme}')");
            await page.FillAsync("#description", text);
            await page.SelectOptionAsync("#periodId", new SelectOptionValue { Label = "Autumn 1" }); // the half-term starts blank
            await page.FillAsync("#estimatedCost", "£1.2.3");
            await ClickAsync(page, "button:has-text('Add the action')");
            await ExpectErrorAsync(page, "estimatedCost");
            Assert.Equal(text, await page.InputValueAsync("#description"));
            await page.FillAsync("#estimatedCost", cost);
            await ClickAsync(page, "button:has-text('Add the action')");
            await AtAsync(page, "/school/plan$");
        }
        Assert.Contains("£1,484.50", await page.InnerTextAsync("main"));
        await ClickAsync(page, "button:has-text('Send the plan')", screenshot: "school-plan-submitted");
        Assert.Contains("Submitted", await page.InnerTextAsync("#plan-state"));
        Assert.Contains("Your action plan was sent to your area lead", await page.InnerTextAsync("#done")); // said once, where it leads

        var lead = await SignInAsync(world.Lead.UserName);
        await VisitAsync(lead, "/review");
        await ClickAsync(lead, "#plans-waiting a", screenshot: "lead-plan-review");
        await ClickAsync(lead, "button:has-text('Agree the plan')");
        Assert.Contains("Agreed", await lead.InnerTextAsync("#plan-state"));
        Assert.Contains("Plan agreed: it is the version in force", await lead.InnerTextAsync("#done"));
        await VisitAsync(lead, new Uri(lead.Url).PathAndQuery);
        Assert.Equal(0, await lead.Locator("#done").CountAsync()); // once, not on every visit
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM action_plan WHERE school_id = $1 AND state = 'agreed'", world.S.Schools[1].Id));

        // the area's plans, the agreed ones found by their status
        await VisitAsync(lead, "/review/plans");
        await lead.SelectOptionAsync("#state", "agreed");
        await ClickAsync(lead, "button:has-text('Show plans')", screenshot: "lead-plans-agreed");
        Assert.Contains("state=agreed", lead.Url);
        Assert.EndsWith("found, most recently changed first", await lead.InnerTextAsync("#plans caption"));
        Assert.All(await lead.Locator("#plans tbody tr td:nth-child(4)").AllInnerTextsAsync(), s => Assert.Equal("Agreed", s));
        Assert.Contains(world.S.Schools[1].Urn, await lead.InnerTextAsync("#plans tbody tr:first-child"));
    }
}

using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.School;

/// <summary>
/// A school business manager's dashboard opens with what waits for them: a claim returned for changes was found only by
/// opening the claims list, and a draft left unsubmitted reserved nothing without a word.
/// </summary>
public sealed class DashboardToDoTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// School 0 (its plan agreed) has nothing waiting, and no banner, until it revises its plan; a claim returned by the lead and two drafts are named
    /// and linked, returned first; seven drafts name the oldest five and count the rest; a submitted claim is not waiting for
    /// the school. School 1 has no plan, then one returned with feedback, then one sent, which waits for the lead, not the school.
    /// </summary>
    [Fact]
    public async Task TheDashboard_NamesClaimsReturnedForChanges_DraftsNotSubmitted_AndAPlanWaitingForTheSchool()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var other = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName);
        Assert.DoesNotContain("id=\"to-do\"", await PageTables.Read(school, "/school"));

        var returned = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Attach the timesheet" })).Expect(HttpStatusCode.OK);
        var (first, second) = (await w.NewClaimAsync(), await w.NewClaimAsync());
        var submitted = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(submitted, "STAFF-02");
        (await w.SubmitAsync(submitted)).Expect(HttpStatusCode.OK);
        var banner = PageTables.WaitingForYou(await PageTables.Read(school, "/school"));
        Assert.Contains("id=\"to-do-returned\">1 claim was returned to you for changes</p>", banner);
        Assert.Contains($"href=\"/school/claims/{returned}\">CLM-{returned:000000}</a>", banner);
        Assert.Contains("id=\"to-do-drafts\">2 claims are not yet submitted</p>", banner);
        Assert.Equal([returned, first, second], Regex.Matches(banner, "href=\"/school/claims/(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value)));
        Assert.DoesNotContain("to-do-plan", banner);

        var more = new List<long>();
        for (var i = 0; i < 5; i++) more.Add(await w.NewClaimAsync());
        banner = PageTables.WaitingForYou(await PageTables.Read(school, "/school"));
        Assert.Contains("id=\"to-do-drafts\">7 claims are not yet submitted</p>", banner);
        Assert.Equal([first, second, more[0], more[1], more[2]],
            Regex.Matches(banner[banner.IndexOf("to-do-drafts", StringComparison.Ordinal)..], "href=\"/school/claims/(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value)));
        Assert.Contains(", and 2 more on your claims list", banner);

        Assert.Contains($"id=\"to-do-plan\">Your school has no action plan for {w.S.YearCode} yet</p>", PageTables.WaitingForYou(await PageTables.Read(other, "/school")));
        var plan = await w.OtherSchoolsDraftPlanAsync();
        Assert.Contains("id=\"to-do-plan\">Your action plan has not been sent to your area lead</p>", PageTables.WaitingForYou(await PageTables.Read(other, "/school")));
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{plan}/submit", null)).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain("id=\"to-do\"", await PageTables.Read(other, "/school")); // with the lead now
        (await w.Lead.PostAsync($"/api/v1/action-plans/{plan}/return", new { feedback = "Cost the training" })).Expect(HttpStatusCode.OK);
        var back = PageTables.WaitingForYou(await PageTables.Read(other, "/school"));
        Assert.Contains("id=\"to-do-plan\">Your action plan was returned to you with feedback</p>", back);
        Assert.Contains("href=\"/school/plan\">Go to your action plan</a>", back);

        // school 0 revising its agreed plan: the revision waits for it, the version agreed stands
        (await w.School.PostAsync($"/api/v1/action-plans/{await w.AgreedPlanAsync()}/revise", null)).Expect(HttpStatusCode.Created);
        Assert.Contains("id=\"to-do-plan\">Your revision of the action plan has not been sent to your area lead (version 1 stays agreed)</p>",
            PageTables.WaitingForYou(await PageTables.Read(school, "/school")));
    }
}

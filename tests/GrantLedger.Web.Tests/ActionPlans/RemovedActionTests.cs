using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.ActionPlans;

/// <summary>
/// A revised plan dropped an action that already had spending claimed against it: the claim's line then showed no action,
/// and the plan's table counted the approved £10 nowhere (the CSV export still showed it). A revision that removes an
/// action with lines on claims submitted or further on is refused naming actions, the action's number and the claims, as
/// it is saved and (a claim submitted since it was saved) as it is submitted; drafts' lines do not hold an action.
/// </summary>
public sealed class RemovedActionTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task ARevisionRemovingAnActionWithClaimedSpending_IsRefusedNamingActions_WhenSavedAndWhenSubmitted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-1");
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);
        var plan = await w.AgreedPlanAsync();

        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        var refused = (await w.School.PutAsync($"/api/v1/action-plans/{revision}", Plan(w, keepSecond: false))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actions");
        Assert.Contains("action 2", refused.Body);
        Assert.Contains($"CLM-{claim:000000}", refused.Body);
        Assert.Contains("keep the action", refused.Body);
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM action_plan_action WHERE action_plan_id = $1", revision));
        // kept, with another estimated cost: saved
        (await w.School.PutAsync($"/api/v1/action-plans/{revision}", Plan(w, keepSecond: true, secondCost: "10.00"))).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARevisionSavedBeforeTheClaimWasSubmitted_IsRefusedAtItsSubmission()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-1");
        var plan = await w.AgreedPlanAsync();
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PutAsync($"/api/v1/action-plans/{revision}", Plan(w, keepSecond: false))).Expect(HttpStatusCode.OK); // only a draft claims it
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);

        var refused = (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actions");
        Assert.Contains($"CLM-{claim:000000}", refused.Body);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {revision}"));
    }

    /// <summary>
    /// A version sent before the claim was submitted, and agreed after: the agreement would hide the claimed £10 from the
    /// plan's table as the saving and sending would have. The lead is refused (409) and can return the plan instead.
    /// </summary>
    [Fact]
    public async Task ARevisionSentBeforeTheClaimWasSubmitted_IsNotAgreed_AndCanBeReturned()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-1");
        var plan = await w.AgreedPlanAsync();
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PutAsync($"/api/v1/action-plans/{revision}", Plan(w, keepSecond: false))).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);

        var refused = (await w.Lead.PostAsync($"/api/v1/action-plans/{revision}/agree", null)).ExpectProblem(HttpStatusCode.Conflict, rule: "plan-drops-claimed-action");
        Assert.Contains($"action 2 has spending claimed on claim CLM-{claim:000000}", refused.Body);
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {revision}"));
        Assert.Equal("agreed", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {plan}")); // the version in force stays
        (await w.Lead.PostAsync($"/api/v1/action-plans/{revision}/return", new { feedback = "Keep action 2: it has spending claimed" })).Expect(HttpStatusCode.OK);
    }



    private static object Plan(ClaimWorld w, bool keepSecond, string secondCost = "200.00") => new
    {
        themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"),
        actions = new object[]
        {
            new { @ref = 1, theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
            keepSecond
                ? new { @ref = (int?)2, theme = "support", description = "Staff training", periodId = w.Periods["aut2"], estimatedCost = secondCost }
                : new { @ref = (int?)null, theme = "support", description = "Visual timetables", periodId = w.Periods["aut2"], estimatedCost = "40.00" },
        },
    };
}

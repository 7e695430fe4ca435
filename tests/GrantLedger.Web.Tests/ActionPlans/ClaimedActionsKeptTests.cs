using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.ActionPlans;

/// <summary>
/// The agreed plan and the claims on its actions were checked against each other by the service alone: an area lead
/// agreeing a version that drops action A while the school submitted a claim on A each read the other before it committed,
/// both were taken, and the agreed plan no longer showed spending that was claimed. The database decides it (migration
/// 0072): a claim becomes submitted only on actions of the agreed version, and a version becomes agreed only keeping every
/// action with claimed spending, whoever writes, one waiting for the other.
/// </summary>
public sealed class ClaimedActionsKeptTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AgreeingAVersionThatDropsAnAction_WhileAClaimOnItIsSubmitted_OneIsRefused_AndTheAgreedPlanKeepsEveryClaimedAction()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        for (var round = 0; round < 8; round++)
        {
            // fresh data: a version with a new action A agreed, a draft claiming A, and a version dropping A sent to the lead
            var withA = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", $"Round {round} training")));
            var agreed = (await w.Lead.PostAsync($"/api/v1/action-plans/{withA}/agree", null)).Expect(HttpStatusCode.OK).Json;
            var a = agreed["actions"]!.AsArray().Single(x => x!["ref"]!.GetValue<int>() != 1)!;
            var (actionId, actionRef) = (a["id"]!.GetValue<long>(), a["ref"]!.GetValue<int>());
            var claim = await DraftOnAsync(w, actionId, $"INV-P{round}");
            var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", $"Round {round} timetables")));

            var agreeing = w.Lead.PostAsync($"/api/v1/action-plans/{dropping}/agree", null);
            var submitting = w.SubmitAsync(claim);
            var (agreement, submission) = (await agreeing, await submitting);

            Assert.True((agreement.Status == HttpStatusCode.OK) != (submission.Status == HttpStatusCode.OK),
                $"round {round}: agree {agreement.Status}: {agreement.Body[..Math.Min(400, agreement.Body.Length)]}\n"
                + $"submit {submission.Status}: {submission.Body[..Math.Min(400, submission.Body.Length)]}");
            if (agreement.Status == HttpStatusCode.OK)
            {
                var refused = submission.ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].actionId");
                Assert.Contains("line 1's action is no longer in the school's agreed action plan", refused.Body);
                Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {claim}"));
            }
            else
            {
                var refused = agreement.ExpectProblem(HttpStatusCode.Conflict, rule: "plan-drops-claimed-action");
                Assert.Contains($"action {actionRef} has spending claimed on claim CLM-{claim:000000}", refused.Body);
                Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {dropping}"));
                Assert.Equal("agreed", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {withA}"));
            }
            Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
            Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM action_plan WHERE school_id = {w.S.Schools[0].Id} AND state = 'agreed'"));

            // the next round starts from the version dropping A, agreed once the claim no longer counts
            if (submission.Status == HttpStatusCode.OK)
            {
                (await w.School.PostAsync($"/api/v1/claims/{claim}/withdraw", new { reason = "Claimed on the wrong action" })).Expect(HttpStatusCode.OK);
                (await w.Lead.PostAsync($"/api/v1/action-plans/{dropping}/agree", null)).Expect(HttpStatusCode.OK);
            }
        }
    }

    /// <summary>A script cannot submit a claim on an action the agreed version left out: the database refuses the state change.</summary>
    [Fact]
    public async Task AScriptSubmittingAClaimOnAnActionNotInTheAgreedVersion_IsRefusedByTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await DraftOnAsync(w, w.Actions[1], "INV-S1");
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));
        (await w.Lead.PostAsync($"/api/v1/action-plans/{dropping}/agree", null)).Expect(HttpStatusCode.OK); // only a draft claims action 2

        await using var script = Db.DataSource.CreateCommand($"""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
            SELECT id, 'submit', 'draft', 'submitted', created_by, 'school_business_manager' FROM claim WHERE id = {claim};
            UPDATE claim SET state = 'submitted', submitted_by = created_by, submitted_at = now() WHERE id = {claim}
            """);
        var refusal = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync());
        Assert.Equal("GL016", refusal.SqlState);
        Assert.Contains("line 1's action is no longer in the school's agreed action plan", refusal.MessageText);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {claim}"));
        // through the API it is the service's own answer
        (await w.SubmitAsync(claim)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].actionId");
    }

    /// <summary>A script cannot agree a version that drops an action with claimed spending, even superseding the agreed one first.</summary>
    [Fact]
    public async Task AScriptAgreeingAVersionThatDropsAClaimedAction_IsRefusedByTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await DraftOnAsync(w, w.Actions[1], "INV-S2");
        var current = await AgreedPlanAsync(w);
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK); // the agreed version still has action 2

        await using var script = Db.DataSource.CreateCommand($"""
            UPDATE action_plan SET state = 'superseded', superseded_at = now() WHERE id = {current};
            UPDATE action_plan SET state = 'agreed', agreed_by = (SELECT agreed_by FROM action_plan WHERE id = {current}), agreed_at = now()
             WHERE id = {dropping}
            """);
        var refusal = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync());
        Assert.Equal("GL017", refusal.SqlState);
        Assert.Contains($"action 2 has spending claimed on claim CLM-{claim:000000}", refusal.MessageText);
        Assert.Equal("agreed", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {current}"));
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {dropping}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>
    /// The ordinary paths are untouched: a claim on an action of an earlier version submits while the agreed one keeps its
    /// number, and a version keeping every claimed action (at another estimated cost) is agreed.
    /// </summary>
    [Fact]
    public async Task AClaimOnAKeptAction_Submits_AndAVersionKeepingEveryClaimedAction_IsAgreed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await DraftOnAsync(w, w.Actions[1], "INV-K1");
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);
        // a draft on version 1's action 2, submitted once version 2 is agreed: the number is kept
        var second = await DraftOnAsync(w, w.Actions[1], "INV-K2");
        var keeping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (2, "support", "Staff training, two sessions")));
        (await w.Lead.PostAsync($"/api/v1/action-plans/{keeping}/agree", null)).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(second)).Expect(HttpStatusCode.OK);
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>Claims that count as claimed spending (not drafts, rejected or withdrawn) with a line on an action the school's agreed version leaves out.</summary>
    private Task<long> ClaimedActionsOutsideTheAgreedPlanAsync() => Db.ScalarAsync("""
        SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id JOIN action_plan_action a ON a.id = l.action_id
         WHERE c.state NOT IN ('draft', 'rejected', 'withdrawn')
           AND NOT EXISTS (SELECT FROM action_plan p JOIN action_plan_action k ON k.action_plan_id = p.id
                            WHERE p.school_id = c.school_id AND p.programme_year_id = c.programme_year_id AND p.state = 'agreed'
                              AND k.action_ref = a.action_ref)
        """);

    private static async Task<long> DraftOnAsync(ClaimWorld w, long actionId, string invoice)
    {
        var id = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId, supplier = "Sensory Ltd", invoiceRef = invoice, amount = "10.00",
        })).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.AttachAsync(id, ClaimWorld.Pdf(invoice), $"{invoice}.pdf", line)).Expect(HttpStatusCode.Created);
        return id;
    }

    private static async Task<long> AgreedPlanAsync(ClaimWorld w) =>
        (await w.School.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Json.AsArray()
            .Single(p => p!["state"]!.GetValue<string>() == "agreed")!["id"]!.GetValue<long>();

    /// <summary>A new version of the agreed plan with this content, sent to the area lead.</summary>
    private static async Task<long> RevisionAsync(ClaimWorld w, object content)
    {
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{await AgreedPlanAsync(w)}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PutAsync($"/api/v1/action-plans/{revision}", content)).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        return revision;
    }

    private static object Content(ClaimWorld w, params (int? Ref, string Theme, string Description)[] actions) => new
    {
        themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"),
        actions = actions.Select(a => (object)new { @ref = a.Ref, theme = a.Theme, description = a.Description, periodId = w.Periods["aut1"], estimatedCost = "50.00" })
            .ToArray(),
    };
}

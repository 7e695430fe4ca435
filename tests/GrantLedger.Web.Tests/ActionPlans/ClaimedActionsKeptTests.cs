using System.Net;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

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
            var claim = await w.DraftOnActionAsync(actionId, $"INV-P{round}");
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
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-S1");
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
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-S2");
        var current = await w.AgreedPlanAsync();
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

        // nor by inserting a version already agreed (it can have no actions: they are added only to drafts)
        await using var inserting = Db.DataSource.CreateCommand($"""
            UPDATE action_plan SET state = 'superseded', superseded_at = now() WHERE id = {current};
            INSERT INTO action_plan (programme_id, programme_year_id, school_id, version, state, themes, student_group_agreed_on, created_by, agreed_by, agreed_at)
            SELECT programme_id, programme_year_id, school_id, 9, 'agreed', themes, student_group_agreed_on, created_by, agreed_by, now()
              FROM action_plan WHERE id = {current}
            """);
        refusal = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => inserting.ExecuteNonQueryAsync());
        Assert.Equal("GL017", refusal.SqlState);
        Assert.Equal("agreed", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {current}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>
    /// An agreement's check looks up the claims committed while it waited for its lock (migration 0073). A script at
    /// REPEATABLE READ that began before the school's claim on action 2 was submitted read the claim as a draft and agreed a
    /// version dropping the action; it is refused before anything is written, naming the level.
    /// </summary>
    [Fact]
    public async Task AScriptAtRepeatableRead_CannotAgreeAVersionDroppingAnActionClaimedWhileItRan()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-RR");
        var current = await w.AgreedPlanAsync();
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));

        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead))
        {
            await using (var began = new Npgsql.NpgsqlCommand("SELECT count(*) FROM claim", conn, tx))
                await began.ExecuteScalarAsync(); // the transaction's snapshot is taken here
            (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);
            await using var script = new Npgsql.NpgsqlCommand($"""
                UPDATE action_plan SET state = 'superseded', superseded_at = now() WHERE id = {current};
                UPDATE action_plan SET state = 'agreed', agreed_by = (SELECT agreed_by FROM action_plan WHERE id = {current}), agreed_at = now()
                 WHERE id = {dropping}
                """, conn, tx);
            var refusal = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync());
            Assert.Equal("GL018", refusal.SqlState);
            Assert.Contains("an action plan version is agreed only at READ COMMITTED isolation, not REPEATABLE READ", refusal.MessageText);
        }
        Assert.Equal("agreed", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {current}"));
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {dropping}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>
    /// The database's refusals are answered as the service's own checks: another writer (a second instance, a script)
    /// submits a claim on action 2 and has not yet committed when the lead agrees a version dropping it, so the lead's
    /// check sees a draft and the agreement waits at the database's lock; once the claim is committed the agreement is
    /// refused, 409 through the API and the same message on the area lead's review page.
    /// </summary>
    [Fact]
    public async Task AnAgreementRefusedByTheDatabase_IsAnsweredAsTheServicesOwnCheck_ThroughTheApiAndTheReviewPage()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-D1");
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));
        var refused = (await WhileAnotherWriterHoldsTheLockAsync(ClaimWorld.SubmittedByScript(claim),
            () => w.Lead.PostAsync($"/api/v1/action-plans/{dropping}/agree", null))).ExpectProblem(HttpStatusCode.Conflict, rule: "plan-drops-claimed-action");
        Assert.Contains($"This version leaves out spending claimed since it was sent: action 2 has spending claimed on claim CLM-{claim:000000}. "
            + "Return it to the school to keep the action.", refused.Body);
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {dropping}"));

        // the page: another school's plan version dropping action 2 while its claim on it is submitted by another writer
        var (otherClaim, otherDropping) = await OtherSchoolsDroppingAsync(w);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var (_, html) = await WhileAnotherWriterHoldsTheLockAsync(ClaimWorld.SubmittedByScript(otherClaim),
            () => PageForms.PostAsync(page, $"/review/plans/{otherDropping}?handler=Agree", [], formAt: $"/review/plans/{otherDropping}"));
        // a refusal of the whole plan, in the error summary (no field to link to)
        Assert.Equal([$"This version leaves out spending claimed since it was sent: action 2 has spending claimed on claim CLM-{otherClaim:000000}. "
            + "Return it to the school to keep the action."], PageForms.SummaryItems(html));
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM action_plan WHERE id = {otherDropping}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>
    /// The other way round: another writer agrees the version dropping action 2 and has not yet committed when the school
    /// submits its claim on action 2, so the school's check sees the version before; once the agreement is committed the
    /// submission is refused, 422 on the line's actionId, as the service's own check says it.
    /// </summary>
    [Fact]
    public async Task ASubmissionRefusedByTheDatabase_IsAnsweredAsTheServicesOwnCheck()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claim = await w.DraftOnActionAsync(w.Actions[1], "INV-D2");
        var current = await w.AgreedPlanAsync();
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));
        var refused = (await WhileAnotherWriterHoldsTheLockAsync($"""
            UPDATE action_plan SET state = 'superseded', superseded_at = now() WHERE id = {current};
            UPDATE action_plan SET state = 'agreed', agreed_by = (SELECT agreed_by FROM action_plan WHERE id = {current}), agreed_at = now()
             WHERE id = {dropping}
            """, () => w.SubmitAsync(claim))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].actionId");
        Assert.Contains("line 1's action is no longer in the school's agreed action plan: choose one from the plan in force", refused.Body);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {claim}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    /// <summary>
    /// Submissions written together by the grouped writer (decision 15) are checked as if alone before their writes: a
    /// group whose claim on action 2 waits at the database's lock while another writer agrees the version dropping it is
    /// refused by the database, and each of its claims is then written alone: the claim on action 2 answered 422 on its
    /// line's actionId, the group's other claim (on action 1, which the version keeps) submitted.
    /// </summary>
    [Fact]
    public async Task AGroupOfSubmissionsRefusedByTheDatabase_IsWrittenClaimByClaim_AndTheClaimOnTheDroppedActionIsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var groups = Db.Factory.Services.GetRequiredService<SubmissionGroups>();
        var onDropped = await w.DraftOnActionAsync(w.Actions[1], "INV-G1");
        var onKept = await w.DraftOnActionAsync(w.Actions[0], "INV-G2");
        var current = await w.AgreedPlanAsync();
        var dropping = await RevisionAsync(w, Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables")));
        var first = new List<long>();
        for (var i = 0; i < groups.Writers; i++)
        {
            var id = await w.NewClaimAsync(w.OtherSchool);
            await w.AddStaffTimeAsync(id, $"F{i + 1}", "2026-10-05", days: null, hours: "1", school: w.OtherSchool, allowance: false);
            first.Add(id);
        }
        await Until(() => !groups.Alone); // another test's refused group is past

        // the other school's submissions take every writer and wait on its budget, held by a transaction of the test's
        await using var budgetHolder = await Db.DataSource.OpenConnectionAsync();
        await using var budgetHold = await budgetHolder.BeginTransactionAsync();
        await using (var lockBudget = new Npgsql.NpgsqlCommand(
            $"SELECT count(*) FROM (SELECT 1 FROM account WHERE school_id = {w.S.Schools[1].Id} FOR UPDATE) a", budgetHolder, budgetHold))
            await lockBudget.ExecuteScalarAsync();
        var writing = first.Select(id => w.SubmitAsync(id, w.OtherSchool)).ToList();
        await Until(async () => await Db.ScalarAsync("SELECT count(*) FROM pg_locks WHERE locktype <> 'advisory' AND NOT granted") >= groups.Writers);

        // another writer agrees the version dropping action 2, not yet committed; the school's two submissions queue
        await using var agreer = await Db.DataSource.OpenConnectionAsync();
        await using var agreement = await agreer.BeginTransactionAsync();
        await using (var agree = new Npgsql.NpgsqlCommand($"""
            UPDATE action_plan SET state = 'superseded', superseded_at = now() WHERE id = {current};
            UPDATE action_plan SET state = 'agreed', agreed_by = (SELECT agreed_by FROM action_plan WHERE id = {current}), agreed_at = now()
             WHERE id = {dropping}
            """, agreer, agreement)) await agree.ExecuteNonQueryAsync();
        var waiting = new[] { onDropped, onKept }.Select(id => w.SubmitAsync(id)).ToList();
        await Until(() => groups.WaitingNow == 2);

        // a writer frees and takes the two as a group: checked against the version still agreed, its writes wait at the lock
        var grouped = groups.Grouped;
        await budgetHold.RollbackAsync();
        Assert.All(await Task.WhenAll(writing), a => a.Expect(HttpStatusCode.OK));
        await Until(async () => groups.WaitingNow == 0 && await Db.ScalarAsync("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 1);
        await agreement.CommitAsync();

        var (dropped, kept) = (await waiting[0], await waiting[1]);
        var refused = dropped.ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].actionId");
        Assert.Contains("line 1's action is no longer in the school's agreed action plan", refused.Body);
        Assert.Equal("submitted", kept.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
        Assert.Equal(grouped, groups.Grouped); // the group wrote nothing
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {onDropped}"));
        Assert.Equal(0L, await ClaimedActionsOutsideTheAgreedPlanAsync());
    }

    private static Task Until(Func<bool> done) => Until(() => Task.FromResult(done()));

    private static async Task Until(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, "what the test waits for did not happen within 30 s");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Runs <paramref name="script"/> in a transaction of its own (which takes the school's year's lock in the database),
    /// sends the request while it is not committed, waits until the request waits on that lock, then commits.
    /// </summary>
    private async Task<T> WhileAnotherWriterHoldsTheLockAsync<T>(string script, Func<Task<T>> request)
    {
        await using var other = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await other.BeginTransactionAsync();
        await using (var command = new Npgsql.NpgsqlCommand(script, other, tx)) await command.ExecuteNonQueryAsync();
        var answer = request();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await Db.ScalarAsync("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0)
        {
            Assert.False(answer.IsCompleted, "the request did not wait for the other writer's lock");
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the request never waited for the other writer's lock");
            await Task.Delay(20);
        }
        await tx.CommitAsync();
        return await answer;
    }


    /// <summary>School 1's agreed plan with two actions, a draft claim on its action 2, and a version dropping it sent to the lead.</summary>
    private static async Task<(long Claim, long Dropping)> OtherSchoolsDroppingAsync(ClaimWorld w)
    {
        var (plan, actions) = await w.OtherSchoolsAgreedPlanAsync();
        var claim = await w.DraftOnActionAsync(actions[1], "INV-O1", w.OtherSchool);
        var revision = (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.OtherSchool.PutAsync($"/api/v1/action-plans/{revision}", Content(w, (1, "learning", "Sensory room kit"), (null, "support", "Visual timetables"))))
            .Expect(HttpStatusCode.OK);
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        return (claim, revision);
    }

    /// <summary>
    /// The ordinary paths are untouched: a claim on an action of an earlier version submits while the agreed one keeps its
    /// number, and a version keeping every claimed action (at another estimated cost) is agreed.
    /// </summary>
    [Fact]
    public async Task AClaimOnAKeptAction_Submits_AndAVersionKeepingEveryClaimedAction_IsAgreed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.DraftOnActionAsync(w.Actions[1], "INV-K1");
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);
        // a draft on version 1's action 2, submitted once version 2 is agreed: the number is kept
        var second = await w.DraftOnActionAsync(w.Actions[1], "INV-K2");
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



    /// <summary>A new version of the agreed plan with this content, sent to the area lead.</summary>
    private static async Task<long> RevisionAsync(ClaimWorld w, object content)
    {
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{await w.AgreedPlanAsync()}/revise", null)).Expect(HttpStatusCode.Created).Id;
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

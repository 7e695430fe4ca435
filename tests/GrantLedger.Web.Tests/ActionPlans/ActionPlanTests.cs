using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.ActionPlans;

public sealed class ActionPlanTests(DatabaseFixture db) : DatabaseTest(db)
{
    private sealed record World(Scenario S, ApiClient School, ApiClient OtherSchool, ApiClient Lead, ApiClient OtherLead, ApiClient Admin,
        IReadOnlyDictionary<string, long> Periods);

    private async Task<World> WorldAsync()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var years = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray();
        var periods = years[0]!["periods"]!.AsArray().ToDictionary(p => p!["code"]!.GetValue<string>(), p => p!["id"]!.GetValue<long>());
        return new World(s, await s.SchoolUserAsync(Db, 0), await s.SchoolUserAsync(Db, 2), await s.AreaLeadAsync(Db, 0),
            await s.AreaLeadAsync(Db, 1), await s.ProgrammeAdminAsync(Db), periods);
    }

    private static object Plan(World w, string[]? themes = null, string? agreedOn = "2026-09-20", object[]? actions = null) => new
    {
        programmeYearId = w.S.YearId, themes = themes ?? ["learning", "support"], studentGroupAgreedOn = agreedOn, summary = "Our first plan",
        actions = actions ??
        [
            new { theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
            new { theme = "support", description = "Staff training", periodId = w.Periods["aut2"], estimatedCost = "200.50" },
        ],
    };

    private static async Task<JsonNode> AgreedAsync(World w)
    {
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        return (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).Expect(HttpStatusCode.OK).Json;
    }

    private static string[] Allowed(JsonNode plan) => plan["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();

    [Fact]
    public async Task APlan_IsDraftedSubmittedAndAgreed_WithTheActionsEachSideMayTakeAtEachStep()
    {
        var w = await WorldAsync();
        var draft = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("draft", draft["state"]!.GetValue<string>());
        Assert.Equal(1, draft["version"]!.GetValue<int>());
        Assert.Equal("500.50", draft["totalEstimated"]!.GetValue<string>());
        Assert.Equal([1, 2], draft["actions"]!.AsArray().Select(a => a!["ref"]!.GetValue<int>()));
        Assert.Equal(["edit", "submit"], Allowed(draft));
        var id = draft["id"]!.GetValue<long>();

        Assert.Empty(Allowed((await w.Lead.GetAsync($"/api/v1/action-plans/{id}")).Expect(HttpStatusCode.OK).Json));
        var submitted = (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("submitted", submitted["state"]!.GetValue<string>());
        Assert.Empty(Allowed(submitted));
        Assert.Equal(["agree", "return"], Allowed((await w.Lead.GetAsync($"/api/v1/action-plans/{id}")).Expect(HttpStatusCode.OK).Json));

        var agreed = (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("agreed", agreed["state"]!.GetValue<string>());
        Assert.Equal(w.Lead.UserId, agreed["agreedBy"]!.GetValue<long>());
        Assert.Equal(["action-plan.started", "action-plan.submit", "action-plan.agree"],
            agreed["history"]!.AsArray().Select(h => h!["action"]!.GetValue<string>()));
        Assert.Equal(["revise"], Allowed((await w.School.GetAsync($"/api/v1/action-plans/{id}")).Expect(HttpStatusCode.OK).Json));
    }

    /// <summary>A 409: the state it names, the triggers it offers the caller and its detail.</summary>
    private static (string State, string[] Allowed, string Detail) Refused(Answer answer, string rule)
    {
        var problem = answer.ExpectProblem(HttpStatusCode.Conflict, rule: rule).Json;
        return (problem["state"]!.GetValue<string>(), problem["allowedTriggers"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
            problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task AStepNotPossibleNow_Answers409SayingWhatTheSchoolCanDo_EditingADraftAndRevisingAnAgreedPlanIncluded()
    {
        var w = await WorldAsync();
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        var (state, allowed, detail) = Refused(await w.School.PostAsync($"/api/v1/action-plans/{id}/revise", null), "plan-not-agreed");
        Assert.Equal("draft", state);
        Assert.Equal(["submit"], allowed);
        Assert.Equal("Version 1 is 'draft': only the agreed version is revised. What you can do now: submit; or change this draft.", detail);

        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        (state, allowed, detail) = Refused(await w.School.PostAsync($"/api/v1/action-plans/{id}/revise", null), "plan-not-agreed");
        Assert.Equal(("submitted", 0), (state, allowed.Length));
        Assert.EndsWith("only the agreed version is revised. No step of its workflow is open to you now.", detail);

        (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).Expect(HttpStatusCode.OK);
        (state, allowed, detail) = Refused(await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null), "illegal-transition");
        Assert.Equal(("agreed", 0), (state, allowed.Length)); // revising starts a new version: no step of this one's workflow
        Assert.Equal("The action plan is 'agreed', where 'submit' is not possible. No step of its workflow is open to you now; "
            + "you can revise it as a new version.", detail);
        (_, _, detail) = Refused(await w.Lead.PostAsync($"/api/v1/action-plans/{id}/return", new { feedback = "More" }), "illegal-transition");
        Assert.EndsWith("No step of its workflow is open to you now.", detail); // revising is the school's

        var v2 = (await w.School.PostAsync($"/api/v1/action-plans/{id}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (_, _, detail) = Refused(await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null), "illegal-transition");
        Assert.EndsWith("No step of its workflow is open to you now.", detail); // its next version is being drafted
        (_, allowed, detail) = Refused(await w.School.PostAsync($"/api/v1/action-plans/{v2}/revise", null), "plan-not-agreed");
        Assert.Equal(["submit"], allowed);
        Assert.Equal("Version 2 is 'draft': only the agreed version is revised. What you can do now: submit; or change this draft.", detail);
    }

    /// <summary>
    /// Revising acts on the agreed version the school read, as a draft's change and a step do: If-Match with an ETag it had
    /// before the plan was agreed is refused, 409 stale-version, and no version is started (it was ignored, 201).
    /// </summary>
    [Fact]
    public async Task Revise_WithAStaleIfMatch_Returns409_AndStartsNoVersion()
    {
        var w = await WorldAsync();
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        var submitted = (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK).Headers.ETag!.Tag;
        var agreed = (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).Expect(HttpStatusCode.OK).Headers.ETag!.Tag;

        foreach (var stale in new[] { submitted, "\"1\"" })
            (await w.School.SendAsync(HttpMethod.Post, $"/api/v1/action-plans/{id}/revise", null, ifMatch: stale))
                .ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM action_plan"));
        (await w.School.SendAsync(HttpMethod.Post, $"/api/v1/action-plans/{id}/revise", null, ifMatch: agreed)).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Themes_AreTwoOrThreeOfTheEight_AndEachActionSitsUnderAChosenTheme()
    {
        var w = await WorldAsync();
        (await w.School.PostAsync("/api/v1/action-plans", Plan(w, themes: ["learning"]))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "themes");
        (await w.School.PostAsync("/api/v1/action-plans", Plan(w, themes: ["learning", "support", "policies", "mindsets"])))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "themes");
        (await w.School.PostAsync("/api/v1/action-plans", Plan(w, themes: ["learning", "wellbeing"]))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "themes");
        (await w.School.PostAsync("/api/v1/action-plans", Plan(w, themes: ["learning", "learning"]))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "themes");
        var wrongTheme = (await w.School.PostAsync("/api/v1/action-plans", Plan(w, actions:
        [
            new { theme = "communities", description = "Parents' evening", periodId = w.Periods["aut1"], estimatedCost = "10.00" },
            new { theme = "learning", description = "", periodId = 0L, estimatedCost = "-1.00" },
        ]))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actions[0].theme").Json["errors"]!.AsObject();
        Assert.True(wrongTheme.ContainsKey("actions[1].description"));
        Assert.Equal("half-term 0 is not a half-term of the plan's year, 2026-27", wrongTheme["actions[1].periodId"]![0]!.GetValue<string>());
        Assert.True(wrongTheme.ContainsKey("actions[1].estimatedCost"));
        Assert.Empty((await w.School.GetAsync("/api/v1/action-plans")).Expect(HttpStatusCode.OK).Json.AsArray()); // nothing was written

        var three = (await w.School.PostAsync("/api/v1/action-plans", Plan(w, themes: ["learning", "support", "policies"])))
            .Expect(HttpStatusCode.Created);
        (await w.School.PostAsync($"/api/v1/action-plans/{three.Id}/submit", null))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "actions"); // 'policies' has no action yet
        Assert.Equal(8, (await w.School.GetAsync("/api/v1/action-plans/themes")).Expect(HttpStatusCode.OK).Json.AsArray().Count);
    }

    [Fact]
    public async Task TheDatabase_RefusesAPlanWithTheWrongNumberOfThemes_AndChangesToAnAgreedPlan()
    {
        var w = await WorldAsync();
        var agreed = await AgreedAsync(w);
        var id = agreed["id"]!.GetValue<long>();
        async Task<string> RefusedAsync(string sql)
        {
            await using var cmd = Db.DataSource.CreateCommand(sql);
            return (await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync())).SqlState;
        }
        Assert.Equal("GL008", await RefusedAsync($"UPDATE action_plan SET themes = '{{learning,support,policies}}' WHERE id = {id}"));
        Assert.Equal("GL008", await RefusedAsync($"UPDATE action_plan_action SET estimated_cost_pence = 1 WHERE action_plan_id = {id}"));
        Assert.Equal("GL008", await RefusedAsync($"DELETE FROM action_plan_action WHERE action_plan_id = {id}"));
        Assert.Equal("GL002", await RefusedAsync($"DELETE FROM action_plan WHERE id = {id}"));
        Assert.Equal("23514", await RefusedAsync(
            "INSERT INTO action_plan (programme_id, programme_year_id, school_id, version, themes, created_by) " +
            $"VALUES ({w.S.ProgrammeId}, {w.S.YearId}, {w.S.Schools[1].Id}, 1, ARRAY['learning'], {w.School.UserId})"));
    }

    [Fact]
    public async Task AReturnedPlan_CarriesTheFeedback_AndIsEditedAndResubmitted()
    {
        var w = await WorldAsync();
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/return", new { feedback = "  " }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "feedback");
        (await w.OtherLead.PostAsync($"/api/v1/action-plans/{id}/return", new { feedback = "no" })).ExpectProblem(HttpStatusCode.Forbidden);
        var returned = (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/return", new { feedback = "Cost the training" })).Expect(HttpStatusCode.OK);
        Assert.Equal("draft", returned.Json["state"]!.GetValue<string>());
        Assert.Equal("Cost the training", returned.Json["feedback"]!.GetValue<string>());
        Assert.Equal("Cost the training", returned.Json["history"]!.AsArray().Last()!["feedback"]!.GetValue<string>());

        var etag = returned.Headers.ETag!.Tag;
        var edited = (await w.School.PutAsync($"/api/v1/action-plans/{id}", Plan(w, actions:
        [
            new { @ref = 1, theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
            new { @ref = 2, theme = "support", description = "Staff training (2 twilight sessions)", periodId = w.Periods["aut2"], estimatedCost = "450.00" },
            new { theme = "support", description = "Visual timetables", periodId = w.Periods["spr1"], estimatedCost = "40.00" },
        ]), etag)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([1, 2, 3], edited["actions"]!.AsArray().Select(a => a!["ref"]!.GetValue<int>()));
        Assert.Equal("790.00", edited["totalEstimated"]!.GetValue<string>());
        (await w.School.PutAsync($"/api/v1/action-plans/{id}", Plan(w), etag)).ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");

        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.School.PutAsync($"/api/v1/action-plans/{id}", Plan(w))).ExpectProblem(HttpStatusCode.Conflict, rule: "plan-not-draft");
    }

    /// <summary>
    /// A version's own times are its audit events' (AuditTrailTimes): submitted, agreed, superseded and changed, read by the
    /// service's clock while their events took the transaction's, a plan read submitted after its submission's event. Asked
    /// after each step, through a return, a revision and its agreement.
    /// </summary>
    [Fact]
    public async Task AVersionsTimes_AreItsAuditEvents_Submitted_Returned_Changed_Agreed_AndSuperseded()
    {
        var w = await WorldAsync();
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/return", new { feedback = "Say who runs the training" })).Expect(HttpStatusCode.OK);
        (await w.School.PutAsync($"/api/v1/action-plans/{id}", Plan(w))).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        (await w.School.PostAsync($"/api/v1/action-plans/{id}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        var v2 = (await w.School.PostAsync($"/api/v1/action-plans/{id}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{v2}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/action-plans/{v2}/agree", null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM action_plan WHERE superseded_at IS NOT NULL"));
    }

    [Fact]
    public async Task RevisingAnAgreedPlan_MakesANewVersion_TheOldStaysInForceUntilTheNewIsAgreed_AndEveryVersionIsKept()
    {
        var w = await WorldAsync();
        var v1 = await AgreedAsync(w);
        var v1Id = v1["id"]!.GetValue<long>();
        (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).ExpectProblem(HttpStatusCode.Conflict, rule: "plan-exists");
        (await w.School.PutAsync($"/api/v1/action-plans/{v1Id}", Plan(w))).ExpectProblem(HttpStatusCode.Conflict, rule: "plan-not-draft");

        var v2 = (await w.School.PostAsync($"/api/v1/action-plans/{v1Id}/revise", null)).Expect(HttpStatusCode.Created).Json;
        var v2Id = v2["id"]!.GetValue<long>();
        Assert.Equal(2, v2["version"]!.GetValue<int>());
        Assert.Equal("draft", v2["state"]!.GetValue<string>());
        Assert.Equal(v1["actions"]!.AsArray().Select(a => a!["ref"]!.GetValue<int>()), v2["actions"]!.AsArray().Select(a => a!["ref"]!.GetValue<int>()));
        (await w.School.PostAsync($"/api/v1/action-plans/{v1Id}/revise", null)).ExpectProblem(HttpStatusCode.Conflict, rule: "revision-in-progress");

        (await w.School.PutAsync($"/api/v1/action-plans/{v2Id}", Plan(w, themes: ["learning", "environments"], actions:
        [
            new { @ref = 1, theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
            new { theme = "environments", description = "Quiet corner", periodId = w.Periods["spr2"], estimatedCost = "120.00" },
        ]))).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/action-plans/{v2Id}/submit", null)).Expect(HttpStatusCode.OK);

        // Until v2 is agreed, v1 is the plan claims are checked against.
        var listed = (await w.Lead.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(["agreed", "submitted"], listed.Select(p => p!["state"]!.GetValue<string>()).Order());

        var agreed = (await w.Lead.PostAsync($"/api/v1/action-plans/{v2Id}/agree", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([3, 1], agreed["actions"]!.AsArray().Select(a => a!["ref"]!.GetValue<int>()).OrderDescending());
        Assert.Equal([("agreed", 2), ("superseded", 1)],
            agreed["versions"]!.AsArray().Select(v => (v!["state"]!.GetValue<string>(), v["version"]!.GetValue<int>())).OrderBy(v => v.Item1));
        var old = (await w.Admin.GetAsync($"/api/v1/action-plans/{v1Id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("superseded", old["state"]!.GetValue<string>());
        Assert.Equal(["learning", "support"], old["themes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("Staff training", old["actions"]![1]!["description"]!.GetValue<string>());
    }

    /// <summary>
    /// The plans list is read a page at a time, the newest version first, by the last id (limit, 2000 unless given, as many as
    /// it gave before; 1 to 5000), as the claims list is: it stopped at the most recently changed 2000 without a word. A plan
    /// changed between two pages is not read twice, and a state that is not one is refused naming it, where it gave an empty list.
    /// </summary>
    [Fact]
    public async Task ThePlansList_IsReadAPageAtATime_NewestFirst_ByTheLastId()
    {
        var w = await WorldAsync();
        var first = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        var second = (await w.OtherSchool.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        long[] Ids(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(p => p!["id"]!.GetValue<long>()).ToArray();
        var page = Ids(await w.Admin.GetAsync("/api/v1/action-plans?limit=1"));
        Assert.Equal([second], page);
        (await w.School.PutAsync($"/api/v1/action-plans/{first}", Plan(w, agreedOn: "2026-09-21"))).Expect(HttpStatusCode.OK);
        Assert.Equal([first], Ids(await w.Admin.GetAsync($"/api/v1/action-plans?limit=1&before={page[^1]}")));
        Assert.Empty(Ids(await w.Admin.GetAsync($"/api/v1/action-plans?limit=1&before={first}")));
        Assert.Equal([second, first], Ids(await w.Admin.GetAsync("/api/v1/action-plans")));
        (await w.Admin.GetAsync("/api/v1/action-plans?limit=5001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
        (await w.Admin.GetAsync("/api/v1/action-plans?state=approved")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "state");
    }

    [Fact]
    public async Task Plans_AreSeenOnlyWithinScope_AndWrittenOnlyByTheirSchool()
    {
        var w = await WorldAsync();
        var id = (await w.School.PostAsync("/api/v1/action-plans", Plan(w))).Expect(HttpStatusCode.Created).Id;
        (await w.OtherSchool.GetAsync($"/api/v1/action-plans/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.OtherLead.GetAsync($"/api/v1/action-plans/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Empty((await w.OtherSchool.GetAsync("/api/v1/action-plans")).Expect(HttpStatusCode.OK).Json.AsArray());
        Assert.Single((await w.Admin.GetAsync($"/api/v1/action-plans?programmeId={w.S.ProgrammeId}")).Expect(HttpStatusCode.OK).Json.AsArray());
        (await w.OtherSchool.PutAsync($"/api/v1/action-plans/{id}", Plan(w))).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.OtherSchool.PostAsync($"/api/v1/action-plans/{id}/submit", null)).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.PostAsync("/api/v1/action-plans", Plan(w))).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.GetAsync("/api/v1/action-plans/999999")).ExpectProblem(HttpStatusCode.NotFound);
        var early = (await w.Lead.PostAsync($"/api/v1/action-plans/{id}/agree", null)).ExpectProblem(HttpStatusCode.Conflict, rule: "illegal-transition").Json;
        Assert.Empty(early["allowedTriggers"]!.AsArray()); // the school's submit is not the lead's to take
    }
}

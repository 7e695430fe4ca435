using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// A programme admin corrects a school's name or phase, an area's name or a category's name (PATCH /api/v1/schools/{id},
/// /areas/{id}, /categories/{id}): checked as adding one is, audited with the old values and the new; the ledger's
/// accounts named after a school or a category are named again, their codes and amounts untouched.
/// </summary>
public sealed class CorrectionsTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static string SchoolAt(long id) => $"/api/v1/schools/{id}";
    private static string AreaAt(long id) => $"/api/v1/areas/{id}";
    private static string CategoryAt(long id) => $"/api/v1/categories/{id}";

    private static Task<Answer> PatchAsync(ApiClient caller, string path, object body) => caller.SendAsync(HttpMethod.Patch, path, body);

    private async Task<JsonNode> SingleEventAsync(ApiClient reader, string recordType, long id, string action) =>
        Assert.Single((await reader.GetAsync($"/api/v1/audit/events?recordType={recordType}&recordId={id}&action={action}"))
            .Expect(HttpStatusCode.OK).Json["items"]!.AsArray())!;

    /// <summary>Everything a refusal must leave as it was: the set-up's names and phases, the accounts' names, the audit trail.</summary>
    private Task<string?> WrittenAsync() => Db.TextAsync("""
        SELECT concat_ws('|', (SELECT string_agg(name || '/' || phase, ',' ORDER BY id) FROM school),
                              (SELECT string_agg(name, ',' ORDER BY id) FROM area),
                              (SELECT string_agg(name, ',' ORDER BY id) FROM budget_category),
                              (SELECT string_agg(name, ',' ORDER BY id) FROM account),
                              (SELECT count(*) FROM audit_event))
        """);

    [Fact]
    public async Task ChangeSchool_ChangesExactlyItsNameAndPhase_AuditsOldAndNew_AndItsAccountsAreNamedAgainWithTheirAmountsUntouched()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var admin = await s.ProgrammeAdminAsync(Db);
        var (school, other) = (s.Schools[0], s.Schools[1]);
        var balances = await Db.TextAsync("SELECT string_agg(concat_ws(',', code, credits_posted, debits_posted), ';' ORDER BY id) FROM account");

        var answer = (await PatchAsync(admin, SchoolAt(school.Id), new { name = "  Hill Trust Primary Academy ", phase = "All-through" }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal((await admin.GetAsync(SchoolAt(school.Id))).Expect(HttpStatusCode.OK).Body, answer.ToJsonString());
        Assert.Equal("Hill Trust Primary Academy", answer["name"]!.GetValue<string>());
        Assert.Equal("All-through", answer["phase"]!.GetValue<string>());
        Assert.Equal($"{school.Urn}|{school.AreaId}|Hill Trust Primary Academy|All-through",
            await Db.TextAsync("SELECT concat_ws('|', urn, area_id, name, phase) FROM school WHERE id = $1", school.Id));
        Assert.Equal($"School {other.Urn}|Primary", await Db.TextAsync("SELECT name || '|' || phase FROM school WHERE id = $1", other.Id));

        var e = await SingleEventAsync(admin, "school", school.Id, "school.changed");
        Assert.Equal(admin.UserName, e["userName"]!.GetValue<string>());
        Assert.Equal(school.Urn, e["details"]!["code"]!.GetValue<string>());
        Assert.Equal($"School {school.Urn}", e["details"]!["before"]!.GetValue<string>());
        Assert.Equal("Hill Trust Primary Academy", e["details"]!["after"]!.GetValue<string>());
        Assert.Equal("Primary", e["details"]!["phaseBefore"]!.GetValue<string>());
        Assert.Equal("All-through", e["details"]!["phaseAfter"]!.GetValue<string>());

        // the account's name follows, as the chart of accounts would name it now; its code and every amount stay
        var account = await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available"));
        Assert.Equal("Hill Trust Primary Academy: staff-cover available 2026-27", account["name"]!.GetValue<string>());
        Assert.Equal($"School {other.Urn}: staff-cover available 2026-27",
            (await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available")))["name"]!.GetValue<string>());
        Assert.Equal(balances, await Db.TextAsync("SELECT string_agg(concat_ws(',', code, credits_posted, debits_posted), ';' ORDER BY id) FROM account"));

        // a field left out stays; the name another school of the programme has is allowed, as when adding one
        (await PatchAsync(admin, SchoolAt(other.Id), new { name = "Hill Trust Primary Academy" })).Expect(HttpStatusCode.OK);
        Assert.Equal("Hill Trust Primary Academy|Primary", await Db.TextAsync("SELECT name || '|' || phase FROM school WHERE id = $1", other.Id));
        // the same values again change nothing and are not audited again
        (await PatchAsync(admin, SchoolAt(school.Id), new { name = "Hill Trust Primary Academy", phase = "All-through" })).Expect(HttpStatusCode.OK);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.changed'"));
    }

    [Fact]
    public async Task ChangeSchool_WithABadNameOrPhase_NamesTheField_AndWritesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00");
        await s.AllocateEachAsync("staff-cover", "10.00");
        var admin = await s.ProgrammeAdminAsync(Db);
        var before = await WrittenAsync();
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { name = "" }, "name"), (new { name = "   " }, "name"), (new { name = "Hill\u0007 Primary" }, "name"),
                     (new { name = "Hill \u202EyramirP" }, "name"), (new { name = "Hill\nPrimary" }, "name"), (new { name = new string('x', 201) }, "name"),
                     (new { phase = "" }, "phase"), (new { phase = "Pri\u200Bmary" }, "phase"), (new { phase = new string('p', 101) }, "phase"),
                     (new { name = "Fine", phase = "\u202E" }, "phase"),
                 })
            (await PatchAsync(admin, SchoolAt(s.Schools[0].Id), body)).ExpectProblem(HttpStatusCode.UnprocessableEntity, field);
        var both = (await PatchAsync(admin, SchoolAt(s.Schools[0].Id), new { name = "", phase = "" })).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json;
        Assert.NotNull(both["errors"]!["name"]);
        Assert.NotNull(both["errors"]!["phase"]);
        Assert.Equal(before, await WrittenAsync());
        // two hundred characters is the most, as when adding one
        (await PatchAsync(admin, SchoolAt(s.Schools[0].Id), new { name = new string('x', 200) })).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ChangeArea_RenamesItKeepingItsCode_AuditsOldAndNew_AndRefusesANameAnotherAreaHasOrABadOne_WritingNothing()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var answer = (await PatchAsync(admin, AreaAt(s.AreaIds[0]), new { name = "North Camden" })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("North Camden", answer["name"]!.GetValue<string>());
        Assert.Equal("area-1", answer["code"]!.GetValue<string>());
        var listed = (await admin.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/areas")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(answer.ToJsonString(), listed.Single(a => a!["id"]!.GetValue<long>() == s.AreaIds[0])!.ToJsonString());
        Assert.Equal("area-1|North Camden", await Db.TextAsync("SELECT code || '|' || name FROM area WHERE id = $1", s.AreaIds[0]));
        Assert.Equal("Area 2", await Db.TextAsync("SELECT name FROM area WHERE id = $1", s.AreaIds[1]));
        var e = await SingleEventAsync(admin, "area", s.AreaIds[0], "area.changed");
        Assert.Equal(("area-1", "Area 1", "North Camden"),
            (e["details"]!["code"]!.GetValue<string>(), e["details"]!["before"]!.GetValue<string>(), e["details"]!["after"]!.GetValue<string>()));

        var before = await WrittenAsync();
        (await PatchAsync(admin, AreaAt(s.AreaIds[1]), new { name = "North Camden" })).ExpectProblem(HttpStatusCode.Conflict, "name", "area-exists");
        (await PatchAsync(admin, AreaAt(s.AreaIds[1]), new { name = " north  CAMDEN" })).ExpectProblem(HttpStatusCode.Conflict, "name", "area-exists");
        foreach (var bad in new object[] { new { name = "" }, new { }, new { name = "Camden\u0007" }, new { name = "\u202ENorth" }, new { name = new string('a', 201) } })
            (await PatchAsync(admin, AreaAt(s.AreaIds[1]), bad)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "name");
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task ChangeCategory_RenamesItKeepingCodeKindAndUnit_AuditsOldAndNew_NamesItsAccountsAgain_AndRefusesABadName()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var admin = await s.ProgrammeAdminAsync(Db);
        var id = s.Categories["staff-cover"];
        var answer = (await PatchAsync(admin, CategoryAt(id), new { name = "Staff cover" })).Expect(HttpStatusCode.OK).Json;
        var listed = (await admin.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/categories")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(answer.ToJsonString(), listed.Single(c => c!["id"]!.GetValue<long>() == id)!.ToJsonString());
        Assert.Equal("staff-cover|Staff cover|GBP|staff-cover", await Db.TextAsync("SELECT concat_ws('|', code, name, unit, kind) FROM budget_category WHERE id = $1", id));
        Assert.Equal("action-plan", await Db.TextAsync("SELECT name FROM budget_category WHERE id = $1", s.Categories["action-plan"]));
        var e = await SingleEventAsync(admin, "budget_category", id, "category.changed");
        Assert.Equal(("staff-cover", "staff-cover", "Staff cover"),
            (e["details"]!["code"]!.GetValue<string>(), e["details"]!["before"]!.GetValue<string>(), e["details"]!["after"]!.GetValue<string>()));
        foreach (var school in new[] { 0, 1 })
            Assert.Equal($"School {s.Schools[school].Urn}: Staff cover available 2026-27",
                (await s.AccountAsync(s.SchoolAccount(school, "staff-cover", "available")))["name"]!.GetValue<string>());
        Assert.Equal("Unallocated 2026-27", (await s.AccountAsync($"{s.Code}:2026-27:unallocated"))["name"]!.GetValue<string>());

        var before = await WrittenAsync();
        // a name another category has, case and spaces aside, or another's code, is refused, as when adding one: imports and
        // pages choose categories by name (two sharing "TLR and admin" could be told apart by neither)
        foreach (var name in new[] { "staff  COVER", "contact-time" })
            (await PatchAsync(admin, CategoryAt(s.Categories["action-plan"]), new { name })).ExpectProblem(HttpStatusCode.Conflict, "name", "category-exists");
        foreach (var bad in new object[] { new { name = " " }, new { }, new { name = "Co\u0085ver" }, new { name = "Cover\u2067" }, new { name = new string('c', 201) } })
            (await PatchAsync(admin, CategoryAt(id), bad)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "name");
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task Changes_ByAnyoneButAnAdminOfTheProgramme_Return403_AMissingRecord404_AndWriteNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var s = w.S;
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: s.Root);
        var refused = new[]
        {
            w.School, w.OtherSchool, w.Lead, await s.FinanceAsync(Db), await s.AuditorAsync(Db), await other.ProgrammeAdminAsync(Db),
        };
        var paths = new[] { SchoolAt(s.Schools[0].Id), AreaAt(s.AreaIds[0]), CategoryAt(s.Categories["staff-cover"]) };
        var before = await WrittenAsync();
        foreach (var caller in refused)
            foreach (var path in paths)
                (await PatchAsync(caller, path, new { name = "Renamed" })).ExpectProblem(HttpStatusCode.Forbidden);
        foreach (var path in new[] { SchoolAt(999999), AreaAt(999999), CategoryAt(999999) })
            (await PatchAsync(w.Admin, path, new { name = "Renamed" })).ExpectProblem(HttpStatusCode.NotFound);
        foreach (var path in new[] { SchoolAt(other.Schools[0].Id), AreaAt(other.AreaIds[0]), CategoryAt(other.Categories["staff-cover"]) })
            (await PatchAsync(w.Admin, path, new { name = "Renamed" })).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal(before, await WrittenAsync());

        // the programme's own admin, and an admin of every programme, may
        foreach (var path in paths) (await PatchAsync(w.Admin, path, new { name = "Renamed" })).Expect(HttpStatusCode.OK);
        (await PatchAsync(s.Root, SchoolAt(other.Schools[0].Id), new { name = "Renamed" })).Expect(HttpStatusCode.OK);
    }
}

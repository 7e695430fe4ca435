using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

public sealed class ClaimDraftingTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task StaffTimeLine_IsPricedByTheRateInForceOnItsDate_AndKeptInMinutes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var claim = await w.AddStaffTimeAsync(id, date: "2026-10-05", days: "0.5");
        var line = claim["lines"]![0]!;
        Assert.Equal("125.00", line["amount"]!.GetValue<string>());   // half a day at £250
        Assert.Equal(225, line["minutes"]!.GetValue<long>());
        Assert.Equal("250.00", line["rate"]!.GetValue<string>());

        var october = await w.AddStaffTimeAsync(id, staff: "STAFF-02", date: "2026-10-20", days: null, hours: "3.75");
        Assert.Equal("150.00", october["lines"]![1]!["amount"]!.GetValue<string>()); // half a day at the new £300 rate
    }

    [Fact]
    public async Task ALaterRateChange_NeverAltersAnExistingLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, date: "2026-10-05");
        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'teacher-cover-day', 'x', 'day', 99900, '2026-10-01') RETURNING id", w.S.ProgrammeId);
        var claim = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("250.00", claim["lines"]![0]!["amount"]!.GetValue<string>());
        Assert.Equal("250.00", claim["claimed"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lines_WithBadFields_Return422NamingEachField()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var errors = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("action-plan"), staffRef = "Jane Smith", role = "head", activity = "golf",
            date = "2027-03-01", days = 1,
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        foreach (var field in new[] { "categoryId", "staffRef", "role", "activity", "date" })
            Assert.True(errors.ContainsKey(field), $"expected an error for {field}: {errors}");
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "lunch" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "kind");
        (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines", "{\"kind\":\"staff-time\",\"days\":1.234}")).ExpectProblem(HttpStatusCode.BadRequest, "days");
        var twoDays = await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            staffRef = "T1", role = "teacher", activity = "training", date = "2026-10-05", days = 2,
        });
        twoDays.ExpectProblem(HttpStatusCode.UnprocessableEntity, "days");
    }

    [Fact]
    public async Task ActionPlanLine_MustNameAnActionOfTheAgreedPlan_AndOtherSchoolsHaveNoPlan()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "120.00" };
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line)).Expect(HttpStatusCode.Created);
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line with { actionId = 999999L })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actionId");
        var other = await w.NewClaimAsync(w.OtherSchool);
        var refused = (await w.OtherSchool.PostAsync($"/api/v1/claims/{other}/lines", line)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actionId");
        Assert.Contains("no agreed action plan", refused.Body);
    }

    [Fact]
    public async Task WhileDrafting_TheClaimShowsWhatItWouldLeave_AndWarnsPast90Percent()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05");     // £250, 450 min
        await w.AddStaffTimeAsync(id, "STAFF-02", "2026-10-06");
        await w.AddStaffTimeAsync(id, "STAFF-03", "2026-10-07");
        var claim = await w.AddStaffTimeAsync(id, "STAFF-04", "2026-10-08", hours: "6", days: null); // £200: £950 of £1,000
        var money = claim["budget"]!.AsArray().Single(b => b!["unit"]!.GetValue<string>() == "GBP")!;
        Assert.Equal("1000.00", money["allocated"]!.GetValue<string>());
        Assert.Equal("950.00", money["thisClaim"]!.GetValue<string>());
        Assert.Equal("50.00", money["leftAfter"]!.GetValue<string>());
        Assert.Equal(95, money["usedPercentAfter"]!.GetValue<int>());
        Assert.True(money["warning"]!.GetValue<bool>());
        var time = claim["budget"]!.AsArray().Single(b => b!["unit"]!.GetValue<string>() == "MIN")!;
        Assert.Equal("2250", time["allocated"]!.GetValue<string>());
        Assert.Equal("1710", time["thisClaim"]!.GetValue<string>());
        Assert.False(time["warning"]!.GetValue<bool>());
        Assert.Contains("submit", claim["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task Claims_AreStartedOnlyByTheSchool_AndOnlyForItsOwnSchool()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        (await w.Lead.PostAsync("/api/v1/claims", new { schoolId = w.S.Schools[0].Id, periodId = w.Periods["aut1"] })).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.PostAsync("/api/v1/claims", new { schoolId = w.S.Schools[1].Id, periodId = w.Periods["aut1"] })).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.PostAsync("/api/v1/claims", new { periodId = 999999 })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "periodId");
        var id = await w.NewClaimAsync();
        (await w.OtherSchool.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.OtherLead.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        (await w.School.GetAsync("/api/v1/claims/999999")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task IfMatch_WithAStaleETag_Returns409_AndTheCurrentOneWorks()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var first = await w.School.GetAsync($"/api/v1/claims/{id}");
        var etag = first.Json["eTag"]!.GetValue<string>();
        Assert.Equal(etag, first.Headers.ETag!.Tag);
        await w.AddStaffTimeAsync(id);
        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/claims/{id}") { Content = System.Net.Http.Json.JsonContent.Create(new { description = "changed" }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(etag));
        (await Answer.ReadAsync(await w.School.Http.SendAsync(stale))).ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");

        var current = (await w.School.GetAsync($"/api/v1/claims/{id}")).Headers.ETag!;
        using var fresh = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/claims/{id}") { Content = System.Net.Http.Json.JsonContent.Create(new { description = "changed" }) };
        fresh.Headers.IfMatch.Add(current);
        (await Answer.ReadAsync(await w.School.Http.SendAsync(fresh))).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ADraftNeverSubmitted_CanBeDiscarded_ASubmittedOneCannot()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.School.DeleteAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.NoContent);
        (await w.School.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.NotFound);
        var kept = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(kept);
        (await w.SubmitAsync(kept)).Expect(HttpStatusCode.OK);
        (await w.School.DeleteAsync($"/api/v1/claims/{kept}")).ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
    }
}

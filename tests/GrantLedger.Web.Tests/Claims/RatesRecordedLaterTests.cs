using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A line is priced by the rate in force on its date (DESIGN.md): a rate recorded later with an earlier start reprices the
/// drafts' lines it now covers, and a submission prices every line by the rate in force on its date. A submitted claim keeps
/// the price it was submitted at.
/// </summary>
public sealed class RatesRecordedLaterTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static Dictionary<string, string> AmountsByStaff(JsonNode claim) =>
        claim["lines"]!.AsArray().ToDictionary(l => l!["staffRef"]!.GetValue<string>(), l => l!["amount"]!.GetValue<string>());

    [Fact]
    public async Task ARateRecordedWithAnEarlierStart_RepricesDraftLinesDatedFromIt_AndNoSubmittedClaim()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync(period: "aut2");
        Assert.Equal("300.00", AmountsByStaff(await w.AddStaffTimeAsync(draft, "T90", w.S.On("11-25")))["T90"]);
        await w.AddStaffTimeAsync(draft, "T91", w.S.On("11-19"), days: "0.5");     // before the new rate: stays at £150
        await w.AddStaffTimeAsync(draft, "T93", w.S.On("11-26"), days: "0.5");     // half a day
        var submitted = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(submitted, "T92", w.S.On("11-25"), days: "0.5");
        (await w.SubmitAsync(submitted)).Expect(HttpStatusCode.OK);
        var etag = (await w.School.GetAsync($"/api/v1/claims/{draft}")).Expect(HttpStatusCode.OK).Headers.ETag!.Tag;

        (await w.Admin.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/rates", new
        {
            code = "teacher-cover-day", name = "Teacher cover (per day)", basis = "day", amount = "350.00", effectiveFrom = w.S.On("11-20"),
        })).Expect(HttpStatusCode.Created);

        var repriced = (await w.School.GetAsync($"/api/v1/claims/{draft}")).Expect(HttpStatusCode.OK);
        Assert.Equal(new Dictionary<string, string> { ["T90"] = "350.00", ["T91"] = "150.00", ["T93"] = "175.00" }, AmountsByStaff(repriced.Json));
        Assert.Equal("675.00", repriced.Json["claimed"]!.GetValue<string>());
        Assert.NotEqual(etag, repriced.Headers.ETag!.Tag); // the draft changed: an edit made on the old prices is told so
        await AuditTrailTimes.AssertAgreeAsync(Db); // at the rate's time, its audit event's, which names the lines it repriced
        Assert.Equal("150.00", AmountsByStaff((await w.School.GetAsync($"/api/v1/claims/{submitted}")).Json)["T92"]);

        var sent = (await w.SubmitAsync(draft)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("675.00", sent["claimed"]!.GetValue<string>());
        Assert.Equal("825.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
    }

    /// <summary>A rate that reached the card without repricing the draft (recorded as the line was added): submission prices the line by it.</summary>
    [Fact]
    public async Task Submitting_PricesEachLineByTheRateInForceOnItsDate_NotTheOneStoredOnIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(draft, "T90", w.S.On("11-25"));
        await w.AddStaffTimeAsync(draft, "T91", w.S.On("11-19"));
        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'teacher-cover-day', 'x', 'day', 40000, $2) RETURNING id",
            w.S.ProgrammeId, DateOnly.Parse(w.S.On("11-20")));

        var sent = (await w.SubmitAsync(draft)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(new Dictionary<string, string> { ["T90"] = "400.00", ["T91"] = "300.00" }, AmountsByStaff(sent));
        Assert.Equal("700.00", sent["claimed"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["T90"] = "400.00", ["T91"] = "300.00" },
            AmountsByStaff((await w.Lead.GetAsync($"/api/v1/claims/{draft}")).Expect(HttpStatusCode.OK).Json));
        Assert.Equal("700.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
        Assert.Equal(40000L, await Db.ScalarAsync("SELECT rate_pence FROM claim_line WHERE staff_ref = 'T90'"));
    }
}

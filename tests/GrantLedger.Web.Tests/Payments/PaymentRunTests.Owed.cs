using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>What is owed: the approved claims no run has taken, by half-term and area. Before, finance learnt what a run would pay only by building it.</summary>
public sealed partial class PaymentRunTests
{
    /// <summary>
    /// Four approved claims with money (two half-terms, two areas) and one of staff time alone: what is owed is each
    /// half-term's and area's claims, schools and money, oldest half-term first, and in all; the claim with nothing to pay is
    /// not counted. A run built for one row pays what the row said, and the row is gone; the API and the page agree, the
    /// auditor reads the page with nothing to build, and a school and a lead are refused.
    /// </summary>
    [Fact]
    public async Task WhatIsOwed_IsEachHalfTermsAndAreasApprovedClaims_AndARunForARowPaysWhatItSaid()
    {
        var x = await ApprovedAsync(); // Autumn 1, area 1: £700.00 on three claims from two schools
        var w = x.W;
        var autumn2 = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(autumn2, "STAFF-04", w.S.On("11-10")); // a day at November's rate, £300
        (await w.SubmitAsync(autumn2)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{autumn2}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{autumn2}/approve", null)).Expect(HttpStatusCode.OK);
        var area2School = await w.S.SchoolUserAsync(Db, 2);
        var area2 = await w.NewClaimAsync(area2School);
        await w.AddStaffTimeAsync(area2, "STAFF-05", school: area2School);
        (await w.SubmitAsync(area2, area2School)).Expect(HttpStatusCode.OK);
        (await w.OtherLead.PostAsync($"/api/v1/claims/{area2}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.OtherLead.PostAsync($"/api/v1/claims/{area2}/approve", null)).Expect(HttpStatusCode.OK);
        await w.ApprovedSpecialistDayAsync(); // approved, nothing to pay
        var (aut1, aut2) = (w.Periods["aut1"], w.Periods["aut2"]);
        var (area1Id, area2Id) = (w.S.AreaIds[0], w.S.AreaIds[1]);
        var url = $"/api/v1/programmes/{w.S.ProgrammeId}/payments-owed";

        static string Row(JsonNode r) => string.Join(" | ", new[] { "periodId", "halfTerm", "areaId", "area", "claims", "schools", "total" }.Select(k => r[k]!.ToString()));
        var owed = (await x.Maker.GetAsync(url)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(
        [
            $"{aut1} | Autumn 1 2026-27 | {area1Id} | Area 1 | 3 | 2 | 700.00",
            $"{aut1} | Autumn 1 2026-27 | {area2Id} | Area 2 | 1 | 1 | 250.00",
            $"{aut2} | Autumn 2 2026-27 | {area1Id} | Area 1 | 1 | 1 | 300.00",
        ], owed["rows"]!.AsArray().Select(r => Row(r!)).ToList());
        Assert.Equal("1250.00", owed["total"]!.GetValue<string>());
        Assert.Equal(5, owed["claims"]!.GetValue<int>());
        Assert.Equal(3, owed["schools"]!.GetValue<int>()); // school 0's claims in two half-terms count it once
        var auditorApi = await w.S.AuditorAsync(Db);
        Assert.Equal(owed.ToJsonString(), (await auditorApi.GetAsync(url)).Expect(HttpStatusCode.OK).Json.ToJsonString());
        Assert.Equal(owed.ToJsonString(), (await w.Admin.GetAsync(url)).Expect(HttpStatusCode.OK).Json.ToJsonString());
        (await w.School.GetAsync(url)).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.GetAsync(url)).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.Maker.GetAsync($"/api/v1/programmes/{w.S.ProgrammeId + 100_000}/payments-owed")).ExpectProblem(HttpStatusCode.NotFound);

        using var maker = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        var page = await PageTables.Read(maker, "/finance/owed");
        Assert.Contains("id=\"owed-total\">£1,250.00 owed on 5 approved claims from 3 schools</p>", page);
        var rows = PageTables.Rows(PageTables.Table(page, "owed")).Select(PageTables.Cells).ToList();
        Assert.Equal(
        [
            "Autumn 1 2026-27 | Area 1 | 3 | 2 | £700.00 | Build a run for Area 1, Autumn 1 2026-27",
            "Autumn 1 2026-27 | Area 2 | 1 | 1 | £250.00 | Build a run for Area 2, Autumn 1 2026-27",
            "Autumn 2 2026-27 | Area 1 | 1 | 1 | £300.00 | Build a run for Area 1, Autumn 2 2026-27",
        ], rows.Select(r => string.Join(" | ", r)).ToList());
        var build = $"/finance?periodId={aut1}&areaId={area2Id}";
        Assert.Contains($"href=\"{build}#build\"", page);
        var form = await PageTables.Read(maker, build); // the row's link: the build form with its half-term and area chosen
        Assert.Contains($"<option value=\"{aut1}\" selected>Autumn 1 2026-27</option>", form);
        Assert.Contains($"<option value=\"{area2Id}\" selected>Area 2</option>", form);
        Assert.Contains("href=\"/finance/owed\"", PageTables.WaitingForYou(form));

        using var auditor = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditorApi.UserName);
        var audited = await PageTables.Read(auditor, $"/finance/owed?programmeId={w.S.ProgrammeId}");
        Assert.Equal(rows.Select(r => string.Join(" | ", r[..5])), PageTables.Rows(PageTables.Table(audited, "owed")).Select(r => string.Join(" | ", PageTables.Cells(r))));
        Assert.DoesNotContain("Build a run", audited);
        Assert.Contains($"href=\"/finance?programmeId={w.S.ProgrammeId}\">Back to payment runs</a>", audited);
        Assert.Contains($"href=\"/finance/owed?programmeId={w.S.ProgrammeId}\">What is owed</a>", await PageTables.Read(auditor, $"/finance?programmeId={w.S.ProgrammeId}"));

        var run = (await x.Maker.PostAsync(x.Runs, new { periodId = aut1, areaId = area2Id })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("250.00", run["total"]!.GetValue<string>()); // what its row said
        var left = (await x.Maker.GetAsync(url)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([$"{aut1} | Autumn 1 2026-27 | {area1Id} | Area 1 | 3 | 2 | 700.00", $"{aut2} | Autumn 2 2026-27 | {area1Id} | Area 1 | 1 | 1 | 300.00"],
            left["rows"]!.AsArray().Select(r => Row(r!)).ToList());
        Assert.Equal("1000.00", left["total"]!.GetValue<string>());
    }

    /// <summary>With every approved claim in a run, nothing is owed: the page says so, and the payment runs page does not say claims wait.</summary>
    [Fact]
    public async Task WhatIsOwed_OnceARunTakesEveryApprovedClaim_IsNothing()
    {
        var x = await ApprovedAsync();
        (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created);
        var owed = (await x.Maker.GetAsync($"/api/v1/programmes/{x.W.S.ProgrammeId}/payments-owed")).Expect(HttpStatusCode.OK).Json;
        Assert.Empty(owed["rows"]!.AsArray());
        Assert.Equal("0.00", owed["total"]!.GetValue<string>());
        using var maker = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        Assert.Contains("No approved claims are waiting for a payment run.", await PageTables.Read(maker, "/finance/owed"));
        Assert.DoesNotContain("id=\"to-pay\"", await PageTables.Read(maker, "/finance"));
    }
}

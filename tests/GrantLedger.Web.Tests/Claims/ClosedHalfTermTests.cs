using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A closed half-term takes no new claiming: claims were started, moved into, given lines and evidence and submitted for a
/// half-term finance had closed. Each is refused 409 naming periodId; a draft is still deleted, and claims submitted before the close
/// are still reviewed. Closing a half-term says how many of its claims are still drafts or awaiting a decision.
/// </summary>
public sealed class ClosedHalfTermTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AClosedHalfTerm_TakesNoNewClaimLinesOrSubmission_ButItsDraftsAreDeletedAndItsSubmittedClaimsReviewed()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26"); // a year that has ended: its half-terms can be closed
        var reviewed = await w.UnderReviewAsync("STAFF-02");
        var draft = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(draft))["lines"]![0]!["id"]!.GetValue<long>();
        var spare = await w.NewClaimAsync();
        var later = await w.NewClaimAsync(period: "aut2");
        var finance = await w.S.FinanceAsync(Db);

        var closed = (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods["aut1"]}/close", null))
            .Expect(HttpStatusCode.OK).Json;

        static void IsClosed(Answer a) => Assert.Contains("Autumn 1 2025-26 is closed", a.ExpectProblem(HttpStatusCode.Conflict, "periodId", rule: "period-closed").Body);
        IsClosed(await w.School.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut1"] }));
        IsClosed(await w.School.SendAsync(HttpMethod.Patch, $"/api/v1/claims/{later}", new { periodId = w.Periods["aut1"] }));
        IsClosed(await w.School.PostAsync($"/api/v1/claims/{draft}/lines", new
        {
            kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7",
        }));
        IsClosed(await w.School.PutAsync($"/api/v1/claims/{draft}/lines/{lineId}", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "leader", activity = "training", date = w.S.On("10-06"), days = 1,
        }));
        IsClosed(await w.SubmitAsync(draft));
        IsClosed(await w.AttachAsync(draft, ClaimWorld.Pdf("INV-1"), "inv-1.pdf", lineId));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", draft));
        var offered = (await w.School.GetAsync($"/api/v1/claims/{draft}")).Expect(HttpStatusCode.OK).Json["allowedActions"]!.AsArray()
            .Select(a => a!.GetValue<string>()).ToList();
        Assert.DoesNotContain("attach-evidence", offered);
        Assert.DoesNotContain("add-line", offered);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", draft));

        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, _) = await PageForms.PostAsync(page, "/school/claims/new", new() { ["periodId"] = w.Periods["aut1"].ToString(), ["description"] = "" });
        Assert.Equal("periodId", Assert.Single(problems).Field);
        // the claim's page offers the closed half-term's draft no line, import or upload; an open half-term's draft has them
        var closedPage = await page.GetStringAsync($"/school/claims/{draft}");
        Assert.DoesNotContain("Upload evidence", closedPage);
        Assert.DoesNotContain("Add a line", closedPage);
        var openPage = await page.GetStringAsync($"/school/claims/{later}");
        Assert.Contains("Upload evidence", openPage);
        Assert.Contains("Add a line", openPage);

        (await w.School.DeleteAsync($"/api/v1/claims/{spare}")).Expect(HttpStatusCode.NoContent);
        (await w.Lead.PostAsync($"/api/v1/claims/{reviewed}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal(3L, await Db.ScalarAsync("SELECT count(*) FROM claim")); // the spare draft deleted

        // the close said what was left in the half-term
        Assert.Equal(2, closed["draftClaims"]!.GetValue<int>());
        Assert.Equal(1, closed["undecidedClaims"]!.GetValue<int>());
        Assert.Contains("2 draft claims", closed["warning"]!.GetValue<string>());
        Assert.Contains("1 claim of ", closed["warning"]!.GetValue<string>());
        Assert.Contains(" still awaits a decision", closed["warning"]!.GetValue<string>()); // not "1 claim … still await"
    }

    /// <summary>
    /// A claim submitted before its half-term closed and returned after it is amended and submitted again there, as it is
    /// reviewed and paid there: the return had left the school a claim it could neither submit nor move (its line dated in the
    /// closed half-term), so the work could be claimed only under another date. Once its year is closed at its year end, a
    /// returned claim stays on record: its page says so, offering no move.
    /// </summary>
    [Fact]
    public async Task AClaimReturnedAfterItsHalfTermClosed_IsAmendedAndSubmittedAgain_UntilItsYearIsClosed()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var returned = await w.UnderReviewAsync("STAFF-02");
        var stranded = await w.UnderReviewAsync("STAFF-03");
        var lineId = (await w.School.GetAsync($"/api/v1/claims/{returned}")).Json["lines"]!.AsArray().Single()!["id"]!.GetValue<long>();
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods["aut1"]}/close", null)).Expect(HttpStatusCode.OK);
        foreach (var id in new[] { returned, stranded })
            (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = "Give the activity as it was" })).Expect(HttpStatusCode.OK);

        var offered = (await w.School.GetAsync($"/api/v1/claims/{returned}")).Expect(HttpStatusCode.OK).Json["allowedActions"]!.AsArray()
            .Select(a => a!.GetValue<string>()).ToList();
        Assert.Contains("submit", offered);
        Assert.Contains("add-line", offered);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var amend = await page.GetStringAsync($"/school/claims/{returned}");
        Assert.Contains("Amend the claim, then check it and submit it again.", amend);
        Assert.DoesNotContain("is closed", amend);
        (await w.School.PutAsync($"/api/v1/claims/{returned}/lines/{lineId}", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-02", role = "leader", activity = "training",
            date = w.S.On("10-06"), hours = "3.75",
        })).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(returned)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/start-review", null)).Expect(HttpStatusCode.OK);
        var approved = (await w.Lead.PostAsync($"/api/v1/claims/{returned}/approve", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", approved["state"]!.GetValue<string>());
        Assert.Equal("125.00", approved["claimed"]!.GetValue<string>()); // half a day at £250 a day, as amended

        // closed at its year end, the year holds and pays nothing again: a claim still returned stays on record
        var rules = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => new { categoryId = w.Category(c), treatment = "lapse" });
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close", new { rules })).Expect(HttpStatusCode.OK);
        Assert.Contains("Autumn 1 2025-26 is closed", (await w.SubmitAsync(stranded)).ExpectProblem(HttpStatusCode.Conflict, "periodId", rule: "period-closed").Body);
        Assert.Equal("draft", await Db.TextAsync("SELECT state FROM claim WHERE id = $1", stranded));
        var closedPage = await page.GetStringAsync($"/school/claims/{stranded}");
        Assert.Contains("2025-26 was closed at its year end", closedPage);
        Assert.Contains("It stays on record, returned.", closedPage);
        Assert.DoesNotContain("Move to another half-term", closedPage);
        Assert.DoesNotContain("Check and submit", closedPage);
    }
}

using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>What the school's and the area lead's claim pages show and offer, found by a review of the running demo.</summary>
public sealed partial class ClaimPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string Note = "Cover for the autism training, as the lead asked";

    /// <summary>A lead returned a claim asking for a note; the school added it; the lead could not see it: no page showed a line's note.</summary>
    [Fact]
    public async Task ALinesNote_IsShownUnderItsLine_OnEveryPageThatShowsTheLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "leader", activity = "training",
            date = w.S.On("10-05"), days = 1, description = Note,
        })).Expect(HttpStatusCode.Created);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        Assert.Contains(Note, await Read(school, $"/school/claims/{id}"));
        Assert.Contains(Note, await Read(school, $"/school/claims/{id}/check"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        Assert.Contains(Note, await Read(lead, $"/review/claims/{id}"));
        Assert.Contains(Note, await Read(lead, $"/review/claims/{id}/approve"));
        Assert.Contains(Note, await Read(admin, $"/ledger/claims/{id}"));
    }

    /// <summary>A claim returned by the programme's second approver was shown to the school as "Your area lead's reason".</summary>
    [Fact]
    public async Task AReturnByTheSecondApprover_IsShownToTheSchoolAsTheSecondApprovers()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 100 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        (await w.Admin.PostAsync($"/api/v1/claims/{id}/return", new { reason = "Attach the timesheet" })).Expect(HttpStatusCode.OK);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = await Read(school, $"/school/claims/{id}");
        Assert.Contains("The programme's second approver's reason: Attach the timesheet", page);
        Assert.DoesNotContain("area lead's reason", page);

        var byLead = await w.UnderReviewAsync("STAFF-02");
        (await w.Lead.PostAsync($"/api/v1/claims/{byLead}/return", new { reason = "Add a note" })).Expect(HttpStatusCode.OK);
        Assert.Contains("Your area lead's reason: Add a note", await Read(school, $"/school/claims/{byLead}"));
    }

    /// <summary>Posts a form of the page at <paramref name="url"/> as a browser does: the redirect it answers.</summary>
    private static async Task<(HttpStatusCode Status, string? Location)> PostAsync(HttpClient page, string url, Dictionary<string, string> fields)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(url));
        using var answer = await page.PostAsync(url, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return (answer.StatusCode, answer.Headers.Location?.OriginalString);
    }

    [GeneratedRegex("href=\"(/school/claims/\\d+/line\\?lineId=[^\"]*)\"")] private static partial Regex ChangeLink();
}

using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Forms;

/// <summary>
/// A choice a page's form posts as an id that cannot be read (periodId=abc: a stale form, a tampered one) is an error on
/// its field, as the API answers 400; it was read as a choice left open ("all half-terms") or as nothing chosen.
/// </summary>
public sealed class UnreadableChoicesTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Theory]
    [InlineData("periodId", "Select the half-term from the list")]
    [InlineData("areaId", "Select the area from the list")]
    public async Task APaymentRunFilterThatCannotBeRead_IsAnErrorOnItsField_AndBuildsNoRun(string field, string message)
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        var finance = await w.S.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);

        var (problems, _) = await PageForms.PostAsync(page, "/finance", new()
        {
            ["areaId"] = "", ["periodId"] = "", [field] = "abc", ["asOf-day"] = "", ["asOf-month"] = "", ["asOf-year"] = "",
        });

        Assert.Equal([(field, message)], problems);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_run"));
    }

    [Fact]
    public async Task ALineToChangeThatCannotBeRead_IsRefused_AndAddsNoLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);

        var (problems, _) = await PageForms.PostAsync(page, $"/school/claims/{id}/line?kind=support-hours&lineId=abc", new()
        {
            ["categoryId"] = w.Category("tlr-admin").ToString(), ["allowanceCategoryId"] = "", ["staffRef"] = "T1", ["date-day"] = "5", ["date-month"] = "10",
            ["date-year"] = "2026", ["hours"] = "2",
        }, formAt: $"/school/claims/{id}/line?kind=support-hours");

        Assert.Single(problems, p => p.Field == "lineId");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
    }
}

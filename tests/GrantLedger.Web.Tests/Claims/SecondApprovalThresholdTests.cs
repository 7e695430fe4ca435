using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// The second-approval threshold applies to what was claimed: a claim at the threshold approved a penny short (one line
/// reduced) went straight to approved, so an area lead could avoid the second approval by sanctioning a penny less.
/// </summary>
public sealed class SecondApprovalThresholdTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AClaimAtTheThreshold_ApprovedAPennyLess_StillAwaitsASecondApproval()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 25000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync(); // £250.00 claimed
        var lineId = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        var first = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "249.99", reason = "a penny short" } } }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal("awaiting-second-approval", first["state"]!.GetValue<string>());
        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        // amounts sent with a second approval are refused, not dropped (dropped, they approved the claim as the first approval
        // left it while the admin meant to cut it): the second approval approves what the first set, and nothing moves
        var cut = (await w.Admin.PostAsync($"/api/v1/claims/{id}/second-approve", new { lines = new[] { new { lineId, amount = "0.01", reason = "only a penny evidenced" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines").Json;
        Assert.Contains("return the claim", cut["errors"]!["lines"]![0]!.GetValue<string>());
        (await w.Admin.PostAsync($"/api/v1/claims/{id}/second-approve", new { reason = "looks right" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        Assert.Equal("awaiting-second-approval", (await w.Admin.GetAsync($"/api/v1/claims/{id}")).Json["state"]!.GetValue<string>());
        (await w.Admin.PostAsync($"/api/v1/claims/{id}/second-approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("249.99", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
    }

    [Fact]
    public async Task AClaimBelowTheThreshold_IsApprovedByTheAreaLeadAlone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 25001 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync();
        Assert.Equal("approved", (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
    }
}

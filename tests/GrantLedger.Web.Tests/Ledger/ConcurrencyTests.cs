using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

public sealed class ConcurrencyTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task TwentyParallelAllocations_RacingForTheLastFunds_NeverOverdraw()
    {
        var s = await Scenario.CreateAsync(Db, 1, 20);
        await s.FundAsync("1000.00");
        var answers = await Task.WhenAll(s.Schools.Select(school => s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[] { new { schoolId = school.Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })));

        Assert.Equal(10, answers.Count(a => a.Status == HttpStatusCode.Created));
        var refused = answers.Where(a => a.Status != HttpStatusCode.Created).ToList();
        Assert.Equal(10, refused.Count);
        Assert.All(refused, a => a.ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "allocation-exceeds-unallocated"));
        Assert.All(refused, a => Assert.Equal("100.00", a.Json["shortfall"]!.GetValue<string>()));

        var unallocated = await s.AccountAsync("tp:2026-27:unallocated");
        Assert.Equal("0.00", unallocated["available"]!.GetValue<string>());
        Assert.Equal(100_000, await Db.ScalarAsync("SELECT sum(credits_posted) FROM account WHERE code LIKE '%:available'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) FROM account"));
        Assert.Equal(10, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
    }
}

using System.Net;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

public sealed class IdempotencyTests(DatabaseFixture db) : ReliabilityTest(db)
{
    [Fact]
    public async Task HundredConcurrentRetriesOfOneAllocation_OnTwoInstances_MoveMoneyOnce_AndAllAnswerTheSame201()
    {
        var s = await Scenario.CreateAsync(Db);
        await s.FundAsync("1000.00");
        var (a, b) = (await StartServiceAsync("instance A"), await StartServiceAsync("instance B"));
        await Task.WhenAll(a.WarmUpAsync(s.Root), b.WarmUpAsync(s.Root));
        var (rootA, rootB) = (a.As(s.Root, TimeSpan.FromSeconds(60)), b.As(s.Root, TimeSpan.FromSeconds(60)));
        var entriesBefore = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        var body = new
        {
            valueDate = "2026-09-01", description = "retried allocation",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "123.45" } },
        };

        // 100 copies of one request with one Idempotency-Key, all in flight together, half on each instance.
        var key = $"alloc-{Guid.NewGuid():N}";
        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            (i % 2 == 0 ? rootA : rootB).PostAsync($"{s.Year}/allocations", body, idempotencyKey: key)));

        Assert.All(answers, x => Assert.True(x.Status == HttpStatusCode.Created, $"{(int)x.Status} {x.Body}\n{a.Log}\n{b.Log}"));
        Assert.Single(answers.Select(x => x.Body).Distinct());
        Assert.Single(answers.Select(x => x.Headers.Location?.ToString()).Distinct());
        Assert.Equal(99, answers.Count(x => x.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Single() == "true"));
        Assert.Equal(entriesBefore + 1, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM idempotency_key WHERE key = $1", key));
        Assert.Equal("123.45", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());

        // The key stays bound to its request: another body with it is refused, and moves nothing.
        (await rootB.PostAsync($"{s.Year}/allocations", body with { description = "another" }, idempotencyKey: key))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(entriesBefore + 1, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        await LedgerChecks.AssertConsistentAsync(Sql);
    }
}

using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// The tests are set in the 2026-27 school year: half-terms that have ended and ones not yet begun, postings dated
/// "today". <c>./test.sh</c> runs them on the day they were written for, 4 December 2026 (the clock of every process of
/// the run moved by libfaketime, <c>GRANTLEDGER_TESTS_TODAY</c> naming the day), so that they hold in any year. The
/// service and PostgreSQL must then read one calendar, or the database's own rules (an entry dated no later than it is
/// recorded) would disagree with the service's.
/// </summary>
public sealed class TestsCalendarTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AnUndatedAllocation_IsDatedTheDatabasesOwnToday_TheDayTheTestsRunOn()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("10.00");
        var posted = (await s.Root.PostAsync($"{s.Year}/allocations",
            new { each = new { categoryId = s.Categories["staff-cover"], amount = "1.00", allSchools = true } })).Expect(HttpStatusCode.Created).Json;

        var dated = await Db.TextAsync("SELECT value_date::text FROM journal_entry WHERE id = $1", posted["entryId"]!.GetValue<long>());
        var databasesToday = await Db.TextAsync("SELECT (now() AT TIME ZONE 'Europe/London')::date::text");
        Assert.Equal(databasesToday, dated);
        Assert.Equal(GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd"), databasesToday);
        if (Environment.GetEnvironmentVariable("GRANTLEDGER_TESTS_TODAY") is { Length: > 0 } day) Assert.Equal(day, databasesToday);
    }
}

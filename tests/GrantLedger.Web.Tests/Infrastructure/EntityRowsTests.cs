using System.Net;
using System.Text.Json;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// A claim transition reads its rows by hand, in one batch (ClaimAccess.LockForTransitionAsync, EntityRows): what it reads must be what EF reads, every
/// column of every entity, or a transition would decide on (and answer with) something other than what is stored.
/// </summary>
public sealed class EntityRowsTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task RowsReadByHand_EqualWhatEfReads_ForEveryEntityATransitionReads()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync(); // holds set, submitted by and at set
        var lineId = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve",
            new { lines = new[] { new { lineId, amount = "100.00", reason = "part of the day" } } })).Expect(HttpStatusCode.OK);

        await Db.InScopeAsync(async sp =>
        {
            var ef = sp.GetRequiredService<GrantLedgerDb>();
            var claim = await ef.Set<Claim>().AsNoTracking().Include(c => c.Lines).SingleAsync(c => c.Id == id);
            var holdIds = claim.Lines.SelectMany(l => new[] { l.MoneyHoldId, l.TimeHoldId }).OfType<long>().ToList();
            Assert.NotEmpty(holdIds);
            var expected = new object[]
            {
                claim, claim.Lines.OrderBy(l => l.LineNo).ToList(),
                await ef.Schools.AsNoTracking().SingleAsync(s => s.Id == claim.SchoolId),
                await ef.Programmes.AsNoTracking().SingleAsync(p => p.Id == claim.ProgrammeId),
                await ef.Periods.AsNoTracking().SingleAsync(p => p.Id == claim.PeriodId),
                await ef.ProgrammeYears.AsNoTracking().SingleAsync(y => y.Id == claim.ProgrammeYearId),
                await ef.Transfers.AsNoTracking().Where(t => holdIds.Contains(t.Id)).OrderBy(t => t.Id).ToListAsync(),
            };

            // the transition's own read (the admin sees every school of the programme), without a transaction: nothing is kept locked
            var locked = await ClaimAccess.LockForTransitionAsync(ef, new CurrentUser(0, "admin", Roles.ProgrammeAdmin, claim.ProgrammeId, null, null),
                id, readHolds: true, reserveIds: true, CancellationToken.None);
            var c = locked.Scope;
            var lines = c.Claim.Lines;
            c.Claim.Lines = claim.Lines; // the navigation is not a column: the lines are compared on their own
            object[] actual = [c.Claim, lines, c.School, c.Programme, c.Period, c.Year, locked.Holds.Values.OrderBy(t => t.Id).ToList()];
            Assert.Equal(2 * lines.Count, locked.Reserved!.TransferIds.Count);

            for (var i = 0; i < expected.Length; i++)
                Assert.Equal(JsonSerializer.Serialize(expected[i]), JsonSerializer.Serialize(actual[i]));
            // nulls and values both came through: the approval set a sanction and a reason, the claim has no payment run yet
            Assert.Contains("\"SanctionReason\":\"part of the day\"", JsonSerializer.Serialize(actual[1]));
            Assert.Contains("\"PaymentRunId\":null", JsonSerializer.Serialize(actual[0]));
            return true;
        });
    }
}

using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Ledger.LedgerHarness;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>
/// An account's statement read a page at a time (limit, and nextCursor passed as after): at national scale one account's
/// statement is enormous, and a client read all of it for every page.
/// </summary>
public sealed class StatementPagingTests(DatabaseFixture db) : DatabaseTest(db)
{
    private sealed record World(LedgerHarness H, long Account, long ForeignTransfer, long OutsideTransfer, ApiClient Auditor);

    /// <summary>
    /// School 0's available account with 25 lines, 23 of them from 4 September to 20 November: allocations recorded in one order and dated in another, two on one entry
    /// (one value date, ordered by transfer id), holds posted in full, for less and voided; school 1's lines besides.
    /// </summary>
    private async Task<World> AccountWithManyLinesAsync()
    {
        var h = await LedgerHarness.CreateAsync(Db, schools: 2);
        Task<PostedEntry> On(string date, params TransferDraft[] t) => h.PostAsync(h.Entry(t) with { ValueDate = DateOnly.Parse(date) });
        await On("2026-09-01", Move(h.Funding, h.Unallocated, 10_000_000));
        var outside = (await On("2026-09-03", Move(h.Unallocated, h.Available[0], 1_000))).TransferIds[0]; // before from
        foreach (var day in new[] { 20, 5, 28, 11, 17, 9, 24, 14 }) // recorded in this order, dated out of it
            await On($"2026-09-{day:00}", Move(h.Unallocated, h.Available[0], 10_000 + day), Move(h.Unallocated, h.Available[0], 300));
        var foreign = (await On("2026-09-12", Move(h.Unallocated, h.Available[1], 5_000))).TransferIds[0];
        var holds = new List<long>();
        foreach (var day in new[] { 3, 1, 6, 2 })
            holds.Add((await On($"2026-10-{day:00}", Move(h.Available[0], h.Payable[0], 2_500 + day, TransferKind.Pending))).TransferIds[0]);
        await On("2026-10-07", Move(h.Available[0], h.Payable[0], 2_503, TransferKind.PostPending, holds[0]));
        await On("2026-10-07", Move(h.Available[0], h.Payable[0], 1_000, TransferKind.PostPending, holds[1]));
        await On("2026-10-06", Move(h.Available[0], h.Payable[0], 2_506, TransferKind.VoidPending, holds[2]));
        await On("2026-11-25", Move(h.Available[0], h.Payable[0], 700)); // after to
        return new World(h, h.Available[0], foreign, outside, await Db.UserAsync("auditor-sp", Roles.Auditor));
    }

    private static readonly string[] Statements = ["/api/v1/accounts/{0}/statement", "/api/v1/audit/accounts/{0}/statement"];

    [Fact]
    public async Task Statement_ReadPageByPage_EqualsTheWholeStatement_LineForLine_AndBalanceForBalance()
    {
        var w = await AccountWithManyLinesAsync();
        foreach (var url in Statements.Select(u => string.Format(u, w.Account) + "?from=2026-09-04&to=2026-11-20"))
        {
            var whole = (await w.Auditor.GetAsync(url)).Expect(HttpStatusCode.OK).Json;
            var lines = whole["lines"]!.AsArray();
            Assert.Equal(23, lines.Count); // a client of today, sending no limit, still reads every line
            Assert.Null(whole["nextCursor"]);
            Assert.Equal("10.00", whole["openingBalance"]!.GetValue<string>());
            Assert.Contains(lines, l => l!["pendingChange"] is not null && l["debit"] is null); // the holds are on it

            var read = new List<JsonNode>();
            var opening = whole["openingBalance"]!.GetValue<string>();
            string? cursor = null;
            do
            {
                var page = (await w.Auditor.GetAsync(url + "&limit=4" + (cursor is null ? "" : $"&after={cursor}"))).Expect(HttpStatusCode.OK).Json;
                var items = page["lines"]!.AsArray();
                Assert.Equal(opening, page["openingBalance"]!.GetValue<string>()); // the balance before its first line
                Assert.Equal(items.Count > 0 ? items[^1]!["runningBalance"]!.GetValue<string>() : opening, page["closingBalance"]!.GetValue<string>());
                Assert.Equal(whole["from"]!.GetValue<string>(), page["from"]!.GetValue<string>());
                cursor = page["nextCursor"]?.GetValue<long>().ToString();
                if (cursor is not null)
                {
                    Assert.Equal(4, items.Count);
                    Assert.Equal(items[^1]!["transferId"]!.GetValue<long>().ToString(), cursor);
                }
                read.AddRange(items.Select(i => i!));
                opening = page["closingBalance"]!.GetValue<string>();
                Assert.True(read.Count <= lines.Count, "read past the statement's end");
            } while (cursor is not null);

            Assert.Equal(lines.Select(l => l!.ToJsonString()), read.Select(l => l.ToJsonString()));
            Assert.Equal(whole["closingBalance"]!.GetValue<string>(), opening);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5001")]
    [InlineData("-1")]
    public async Task Statement_LimitOutOfBounds_Returns422NamingLimit(string limit)
    {
        var w = await AccountWithManyLinesAsync();
        foreach (var url in Statements)
            (await w.Auditor.GetAsync(string.Format(url, w.Account) + $"?limit={limit}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    /// <summary>
    /// A cursor is a transfer of this statement: another account's, one dated outside from and to, or none at all would read
    /// on from a place the statement does not have.
    /// </summary>
    [Fact]
    public async Task Statement_ACursorNotOfThisStatement_IsRefusedNamingAfter()
    {
        var w = await AccountWithManyLinesAsync();
        foreach (var url in Statements.Select(u => string.Format(u, w.Account) + "?from=2026-09-04&limit=10"))
        {
            (await w.Auditor.GetAsync($"{url}&after={w.ForeignTransfer}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
            (await w.Auditor.GetAsync($"{url}&after={w.OutsideTransfer}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
            (await w.Auditor.GetAsync($"{url}&after=999999999")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
            (await w.Auditor.GetAsync($"{url}&after=abc")).ExpectProblem(HttpStatusCode.BadRequest, "after");
        }
    }
}

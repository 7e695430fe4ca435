using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A half-term's claims are found by <c>claim_half_term</c> (migration 0079), which PostgreSQL keeps as claims are drafted,
/// moved to another half-term and discarded, whoever writes them, and which a claim's moves never write.
/// </summary>
public sealed class ClaimHalfTermTests(DatabaseFixture db) : DatabaseTest(db)
{
    private Task<string?> KeptAsync() =>
        Db.TextAsync("SELECT coalesce(string_agg(format('%s:%s', claim_id, period_id), ' ' ORDER BY claim_id), '') FROM claim_half_term");

    private Task<string?> ClaimsOwnAsync() =>
        Db.TextAsync("SELECT coalesce(string_agg(format('%s:%s', id, period_id), ' ' ORDER BY id), '') FROM claim");

    private ApiClient? _auditor;

    /// <summary>The half-term's claims as the programme's staff list them, read between its first and last claim; and as its school does.</summary>
    private async Task<long[]> ListedAsync(ClaimWorld w, string period)
    {
        async Task<long[]> Ids(ApiClient reader) =>
            (await reader.GetAsync($"/api/v1/claims?programmeId={w.S.ProgrammeId}&periodId={w.Periods[period]}")).Expect(HttpStatusCode.OK).Json.AsArray()
                .Select(c => c!["id"]!.GetValue<long>()).ToArray();
        var listed = await Ids(_auditor ??= await w.S.AuditorAsync(Db));
        Assert.Equal(listed, await Ids(w.School));
        return listed;
    }

    [Fact]
    public async Task AClaimsHalfTerm_FollowsItsDraft_WhoeverWritesIt_AndTheListByHalfTermWithIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var moved = await w.NewClaimAsync();
        var kept = await w.NewClaimAsync(period: "aut2");
        var discarded = await w.NewClaimAsync();
        Assert.Equal([discarded, moved], await ListedAsync(w, "aut1"));
        Assert.Equal([kept], await ListedAsync(w, "aut2"));

        (await w.School.SendAsync(HttpMethod.Patch, $"/api/v1/claims/{moved}", new { periodId = w.Periods["aut2"] })).Expect(HttpStatusCode.OK);
        Assert.Equal([discarded], await ListedAsync(w, "aut1"));
        Assert.Equal([kept, moved], await ListedAsync(w, "aut2")); // newest first

        (await w.School.DeleteAsync($"/api/v1/claims/{discarded}")).Expect(HttpStatusCode.NoContent);
        Assert.Empty(await ListedAsync(w, "aut1"));

        // a script's draft, and a script moving a draft, are kept the same way
        var scripted = await Db.ScalarAsync("""
            INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, description, created_by)
            SELECT programme_id, programme_year_id, $1, school_id, 'by a script', created_by FROM claim WHERE id = $2 RETURNING id
            """, w.Periods["aut1"], kept);
        await Db.DataSource.ExecuteAsync("UPDATE claim SET period_id = $1 WHERE id = $2", w.Periods["aut1"], kept);
        Assert.Equal([scripted, kept], await ListedAsync(w, "aut1"));
        Assert.Equal([moved], await ListedAsync(w, "aut2"));

        Assert.Equal(await ClaimsOwnAsync(), await KeptAsync());
        Assert.Equal(3, (await KeptAsync())!.Split(' ').Length);
    }

    [Fact]
    public async Task AClaimsMoves_NeverWriteItsHalfTermsRow()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(id);
        var row = await Db.TextAsync("SELECT xmin::text FROM claim_half_term WHERE claim_id = $1", id);
        var claimRow = await Db.TextAsync("SELECT xmin::text FROM claim WHERE id = $1", id);

        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);

        Assert.NotEqual(claimRow, await Db.TextAsync("SELECT xmin::text FROM claim WHERE id = $1", id));
        Assert.Equal(row, await Db.TextAsync("SELECT xmin::text FROM claim_half_term WHERE claim_id = $1", id));
        Assert.Equal([id], await ListedAsync(w, "aut1"));
    }

    [Fact]
    public async Task TheHalfTermsTable_WrittenByHand_IsRefused_AndLeftAsItWas()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var before = await KeptAsync();
        foreach (var sql in new[]
                 {
                     $"INSERT INTO claim_half_term (claim_id, period_id) SELECT id, {w.Periods["aut2"]} FROM claim WHERE id <> {id}",
                     $"UPDATE claim_half_term SET period_id = {w.Periods["aut2"]} WHERE claim_id = {id}",
                     $"DELETE FROM claim_half_term WHERE claim_id = {id}",
                     "TRUNCATE claim_half_term",
                 })
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(sql));
            Assert.Equal("GL002", refused.SqlState);
        }
        Assert.Equal(before, await KeptAsync());
        Assert.Equal([id], await ListedAsync(w, "aut1"));
    }
}

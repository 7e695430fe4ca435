using System.Net;
using Npgsql;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A staff reference is a pseudonym each school chooses: T10 at one school and T10 at another are two people. The full day
/// and the TLR once per half-term were counted across the programme: a second school's T10 was refused for the first
/// school's day ("1 day is already claimed on this and other claims", telling it of a claim it cannot see).
/// </summary>
public sealed class StaffReferencePerSchoolTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task TheSameStaffReference_AtTwoSchools_IsClaimedForAFullDayAtEach()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var date = w.S.On("11-03");
        var valley = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(valley, "T10", date);
        (await w.SubmitAsync(valley)).Expect(HttpStatusCode.OK);

        var westbrook = await w.NewClaimAsync(w.OtherSchool, "aut2");
        await w.AddStaffTimeAsync(westbrook, "T10", date, school: w.OtherSchool);
        (await w.SubmitAsync(westbrook, w.OtherSchool)).Expect(HttpStatusCode.OK);
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM staff_day WHERE staff_ref = 'T10' AND minutes = 450"));
    }

    [Fact]
    public async Task TheSameStaffReferencesTlr_AtTwoSchools_IsClaimedOnceAtEach()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var tlr = new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T10" };
        var valley = await w.NewClaimAsync(period: "aut2");
        (await w.School.PostAsync($"/api/v1/claims/{valley}/lines", tlr)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(valley)).Expect(HttpStatusCode.OK);

        var westbrook = await w.NewClaimAsync(w.OtherSchool, "aut2");
        (await w.OtherSchool.PostAsync($"/api/v1/claims/{westbrook}/lines", tlr)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(westbrook, w.OtherSchool)).Expect(HttpStatusCode.OK);

        // within one school it is still once per half-term
        var again = await w.NewClaimAsync(w.OtherSchool, "aut2");
        (await w.OtherSchool.PostAsync($"/api/v1/claims/{again}/lines", tlr)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(again, w.OtherSchool)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].staffRef");
    }

    /// <summary>
    /// The database itself books a staff day per school, as the claim's own UPDATE moves it (migration 0087): a second full
    /// day at the same school is refused whoever submits it, another school's is not.
    /// </summary>
    [Fact]
    public async Task TheDatabase_RefusesASecondFullDayAtTheSameSchool_NotAtAnother()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var date = w.S.On("11-03");
        var valley = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(valley, "T10", date);
        var again = await w.NewClaimAsync(period: "aut2");
        await w.AddStaffTimeAsync(again, "T10", date, days: null, hours: "1");
        (await w.SubmitAsync(valley)).Expect(HttpStatusCode.OK);

        await using (var script = Db.DataSource.CreateCommand(ClaimWorld.SubmittedByScript(again)))
            Assert.Equal("GL009", (await Assert.ThrowsAsync<PostgresException>(() => script.ExecuteNonQueryAsync())).SqlState);
        var westbrook = await w.NewClaimAsync(w.OtherSchool, "aut2");
        await w.AddStaffTimeAsync(westbrook, "T10", date, days: null, hours: "1", school: w.OtherSchool);
        (await w.SubmitAsync(westbrook, w.OtherSchool)).Expect(HttpStatusCode.OK);
        Assert.Equal(450L, await Db.ScalarAsync($"SELECT minutes FROM staff_day WHERE school_id = {w.S.Schools[0].Id} AND staff_ref = 'T10'"));
        Assert.Equal(60L, await Db.ScalarAsync($"SELECT minutes FROM staff_day WHERE school_id = {w.S.Schools[1].Id} AND staff_ref = 'T10'"));
    }
}

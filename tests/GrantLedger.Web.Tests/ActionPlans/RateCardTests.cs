using System.Net;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.ActionPlans;

public sealed class RateCardTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Rates_AreEffectiveDated_EachInForceUntilTheNextOfItsCode()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var path = $"/api/v1/programmes/{s.ProgrammeId}/rates";
        (await admin.PostAsync(path, new { code = "teacher-cover-day", name = "Teacher cover", basis = "day", amount = "250.00", effectiveFrom = "2026-09-01" }))
            .Expect(HttpStatusCode.Created);
        var later = (await admin.PostAsync(path, new { code = "teacher-cover-day", name = "Teacher cover", basis = "day", amount = "300", effectiveFrom = "2026-10-15" }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal("300.00", later["amount"]!.GetValue<string>());

        var card = (await (await s.SchoolUserAsync(Db)).GetAsync($"{path}?on=2026-10-14")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal([("2026-09-01", "2026-10-14", true), ("2026-10-15", null, false)],
            card.Select(r => (r!["effectiveFrom"]!.GetValue<string>(), r["effectiveTo"]?.GetValue<string>(), r["inForce"]!.GetValue<bool>())));
    }

    [Fact]
    public async Task BadRates_AreRefusedByField_AndARateIsNeverChanged()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var path = $"/api/v1/programmes/{s.ProgrammeId}/rates";
        var errors = (await admin.PostAsync(path, new { code = "Teacher Cover", name = "", basis = "week", amount = "0.00" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["amount", "basis", "code", "effectiveFrom", "name"], errors.Select(e => e.Key).Order());
        (await admin.PostAsync(path, new { code = "tlr3-period", name = "TLR3", basis = "period", amount = "1.234", effectiveFrom = "2026-09-01" }))
            .ExpectProblem(HttpStatusCode.BadRequest);

        var rate = (await admin.PostAsync(path, new { code = "tlr3-period", name = "TLR3", basis = "period", amount = "300.00", effectiveFrom = "2026-09-01" }))
            .Expect(HttpStatusCode.Created).Id;
        (await admin.PostAsync(path, new { code = "tlr3-period", name = "TLR3", basis = "period", amount = "350.00", effectiveFrom = "2026-09-01" }))
            .ExpectProblem(HttpStatusCode.Conflict, "effectiveFrom", "rate-exists");
        (await admin.PostAsync(path, new { code = "tlr3-period", name = "TLR3", basis = "day", amount = "350.00", effectiveFrom = "2027-01-01" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "basis");
        (await (await s.FinanceAsync(Db)).PostAsync(path, new { code = "x-rate", name = "x", basis = "day", amount = "1.00", effectiveFrom = "2026-09-01" }))
            .ExpectProblem(HttpStatusCode.Forbidden);

        await using var cmd = Db.DataSource.CreateCommand($"UPDATE rate SET amount_pence = 1 WHERE id = {rate}");
        Assert.Equal("GL002", (await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync())).SqlState);
    }
}

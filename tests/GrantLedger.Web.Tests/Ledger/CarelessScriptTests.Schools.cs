using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

public sealed partial class CarelessScriptTests
{
    /// <summary>
    /// On a database holding a school whose phase GIAS does not name, migration 0097 names it in a WARNING and keeps it; its
    /// CHECK stays unvalidated, still refusing such a phase in a new school and a change to the old one that does not give a
    /// phase GIAS names. On a database with none, the CHECK is validated.
    /// </summary>
    [Fact]
    public async Task TheMigration_NamesSchoolsWhosePhaseGiasDoesNotName_AndKeepsThem()
    {
        await using var data = await BeforeMigrationAsync(97);
        await data.ExecuteAsync("""
            INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES (1, '100002', 'Elm Infants', 'Infant', 1);
            """);
        var warnings = await MigrationWarningsAsync(data, 97);
        Assert.Equal("schools whose phase is not one GIAS names, kept as they are until a programme admin gives each its phase (the first 50): "
            + "Elm Infants (URN 100002): 'Infant'", Assert.Single(warnings));
        Assert.Equal("Secondary,Infant", await data.TextAsync("SELECT string_agg(phase, ',' ORDER BY urn) FROM school"));
        Assert.Equal(0, await data.ScalarAsync("SELECT count(*) FROM pg_constraint WHERE conname = 'school_phase_known' AND convalidated"));
        foreach (var sql in new[] { "INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES (1, '100003', 'Ash', 'Infant', 1)",
                                    "UPDATE school SET name = 'Elm Infant School' WHERE urn = '100002'" })
            Assert.Equal("school_phase_known", (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.ExecuteAsync(sql))).ConstraintName);
        await data.ExecuteAsync("UPDATE school SET name = 'Elm Infant School', phase = 'Primary' WHERE urn = '100002'");

        await using var clean = await BeforeMigrationAsync(97, "clean");
        Assert.Empty(await MigrationWarningsAsync(clean, 97));
        Assert.Equal(1, await clean.ScalarAsync("SELECT count(*) FROM pg_constraint WHERE conname = 'school_phase_known' AND convalidated"));
    }
}

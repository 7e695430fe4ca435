using System.Net;
using System.Text;
using GrantLedger.Web.Programmes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// A school's phase of education is one Get Information about Schools names, so that a borough lead can count and find
/// schools by phase: given in any case, kept as GIAS spells it, anything else refused by the service naming the field, and
/// by PostgreSQL for a script (migration 0097).
/// </summary>
public sealed class SchoolPhaseTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static readonly string OneOf = "must be one of " + string.Join(", ", Schools.Phases);

    private static object NewSchool(Scenario s, string urn, string phase) => new { urn, name = $"School {urn}", phase, areaId = s.AreaIds[0] };

    /// <summary>
    /// The phases the service offers and takes are the ones PostgreSQL's CHECK holds (migration 0097 writes them in SQL, the
    /// service in C#): a phase added to one list alone would be offered and then refused, or refused by the service alone.
    /// </summary>
    [Fact]
    public async Task ThePhasesTheServiceTakes_AreThePhasesTheDatabaseHolds()
    {
        var definition = await Db.TextAsync("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'school_phase_known'");
        Assert.NotNull(definition);
        var held = System.Text.RegularExpressions.Regex.Matches(definition, @"'((?:[^']|'')*)'::text").Select(m => m.Groups[1].Value.Replace("''", "'"));
        Assert.Equal(Schools.Phases, held);
    }

    [Fact]
    public async Task APhase_GivenInAnyCase_IsKeptAsGiasSpellsIt_AndAnyOtherIsRefusedNamingTheField()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var schools = $"/api/v1/programmes/{s.ProgrammeId}/schools";
        var added = (await s.Root.PostAsync(schools, NewSchool(s, "400001", "  middle DEEMED primary "))).Expect(HttpStatusCode.Created);
        Assert.Equal("Middle deemed primary", added.Json["phase"]!.GetValue<string>());
        var id = added.Id;

        var written = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        foreach (var phase in new[] { "Primary school", "Infant", "KS2" })
        {
            var refused = (await s.Root.PostAsync(schools, NewSchool(s, "400002", phase))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "phase");
            Assert.Equal(OneOf, refused.Json["errors"]!["phase"]![0]!.GetValue<string>());
        }
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn = '400002'"));

        Assert.Equal("Secondary", (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{id}", new { phase = "SECONDARY" }))
            .Expect(HttpStatusCode.OK).Json["phase"]!.GetValue<string>());
        (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{id}", new { phase = "Secondary modern" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "phase");
        Assert.Equal("Secondary", await Db.TextAsync($"SELECT phase FROM school WHERE id = {id}"));
        Assert.Equal(written + 1, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
    }

    [Fact]
    public async Task AnImport_KeepsGiasSpelling_AndRefusesARowWhosePhaseGiasDoesNotName()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var csv = "URN,LA (name),EstablishmentName,PhaseOfEducation (name)\n" +
                  "400011,Area 1,Oak Primary,primary\n" +
                  "400012,Area 1,Elm Infants,Infant\n" +
                  "400013,Area 1,Ash College,16 plus\n";
        var report = (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import", Encoding.UTF8.GetBytes(csv), "text/csv"))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, report["imported"]!.GetValue<int>());
        var rejected = Assert.Single(report["rejections"]!.AsArray())!;
        Assert.Equal(3, rejected["line"]!.GetValue<int>());
        Assert.Equal("the phase of education ('PhaseOfEducation (name)') " + OneOf, rejected["reason"]!.GetValue<string>());
        Assert.Equal("400011 Primary,400013 16 plus", await Db.TextAsync("SELECT string_agg(urn || ' ' || phase, ',' ORDER BY urn) FROM school"));
    }

    [Fact]
    public async Task AScript_CannotGiveASchoolAPhaseGiasDoesNotName()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(
            "INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES ($1, '400021', 'Elm Infants', 'Infant', $2)", s.ProgrammeId, s.AreaIds[0]));
        Assert.Equal("school_phase_known", refused.ConstraintName);
        refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(
            "UPDATE school SET phase = 'primary' WHERE id = $1", s.Schools[0].Id));
        Assert.Equal("school_phase_known", refused.ConstraintName);
    }

    /// <summary>
    /// A school enrolled before phases were GIAS's keeps its own (the migration leaves the CHECK unvalidated): a change to it
    /// must give a phase, which the service says naming the field and the phase kept, and its page asks for one.
    /// </summary>
    [Fact]
    public async Task ASchoolFromBefore_KeepsItsPhase_UntilAChangeGivesOne()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var id = s.Schools[0].Id;
        await Db.DataSource.ExecuteAsync($"""
            ALTER TABLE school DROP CONSTRAINT school_phase_known;
            UPDATE school SET phase = 'Infant' WHERE id = {id};
            ALTER TABLE school ADD CONSTRAINT school_phase_known CHECK (phase IN ({string.Join(", ", Schools.Phases.Select(p => $"'{p}'"))})) NOT VALID;
            """);
        try
        {
            var refused = (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{id}", new { name = "Elm Infants" }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "phase");
            Assert.Equal("is 'Infant', which is not a phase of education: give one of " + string.Join(", ", Schools.Phases),
                refused.Json["errors"]!["phase"]![0]!.GetValue<string>());
            Assert.Equal("Infant", await Db.TextAsync($"SELECT phase FROM school WHERE id = {id}"));

            var admin = await s.ProgrammeAdminAsync(Db);
            using var page = await GrantLedger.Web.Tests.Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, admin.UserName);
            var form = await PageTables.Read(page, $"/admin/schools/{id}/change");
            Assert.Contains("Kept as \u201CInfant\u201D, which is not a phase of education Get Information About Schools names: select the one it is", form);
            Assert.DoesNotContain("selected", form[form.IndexOf("id=\"phase\"")..form.IndexOf("</select>")]);
            Assert.Contains("the phase is one Get Information About Schools names (" + string.Join(", ", Schools.Phases) + "), in any case",
                await PageTables.Read(page, "/admin/schools/import"));

            var changed = (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{id}", new { name = "Elm Infants", phase = "primary" }))
                .Expect(HttpStatusCode.OK).Json;
            Assert.Equal(("Elm Infants", "Primary"), (changed["name"]!.GetValue<string>(), changed["phase"]!.GetValue<string>()));
        }
        finally
        {
            await Db.DataSource.ExecuteAsync("UPDATE school SET phase = 'Primary' WHERE phase = 'Infant'; ALTER TABLE school VALIDATE CONSTRAINT school_phase_known");
        }
    }
}

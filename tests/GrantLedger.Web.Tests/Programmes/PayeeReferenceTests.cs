using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// A school's payee reference (its account in the funder's finance system) set or changed after enrolment by the
/// programme's admin; a payment file carries the reference in force when it is exported.
/// </summary>
public sealed class PayeeReferenceTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string ImportedUrn = "300001";

    private static string PayeeOf(long schoolId) => $"/api/v1/schools/{schoolId}/payee-reference";

    /// <summary>
    /// A school imported with no payee reference (no PayeeReference column), given £500 staff cover, whose claim of one
    /// day (£250) is approved; a payment run paying it built by one finance user and approved by another.
    /// </summary>
    private async Task<(ClaimWorld W, long SchoolId, ApiClient Maker, long RunId)> ApprovedRunPayingAnImportedSchoolAsync()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var csv = $"URN,EstablishmentName,PhaseOfEducation (name)\n{ImportedUrn},Imported Primary,Primary\n";
        var report = await w.S.Root.PostBytesAsync($"/api/v1/programmes/{w.S.ProgrammeId}/schools/import?areaId={w.S.AreaIds[0]}",
            Encoding.UTF8.GetBytes(csv), "text/csv");
        Assert.Equal(1, report.Expect(HttpStatusCode.OK).Json["imported"]!.GetValue<int>());
        var schoolId = await Db.ScalarAsync("SELECT id FROM school WHERE urn = $1", ImportedUrn);
        Assert.Null(await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", schoolId));
        (await w.S.Root.PostAsync($"{w.S.Year}/allocations", new
        {
            lines = new[] { new { schoolId, categoryId = w.Category("staff-cover"), amount = "500.00" } },
        })).Expect(HttpStatusCode.Created);

        var school = await Db.UserAsync("sbm-imported", Roles.SchoolBusinessManager, w.S.ProgrammeId, schoolId: schoolId);
        var claim = await w.NewClaimAsync(school);
        await w.AddStaffTimeAsync(claim, "STAFF-09", school: school, allowance: false);
        (await w.SubmitAsync(claim, school)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/approve", null)).Expect(HttpStatusCode.OK);

        var maker = await w.S.FinanceAsync(Db, "maker");
        var checker = await w.S.FinanceAsync(Db, "checker");
        var runId = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        (await checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        return (w, schoolId, maker, runId);
    }

    private static string[] DLine(string file) =>
        file.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("D,", StringComparison.Ordinal)).Split(',');

    private async Task<JsonArray> PayeeReferenceEventsAsync(ApiClient reader, long schoolId) =>
        (await reader.GetAsync($"/api/v1/audit/events?recordType=school&recordId={schoolId}&action=school.payee-reference-changed"))
        .Expect(HttpStatusCode.OK).Json["items"]!.AsArray();

    [Fact]
    public async Task Export_OfARunPayingAnImportedSchoolWithoutAPayeeReference_IsRefusedNamingIt_AndOnceItsAdminSetsIt_TheFileCarriesIt()
    {
        var (w, schoolId, maker, runId) = await ApprovedRunPayingAnImportedSchoolAsync();

        var problem = (await maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference", "payee-reference-missing").Json;
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains(ImportedUrn, detail);
        Assert.Contains("Imported Primary", detail);
        Assert.Contains("programme admin", detail);
        Assert.Contains($"PUT /api/v1/schools/{schoolId}/payee-reference", detail);
        var named = problem["schools"]!.AsArray().Single()!;
        Assert.Equal(schoolId, named["id"]!.GetValue<long>());
        Assert.Equal(ImportedUrn, named["urn"]!.GetValue<string>());
        Assert.Equal("approved", (await maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["state"]!.GetValue<string>());

        var school = (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = " SUP-300001 " })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("SUP-300001", school["payeeReference"]!.GetValue<string>());
        Assert.Equal("SUP-300001", (await w.Admin.GetAsync($"/api/v1/schools/{schoolId}")).Json["payeeReference"]!.GetValue<string>());

        var file = (await maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK).Body;
        var d = DLine(file);
        Assert.Equal(ImportedUrn, d[2]);
        Assert.Equal("SUP-300001", d[4]);
        Assert.Equal("250.00", d[5]);

        var events = await PayeeReferenceEventsAsync(w.Admin, schoolId);
        var e = Assert.Single(events)!;
        Assert.Equal(w.Admin.UserName, e["userName"]!.GetValue<string>());
        Assert.Equal("programme_admin", e["role"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - e["occurredAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(5));
        Assert.Null(e["details"]!["before"]);
        Assert.Equal("SUP-300001", e["details"]!["after"]!.GetValue<string>());
        Assert.Equal(ImportedUrn, e["details"]!["urn"]!.GetValue<string>());
        Assert.Equal([$"PR-{runId:000000}"], e["details"]!["unexportedRuns"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    /// <summary>A school joins a trust whose central account is paid: changed after the run was approved, the file has the new reference; an exported file is never rewritten.</summary>
    [Fact]
    public async Task Export_UsesTheReferenceInForceWhenTheFileIsWritten_AndALaterChangeLeavesAnExportedFileAsItLeft()
    {
        var (w, schoolId, maker, runId) = await ApprovedRunPayingAnImportedSchoolAsync();
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-300001" })).Expect(HttpStatusCode.OK);
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "TRUST-CENTRAL-7" })).Expect(HttpStatusCode.OK);

        var file = (await maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK).Body;
        Assert.Equal("TRUST-CENTRAL-7", DLine(file)[4]);

        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-AGAIN" })).Expect(HttpStatusCode.OK);
        Assert.Equal(file, (await maker.GetAsync($"/api/v1/payment-runs/{runId}/file")).Expect(HttpStatusCode.OK).Body);

        var events = await PayeeReferenceEventsAsync(w.Admin, schoolId);
        Assert.Equal(new (string?, string)[] { (null, "SUP-300001"), ("SUP-300001", "TRUST-CENTRAL-7"), ("TRUST-CENTRAL-7", "SUP-AGAIN") },
            events.Select(e => (e!["details"]!["before"]?.GetValue<string>(), e["details"]!["after"]!.GetValue<string>())));
        Assert.Empty(events[2]!["details"]!["unexportedRuns"]!.AsArray());
    }

    [Fact]
    public async Task SetPayeeReference_ByAnyoneButAnAdminOfTheSchoolsProgramme_Returns403_AnUnknownSchool404_AndChangesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var schoolId = w.S.Schools[0].Id;
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: w.S.Root);
        var refused = new[]
        {
            w.School, w.OtherSchool, w.Lead, await w.S.FinanceAsync(Db), await w.S.AuditorAsync(Db), await other.ProgrammeAdminAsync(Db),
        };
        foreach (var caller in refused)
            (await caller.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-1" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Admin.PutAsync(PayeeOf(999999), new { payeeReference = "SUP-1" })).ExpectProblem(HttpStatusCode.NotFound);
        (await w.Admin.PutAsync(PayeeOf(other.Schools[0].Id), new { payeeReference = "SUP-1" })).ExpectProblem(HttpStatusCode.Forbidden);

        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE payee_reference IS NOT NULL"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.payee-reference-changed'"));
        // The programme's own admin, and an admin of every programme, may.
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-1" })).Expect(HttpStatusCode.OK);
        (await w.S.Root.PutAsync(PayeeOf(other.Schools[0].Id), new { payeeReference = "SUP-2" })).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SetPayeeReference_WithABadValue_IsRefusedNamingPayeeReference_AndChangesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var schoolId = w.S.Schools[0].Id;
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-1" })).Expect(HttpStatusCode.OK);
        foreach (var bad in new object[] { new { payeeReference = new string('x', 51) }, new { payeeReference = "" }, new { payeeReference = "   " },
                     new { payeeReference = (string?)null }, new { }, new { payeeReference = "SUP\t1" }, new { payeeReference = "SUP-\u202E1" } })
            (await w.Admin.PutAsync(PayeeOf(schoolId), bad)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference");
        var wrongType = (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = 42 })).ExpectProblem(HttpStatusCode.BadRequest);
        Assert.Contains("payeeReference", wrongType.Body);

        Assert.Equal("SUP-1", await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", schoolId));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.payee-reference-changed'"));
        // Fifty characters is the most.
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = new string('x', 50) })).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// A supplier account in a finance system is typed on a keyboard: a non-breaking space, a fullwidth letter or a
    /// Unicode hyphen made a reference that looks like another school's (on the run's page, in the file) but is not
    /// the same to the uniqueness rule. Refused by the service, and by PostgreSQL for a script or a second service.
    /// </summary>
    [Fact]
    public async Task APayeeReferenceThatOnlyLooksLikeAnother_IsRefused_ByTheServiceAndTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (first, second) = (w.S.Schools[0].Id, w.S.Schools[1].Id);
        (await w.Admin.PutAsync(PayeeOf(first), new { payeeReference = "SUP-100101" })).Expect(HttpStatusCode.OK);
        foreach (var lookalike in new[] { "SUP\u00A0-100101", "\uFF33\uFF35\uFF30-100101", "SUP\u2010100101", "SUP\u2009-100101", "SÜP-100101" })
        {
            var refused = (await w.Admin.PutAsync(PayeeOf(second), new { payeeReference = lookalike }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference");
            Assert.Contains("keyboard", refused.Body);
        }
        Assert.Null(await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", second));
        var byScript = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("UPDATE school SET payee_reference = 'SUP\u00A0-100101' WHERE id = $1 RETURNING id", second));
        Assert.Equal("school_payee_reference_keyboard", byScript.ConstraintName);
        (await w.Admin.PutAsync(PayeeOf(second), new { payeeReference = "SUP/2026 (trust) #7" })).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// The payment file carries the reference to the finance system exactly; one a spreadsheet reads as a formula would be
    /// written with an apostrophe before it (against CSV injection), and matched to no supplier. Refused by the service and
    /// by PostgreSQL; the same characters later in a reference are kept as they are.
    /// </summary>
    [Fact]
    public async Task APayeeReferenceBeginningAsAFormula_IsRefused_ByTheServiceAndTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var school = w.S.Schools[0].Id;
        foreach (var formula in new[] { "=HYPERLINK(\"https://evil.example\")", "+44 SUP", "-100101", "@SUM(A1)" })
        {
            var refused = (await w.Admin.PutAsync(PayeeOf(school), new { payeeReference = formula }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference");
            Assert.Contains($"must not begin with {formula[0]}", refused.Body);
        }
        Assert.Null(await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", school));
        var byScript = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("UPDATE school SET payee_reference = '=1+1' WHERE id = $1 RETURNING id", school));
        Assert.Equal("school_payee_reference_no_formula", byScript.ConstraintName);
        (await w.Admin.PutAsync(PayeeOf(school), new { payeeReference = "SUP-100101 =+@" })).Expect(HttpStatusCode.OK);
    }

    /// <summary>One rule in one place: enrolling, importing and changing refuse the same values for the same reason.</summary>
    [Fact]
    public async Task PayeeReference_IsCheckedByOneRule_WhenEnrolling_Importing_AndChanging()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var tooLong = new string('x', 51);
        var enrol = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools",
                new { urn = "400001", name = "A", phase = "Primary", areaId = s.AreaIds[0], payeeReference = tooLong }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference").Json["errors"]!["payeeReference"]![0]!.GetValue<string>();
        var change = (await s.Root.PutAsync(PayeeOf(s.Schools[0].Id), new { payeeReference = tooLong }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference").Json["errors"]!["payeeReference"]![0]!.GetValue<string>();
        var csv = $"URN,EstablishmentName,PhaseOfEducation (name),PayeeReference\n400002,B,Primary,{tooLong}\n400003,C,Primary,\"SUP\u00073\"\n";
        var report = (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}",
            Encoding.UTF8.GetBytes(csv), "text/csv")).Expect(HttpStatusCode.OK).Json;
        var reasons = report["rejections"]!.AsArray().Select(r => r!["reason"]!.GetValue<string>()).ToList();
        Assert.Equal(change, enrol);
        Assert.Equal($"the payee reference {change}", reasons[0]);
        Assert.StartsWith("the payee reference must not contain", reasons[1]);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn IN ('400001', '400002', '400003')"));
    }

    /// <summary>
    /// The payment file pays a school under its name as kept; a name a spreadsheet reads as a formula would be written with
    /// an apostrophe before it, so the payee named to the bank would not be the school as entered. Refused, for the same
    /// reason, when enrolling, importing and correcting a name, and by PostgreSQL; the same characters later in a name are kept.
    /// </summary>
    [Fact]
    public async Task ASchoolNameBeginningAsAFormula_IsRefused_WhenEnrollingImportingAndChanging_AndByTheDatabase()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var enrol = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools",
                new { urn = "400001", name = "=HYPERLINK(\"https://evil.example\")", phase = "Primary", areaId = s.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "name").Json["errors"]!["name"]![0]!.GetValue<string>();
        Assert.StartsWith("must not begin with =", enrol);
        foreach (var formula in new[] { "+44 Primary", " -Hill Primary", "@SUM(A1)" })
            Assert.Contains($"must not begin with {formula.Trim()[0]}", (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{s.Schools[0].Id}", new { name = formula }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "name").Body);
        var csv = "URN,EstablishmentName,PhaseOfEducation (name)\n400002,=1+1,Primary\n400003,Hill =+@ Primary,Primary\n";
        var report = (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}",
            Encoding.UTF8.GetBytes(csv), "text/csv")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("the school's name (EstablishmentName) must not begin with =: a spreadsheet would read it as a formula, and the payment file could not carry it as it is",
            report["rejections"]!.AsArray().Single()!["reason"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn IN ('400001', '400002') OR name ~ '^[=+@-]'"));
        Assert.Equal("Hill =+@ Primary", await Db.TextAsync("SELECT name FROM school WHERE urn = '400003'"));
        var byScript = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("UPDATE school SET name = '-1' WHERE id = $1 RETURNING id", s.Schools[0].Id));
        Assert.Equal("school_name_no_formula", byScript.ConstraintName);
        (await s.Root.SendAsync(HttpMethod.Patch, $"/api/v1/schools/{s.Schools[0].Id}", new { name = "Hill Primary = Trust +1" })).Expect(HttpStatusCode.OK);
    }

    /// <summary>The import enrols new schools only: a row for an enrolled school changes nothing, and says how to change its reference.</summary>
    [Fact]
    public async Task Import_OfAnEnrolledSchoolWithAnotherPayeeReference_LeavesItAsItWas_AndPointsToTheEndpoint()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var school = s.Schools[0];
        (await s.Root.PutAsync(PayeeOf(school.Id), new { payeeReference = "SUP-OLD" })).Expect(HttpStatusCode.OK);
        var csv = $"URN,EstablishmentName,PhaseOfEducation (name),PayeeReference\n{school.Urn},Again,Primary,SUP-NEW\n";
        var report = (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}",
            Encoding.UTF8.GetBytes(csv), "text/csv")).Expect(HttpStatusCode.OK).Json;
        var reason = report["rejections"]!.AsArray().Single()!["reason"]!.GetValue<string>();
        Assert.Contains("already enrolled", reason);
        Assert.Contains($"PUT /api/v1/schools/{school.Id}/payee-reference", reason);
        Assert.Equal("SUP-OLD", await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", school.Id));
    }

    /// <summary>Two schools of one programme paid into one account: the reference is refused, compared as the finance system matches it.</summary>
    [Fact]
    public async Task SetPayeeReference_ThatAnotherSchoolOfTheProgrammeHas_CaseAndSpacesAside_Returns409NamingIt_AndChangesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        var (holder, other) = (s.Schools[0], s.Schools[1]);
        (await s.Root.PutAsync(PayeeOf(holder.Id), new { payeeReference = "SUP-100" })).Expect(HttpStatusCode.OK);

        foreach (var same in new[] { "SUP-100", " sup-100 ", "Sup -100", "S U P-1 0 0" })
        {
            var problem = (await s.Root.PutAsync(PayeeOf(other.Id), new { payeeReference = same }))
                .ExpectProblem(HttpStatusCode.Conflict, "payeeReference", "payee-reference-taken").Json;
            Assert.Equal("https://grantledger.example/rules/payee-reference-taken", problem["type"]!.GetValue<string>());
            Assert.Contains(holder.Urn, problem["detail"]!.GetValue<string>());
            Assert.Contains($"School {holder.Urn}", problem["detail"]!.GetValue<string>());
            Assert.Equal(holder.Id, problem["school"]!["id"]!.GetValue<long>());
            Assert.Equal("SUP-100", problem["school"]!["payeeReference"]!.GetValue<string>());
        }
        Assert.Null(await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", other.Id));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.payee-reference-changed'"));

        // its own school may write it otherwise; another reference is free; another programme's school may have the same
        (await s.Root.PutAsync(PayeeOf(holder.Id), new { payeeReference = "sup-100" })).Expect(HttpStatusCode.OK);
        (await s.Root.PutAsync(PayeeOf(other.Id), new { payeeReference = "SUP-1000" })).Expect(HttpStatusCode.OK);
        var second = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: s.Root);
        (await s.Root.PutAsync(PayeeOf(second.Schools[0].Id), new { payeeReference = "SUP-100" })).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EnrollingOrImporting_WithAPayeeReferenceTaken_IsRefused_NamingTheSchoolThatHasIt_OrTheLineThatGaveItFirst()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var holder = s.Schools[0];
        (await s.Root.PutAsync(PayeeOf(holder.Id), new { payeeReference = "SUP-100" })).Expect(HttpStatusCode.OK);

        var enrol = (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools",
                new { urn = "400001", name = "A", phase = "Primary", areaId = s.AreaIds[0], payeeReference = "sup -100" }))
            .ExpectProblem(HttpStatusCode.Conflict, "payeeReference", "payee-reference-taken").Json;
        Assert.Equal(holder.Id, enrol["school"]!["id"]!.GetValue<long>());

        var csv = "URN,EstablishmentName,PhaseOfEducation (name),PayeeReference\n" +
                  "400002,B,Primary,SUP-100\n400003,C,Primary,NEW-7\n400004,D,Primary,new - 7\n400005,E,Primary,NEW-8\n400006,F,Primary,\n400007,G,Primary,\n";
        var report = (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}",
            Encoding.UTF8.GetBytes(csv), "text/csv")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(4, report["imported"]!.GetValue<int>());
        var rejections = report["rejections"]!.AsArray();
        Assert.Equal([2, 4], rejections.Select(r => r!["line"]!.GetValue<int>()));
        Assert.Contains($"{holder.Urn} School {holder.Urn}", rejections[0]!["reason"]!.GetValue<string>());
        Assert.Contains("line 3", rejections[1]!["reason"]!.GetValue<string>());
        Assert.Equal(["400003", "400005", "400006", "400007"], await UrnsAsync("SELECT urn FROM school WHERE urn LIKE '4%' ORDER BY urn"));
    }

    private async Task<List<string>> UrnsAsync(string sql)
    {
        var urns = new List<string>();
        await using var cmd = Db.DataSource.CreateCommand(sql);
        await using var rows = await cmd.ExecuteReaderAsync();
        while (await rows.ReadAsync()) urns.Add(rows.GetString(0));
        return urns;
    }

    /// <summary>Set at the same moment for several schools, one gets the reference; the database's index decides between them.</summary>
    [Fact]
    public async Task SetPayeeReference_ForSeveralSchoolsAtOnce_OneGetsIt_TheOthersAre409_NeverA500()
    {
        var s = await Scenario.CreateAsync(Db, 1, 6);
        var answers = await Task.WhenAll(s.Schools.Select(school => s.Root.PutAsync(PayeeOf(school.Id), new { payeeReference = "SUP-ONE" })));
        Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        foreach (var refused in answers.Where(a => a.Status != HttpStatusCode.OK))
            refused.ExpectProblem(HttpStatusCode.Conflict, "payeeReference", "payee-reference-taken");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM school WHERE payee_reference = 'SUP-ONE'"));
    }

    [Fact]
    public async Task Database_RefusesASecondSchoolOfTheProgrammeWithTheSameReference_WhoeverWritesIt()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await Db.DataSource.ExecuteAsync("UPDATE school SET payee_reference = 'SUP-9' WHERE id = $1", s.Schools[0].Id);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.DataSource.ExecuteAsync("UPDATE school SET payee_reference = ' sup- 9' WHERE id = $1", s.Schools[1].Id));
        Assert.Equal("school_payee_reference_unique", refused.ConstraintName);
    }

    /// <summary>A database that holds shared references already: the migration stops, naming each, and picks no school.</summary>
    [Fact]
    public async Task Migration0065_OnADatabaseWhereSchoolsShareAReference_StopsNamingThem()
    {
        await using var data = await DatabaseBefore0065Async("payee_shared");
        await data.ExecuteAsync("""
            INSERT INTO programme (code, name, funder) VALUES ('dm', 'Difference Matters', 'Funder'), ('pins', 'PINS', 'Funder');
            INSERT INTO area (programme_id, code, name) SELECT id, 'a', 'A' FROM programme;
            INSERT INTO school (programme_id, urn, name, phase, area_id, payee_reference)
            SELECT a.programme_id, v.urn, v.name, 'Primary', a.id, v.ref
              FROM (VALUES ('dm', '100001', 'Alpha', 'SUP-1'), ('dm', '100002', 'Beta', 'sup -1'), ('dm', '100003', 'Gamma', 'SUP-3'),
                           ('pins', '100001', 'Alpha', 'SUP-1')) v(programme, urn, name, ref)
              JOIN programme p ON p.code = v.programme JOIN area a ON a.programme_id = p.id;
            """);

        var stopped = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!));
        Assert.Contains("share a payee reference", stopped.MessageText);
        Assert.Contains("programme dm", stopped.MessageText);
        Assert.Contains("URN 100001, Alpha) has 'SUP-1'", stopped.MessageText);
        Assert.Contains("URN 100002, Beta) has 'sup -1'", stopped.MessageText);
        Assert.DoesNotContain("Gamma", stopped.MessageText);
        Assert.DoesNotContain("programme pins", stopped.MessageText);
        Assert.Equal(0, await data.ScalarAsync("SELECT count(*) FROM schema_migration WHERE version = 65"));
        Assert.Equal(2, await data.ScalarAsync("SELECT count(*) FROM school WHERE payee_reference IS NOT NULL AND upper(replace(payee_reference, ' ', '')) = 'SUP-1' AND programme_id = 1"));

        await data.ExecuteAsync("UPDATE school SET payee_reference = 'SUP-2' WHERE urn = '100002' AND programme_id = 1");
        Assert.Contains("0065_payee_references_unique_and_kept_with_the_run.sql", await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!));
    }

    /// <summary>Runs exported before the migration: each payee keeps the reference its file carried, read from the file, not the school's now.</summary>
    [Fact]
    public async Task Migration0065_KeepsWithEachPayeeOfARunExportedBeforeIt_TheReferenceItsFileCarried()
    {
        await using var data = await DatabaseBefore0065Async("payee_backfill");
        var file = "record_type,run_reference,payee_urn,payee_name,payee_reference,amount,remittance_reference,remittance_claims,line_count\r\n" +
                   "D,PR-000001,100001,\"Alpha, \"\"North\"\"\",\"SUP,1 \"\"A\"\"\",10.00,PR000001-100001,CL-000001,\r\n" +
                   "D,PR-000001,100002,Beta,'=SUP2,20.00,PR000001-100002,CL-000002,\r\n" +
                   "D,PR-000001,100003,Gamma,-12.50,30.00,PR000001-100003,CL-000003 CL-000004,\r\n" +
                   "T,PR-000001,,,,60.00,,,3\r\n";
        await data.ExecuteAsync("""
            INSERT INTO programme (code, name, funder) VALUES ('dm', 'Difference Matters', 'Funder');
            INSERT INTO area (programme_id, code, name) SELECT id, 'a', 'A' FROM programme;
            INSERT INTO school (programme_id, urn, name, phase, area_id, payee_reference)
            SELECT 1, v.urn, v.name, 'Primary', 1, 'NOW-' || v.urn
              FROM (VALUES ('100001', 'Alpha, "North"'), ('100002', 'Beta'), ('100003', 'Gamma'), ('100004', 'Delta')) v(urn, name);
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id)
            VALUES ('maker', 'MAKER', 'Maker', 'funder_finance', 1), ('checker', 'CHECKER', 'Checker', 'funder_finance', 1);
            """);
        await data.ExecuteAsync("""
            INSERT INTO payment_run (programme_id, state, as_of, total_pence, payee_count, claim_count, built_by, approved_by, approved_at,
                                     exported_by, exported_at, file, file_sha256)
            VALUES (1, 'exported', '2026-10-20', 6000, 3, 4, 1, 2, now(), 1, now(), convert_to($1, 'UTF8'), sha256(convert_to($1, 'UTF8'))),
                   (1, 'approved', '2026-10-20', 4000, 1, 1, 1, 2, now(), NULL, NULL, NULL, NULL)
            """, file);
        await data.ExecuteAsync("""
            INSERT INTO payment_run_payee (payment_run_id, school_id, amount_pence, remittance_reference)
            VALUES (1, 1, 1000, 'PR000001-100001'), (1, 2, 2000, 'PR000001-100002'), (1, 3, 3000, 'PR000001-100003'), (2, 4, 4000, 'PR000002-100004');
            """);

        await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!);
        Assert.Equal("SUP,1 \"A\"|=SUP2|-12.50|(none)", await data.TextAsync(
            "SELECT string_agg(coalesce(payee_reference, '(none)'), '|' ORDER BY id) FROM payment_run_payee"));
        // and it stays as the file says; a run is not marked exported without its payees' references
        var changed = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            data.ExecuteAsync("UPDATE payment_run_payee SET payee_reference = 'NOW-100002' WHERE id = 2"));
        Assert.Contains("stays as the file says", changed.MessageText);
        var exported = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.ExecuteAsync("""
            UPDATE payment_run SET state = 'exported', exported_by = 1, exported_at = now(), file = '\x44', file_sha256 = sha256('\x44') WHERE id = 2
            """));
        Assert.Contains("before each payee's payee reference is recorded", exported.MessageText);
    }

    /// <summary>A database of its own, migrated up to 0064: what a database that runs the version before this one holds.</summary>
    private async Task<Npgsql.NpgsqlDataSource> DatabaseBefore0065Async(string name)
    {
        await Db.Cluster.CreateDatabaseIfMissingAsync(name);
        var data = GrantLedger.Web.Infrastructure.DatabaseEndpoint.CreateDataSource(Db.Cluster.ConnectionString(name));
        await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!,
            GrantLedger.Web.Infrastructure.Migrator.Embedded().Where(m => m.Version < 65).ToList());
        return data;
    }

    /// <summary>The run's page and API say which account its file paid, after the school's reference changes; the reference now beside it.</summary>
    [Fact]
    public async Task AnExportedRun_SaysTheReferenceItsFilePaid_AfterTheSchoolsReferenceChanges_WithTheSchoolsNowBesideIt()
    {
        var (w, schoolId, maker, runId) = await ApprovedRunPayingAnImportedSchoolAsync();
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "SUP-300001" })).Expect(HttpStatusCode.OK);
        var before = (await maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["payees"]![0]!;
        Assert.Equal(("SUP-300001", "SUP-300001"), (before["payeeReference"]!.GetValue<string>(), before["currentPayeeReference"]!.GetValue<string>()));
        (await maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        (await w.Admin.PutAsync(PayeeOf(schoolId), new { payeeReference = "TRUST-CENTRAL-7" })).Expect(HttpStatusCode.OK);

        var payee = (await maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["payees"]![0]!;
        Assert.Equal("SUP-300001", payee["payeeReference"]!.GetValue<string>());
        Assert.Equal("TRUST-CENTRAL-7", payee["currentPayeeReference"]!.GetValue<string>());
        Assert.Equal("SUP-300001", DLine((await maker.GetAsync($"/api/v1/payment-runs/{runId}/file")).Body)[4]);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, maker.UserName);
        var html = await page.GetStringAsync($"/finance/runs/{runId}");
        Assert.Contains("Payee reference in the file", html);
        var cell = System.Text.RegularExpressions.Regex.Match(html, "<td class=\"govuk-table__cell gl-payee-reference\">(.*?)</td>").Groups[1].Value;
        Assert.StartsWith("SUP-300001", cell);
        Assert.Contains("The school's is now TRUST-CENTRAL-7", cell);

        // what the file paid is kept with the run's line, and stays so whoever writes
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.DataSource.ExecuteAsync("UPDATE payment_run_payee SET payee_reference = 'TRUST-CENTRAL-7' WHERE payment_run_id = $1", runId));
        Assert.Contains("stays as the file says", refused.MessageText);
    }
}

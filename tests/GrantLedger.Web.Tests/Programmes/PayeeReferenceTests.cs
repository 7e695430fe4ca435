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
        Assert.Equal($"PayeeReference {change}", reasons[0]);
        Assert.StartsWith("PayeeReference must not contain", reasons[1]);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn IN ('400001', '400002', '400003')"));
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
}

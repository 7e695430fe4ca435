using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Programmes;

public sealed class ImportSchoolsTests(DatabaseFixture db) : DatabaseTest(db)
{
    // The DfE "Get Information About Schools" layout: many columns, in its own order; we read four.
    private const string Header = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),Postcode\n";

    private static async Task<Answer> ImportAsync(ApiClient client, long programmeId, string csv, string query = "")
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await client.Http.PostAsync($"/api/v1/programmes/{programmeId}/schools/import{query}", content);
        return await Answer.ReadAsync(response);
    }

    [Fact]
    public async Task Import_GoodAndBadRows_ImportsTheGoodAndReportsEachBadRowByLine()
    {
        var s = await Scenario.CreateAsync(Db, 2, 0);
        var csv = Header +
                  "200001,202,Area 1,1001,\"Oak, Primary\",Community school,Primary,N1 1AA\n" +   // line 2: good (comma in a quoted name)
                  "20002,202,Area 1,1002,Short URN,Community school,Primary,N1 1AB\n" +          // line 3: bad URN
                  "200003,203,Nowhere,1003,Lost School,Community school,Primary,N1 1AC\n" +       // line 4: unknown area
                  "200001,202,Area 1,1001,Twice,Community school,Primary,N1 1AA\n" +             // line 5: duplicate URN
                  "200005,204,area-2,1005,Elm Primary,Academy,Primary,N1 1AD\n" +                // line 6: good (area by code)
                  "200006,204,Area 2,1006,,Academy,Primary,N1 1AE\n";                             // line 7: no name
        var report = (await ImportAsync(s.Root, s.ProgrammeId, csv)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, report["imported"]!.GetValue<int>());
        var rejections = report["rejections"]!.AsArray().Select(r => (Line: r!["line"]!.GetValue<int>(), Reason: r["reason"]!.GetValue<string>())).ToList();
        Assert.Equal([3, 4, 5, 7], rejections.Select(r => r.Line));
        Assert.Contains("six digits", rejections[0].Reason);
        Assert.Contains("Nowhere", rejections[1].Reason);
        Assert.Contains("more than once", rejections[2].Reason);
        var names = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/schools")).Expect(HttpStatusCode.OK).Json.AsArray()
            .Select(x => x!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Oak, Primary", "Elm Primary"], names);
    }

    /// <summary>"Get Information About Schools" writes its CSV in Windows-1252: an accented name is one byte a letter.</summary>
    [Fact]
    public async Task Import_OfAWindows1252File_KeepsTheAccentsInSchoolNames()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var csv = Header + "299101,202,Area 1,1001,St Th\u00e9r\u00e8se\u2019s Catholic Primary School,Voluntary aided school,Primary,N1 1AA\n";
        var report = await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import", ApiClient.Windows1252(csv), "text/csv");
        Assert.Equal(1, report.Expect(HttpStatusCode.OK).Json["imported"]!.GetValue<int>());
        Assert.Equal("St Thérèse’s Catholic Primary School", await Db.TextAsync("SELECT name FROM school WHERE urn = '299101'"));
    }

    [Fact]
    public async Task Import_WithoutRequiredColumns_Returns422AndImportsNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        (await ImportAsync(s.Root, s.ProgrammeId, "URN,Name\n200001,Oak\n")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school"));
    }

    [Fact]
    public async Task Import_WithAreaIdForEveryRow_PutsAllSchoolsInThatArea_AndSkipsOnesAlreadyEnrolled()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        var csv = "URN,EstablishmentName,PhaseOfEducation (name)\n300001,A,Primary\n300002,B,Primary\n" + $"{s.Schools[0].Urn},Again,Primary\n";
        var report = (await ImportAsync(s.Root, s.ProgrammeId, csv, $"?areaId={s.AreaIds[1]}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, report["imported"]!.GetValue<int>());
        Assert.Contains("already enrolled", report["rejections"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM school WHERE area_id = $1", s.AreaIds[1]));
    }

    [Fact]
    public async Task Import_AsMultipartFile_Works_AndSchoolUsersCannotImport()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n300001,A,Primary,Area 1\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "extract.csv");
        using var response = await s.Root.Http.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import", form);
        Assert.Equal(1, (await Answer.ReadAsync(response)).Expect(HttpStatusCode.OK).Json["imported"]!.GetValue<int>());
        var school = await s.SchoolUserAsync(Db);
        (await ImportAsync(school, s.ProgrammeId, Header)).ExpectProblem(HttpStatusCode.Forbidden);
    }
    /// <summary>A name with a comma, unquoted, was read as two fields: the school enrolled as 'Oak', its phase 'Community school'.</summary>
    [Fact]
    public async Task Import_ARowWithMoreOrFewerFieldsThanTheHeader_IsRejectedByItsLine_SayingHowMany()
    {
        var s = await Scenario.CreateAsync(Db, 2, 0);
        var csv = Header +
                  "200001,202,Area 1,1001,Oak, Primary,Community school,Primary,N1 1AA\n" +  // line 2: nine fields
                  "200002,202,Area 1,1002,Ash Primary\n" +                                  // line 3: five
                  "200003,202,Area 1,1003,Elm Primary,Community school,Primary,N1 1AC\n";   // line 4: good
        var report = (await ImportAsync(s.Root, s.ProgrammeId, csv)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(1, report["imported"]!.GetValue<int>());
        var rejections = report["rejections"]!.AsArray().Select(r => (Line: r!["line"]!.GetValue<int>(), Reason: r["reason"]!.GetValue<string>())).ToList();
        Assert.Equal([2, 3], rejections.Select(r => r.Line));
        Assert.Contains("has 9 fields but the header has 8 columns", rejections[0].Reason);
        Assert.Contains("has 5 fields but the header has 8 columns", rejections[1].Reason);
    }

    /// <summary>
    /// A rejected school's reason reads as the claim-line import's do, naming the field in words and its column:
    /// "enter the school's name (EstablishmentName)", "the URN must be six digits". They read "EstablishmentName is required".
    /// </summary>
    [Fact]
    public async Task ARejectedRowsReason_ReadsAsASentence_NamingItsField()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var csv = Header +
                  "20002,202,Area 1,1002,Short URN,Community school,Primary,N1 1AB\n" +
                  "200006,204,Area 1,1006,,Academy,Primary,N1 1AE\n";
        var report = (await ImportAsync(s.Root, s.ProgrammeId, csv)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal([(2, "the URN must be six digits"), (3, "enter the school's name (EstablishmentName)")],
            report["rejections"]!.AsArray().Select(r => (r!["line"]!.GetValue<int>(), r["reason"]!.GetValue<string>())));
    }
}

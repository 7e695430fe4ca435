using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// A programme admin sets up the programme's schools in the browser (/admin/schools, /admin/schools/new, /admin/schools/import,
/// /admin/schools/{id}) and its years, areas and categories (/admin/programme): the same use cases as the API's, checked
/// through the API and the database.
/// </summary>
public sealed class SchoolPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string Header = "URN,LA (code),LA (name),EstablishmentName,PhaseOfEducation (name)\n";

    private static Task<HttpClient> PageAsync(DatabaseFixture db, string userName) => PageFormFuzzTests.SignedInPageAsync(db.Factory, userName);

    private static List<string[]> SchoolRows(string html) => Rows(Table(html, "schools")).Select(Cells).ToList();

    /// <summary>A form posted as a browser does (a file too, when given), with the token of the page at <paramref name="formAt"/>.</summary>
    private static async Task<HttpResponseMessage> PostAsync(HttpClient page, string url, Dictionary<string, string> fields, string? formAt = null,
        string? csv = null)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(formAt ?? url));
        if (csv is null) return await page.PostAsync(url, new FormUrlEncodedContent(fields));
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "schools.csv");
        return await page.PostAsync(url, form);
    }

    private static async Task<string> AfterRedirectAsync(HttpClient page, HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return await Read(page, answer.Headers.Location!.OriginalString);
    }

    private async Task<long> SchoolsAsync() => await Db.ScalarAsync("SELECT count(*) FROM school");

    [Fact]
    public async Task List_ShowsExactlyTheProgrammesSchools_WithAreaAndPayeeReference_NotSetFlagged_AndFiltersNarrowIt()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        (await s.Root.PutAsync($"/api/v1/schools/{s.Schools[0].Id}/payee-reference", new { payeeReference = "SUP-0" })).Expect(HttpStatusCode.OK);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);

        var html = await Read(page, "/admin/schools");
        var rows = SchoolRows(html);
        Assert.Equal(s.Schools.Select(x => x.Urn), rows.Select(r => r[0]));
        Assert.Equal(["SUP-0", "Not set", "Not set", "Not set"], rows.Select(r => r[3]));
        Assert.Equal(["Area 1", "Area 1", "Area 2", "Area 2"], rows.Select(r => r[2]));
        Assert.Equal($"School {s.Schools[1].Urn}", rows[1][1]);
        Assert.Contains($"href=\"/admin/schools/{s.Schools[1].Id}\"", html);
        Assert.DoesNotContain(other.Schools[0].Urn, html);
        Assert.Contains("Schools 1 to 4 of 4", html);
        Assert.Contains("3 schools have no payee reference", html);

        Assert.Equal([s.Schools[2].Urn, s.Schools[3].Urn], SchoolRows(await Read(page, $"/admin/schools?areaId={s.AreaIds[1]}")).Select(r => r[0]));
        Assert.Equal([s.Schools[3].Urn], SchoolRows(await Read(page, $"/admin/schools?q={s.Schools[3].Urn}")).Select(r => r[0]));
        Assert.Equal([s.Schools[1].Urn], SchoolRows(await Read(page, $"/admin/schools?q=OOL+{s.Schools[1].Urn}")).Select(r => r[0]));
        Assert.Equal(s.Schools.Skip(1).Select(x => x.Urn), SchoolRows(await Read(page, "/admin/schools?missing=1")).Select(r => r[0]));
        var elsewhere = await Read(page, $"/admin/schools?areaId={other.AreaIds[0]}");
        Assert.Equal("areaId", Assert.Single(PageForms.Problems(elsewhere)).Field);
        Assert.DoesNotContain("id=\"schools\"", elsewhere);

        using var otherSchool = await page.GetAsync($"/admin/schools/{other.Schools[0].Id}");
        Assert.Equal("/forbidden?missing=1", otherSchool.Headers.Location?.OriginalString);
        using var missing = await page.GetAsync("/forbidden?missing=1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task List_OfManySchools_IsPagedByAHundred_SayingWhichOfHowMany()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var csv = new StringBuilder(Header);
        for (var i = 1; i <= 205; i++) csv.Append($"{300000 + i},202,Area 1,School {i},Primary\n");
        (await s.Root.PostRawAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import", csv.ToString(), "text/csv")).Expect(HttpStatusCode.OK);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);

        var first = await Read(page, "/admin/schools");
        Assert.Contains("Schools 1 to 100 of 205", first);
        Assert.Equal(100, SchoolRows(first).Count);
        Assert.Contains("href=\"/admin/schools?page=2\"", first);
        var last = await Read(page, "/admin/schools?page=3");
        Assert.Contains("Schools 201 to 205 of 205", last);
        Assert.Equal(["300201", "300202", "300203", "300204", "300205"], SchoolRows(last).Select(r => r[0]));
        Assert.Contains("Schools 1 to 6 of 6", await Read(page, "/admin/schools?q=3002&page=2")); // 300200 … 300205: a page past the last is the last
    }

    [Fact]
    public async Task Add_EnrolsTheSchoolInTheAreaChosen_AsTheApiThenShowsIt()
    {
        var s = await Scenario.CreateAsync(Db, 2, 0);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);

        using var added = await PostAsync(page, "/admin/schools/new", new Dictionary<string, string>
        {
            ["urn"] = "412345", ["name"] = "Birch Primary", ["phase"] = "Primary", ["localAuthority"] = "Camden",
            ["areaId"] = s.AreaIds[1].ToString(), ["payeeReference"] = " SUP-412 ",
        });
        var shown = await AfterRedirectAsync(page, added);
        var id = long.Parse(added.Headers.Location!.OriginalString.Split('/').Last());
        Assert.Contains("412345 Birch Primary was enrolled in the programme", shown);
        var school = (await admin.GetAsync($"/api/v1/schools/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("412345", school["urn"]!.GetValue<string>());
        Assert.Equal(s.AreaIds[1], school["areaId"]!.GetValue<long>());
        Assert.Equal("SUP-412", school["payeeReference"]!.GetValue<string>());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.enrolled' AND record_id = $1", id));
    }

    [Fact]
    public async Task Add_WithATakenUrnOrPayeeReference_OrABadUrn_NamesTheFieldAndTheOtherSchool_KeepsWhatWasTyped_AndEnrolsNobody()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        (await s.Root.PutAsync($"/api/v1/schools/{s.Schools[1].Id}/payee-reference", new { payeeReference = "SUP-TAKEN" })).Expect(HttpStatusCode.OK);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var before = await SchoolsAsync();
        Dictionary<string, string> Form(string urn, string payee) => new()
        {
            ["urn"] = urn, ["name"] = "Hazel Primary", ["phase"] = "Primary", ["areaId"] = s.AreaIds[0].ToString(), ["payeeReference"] = payee,
        };

        var (problems, html) = await PageForms.PostAsync(page, "/admin/schools/new", Form(s.Schools[0].Urn, ""));
        var (field, text) = Assert.Single(problems);
        Assert.Equal("urn", field);
        Assert.Contains($"URN {s.Schools[0].Urn} is already in this programme", text);
        Assert.Contains("id=\"urn-error\"", html);
        Assert.Contains("value=\"Hazel Primary\"", html);

        (problems, html) = await PageForms.PostAsync(page, "/admin/schools/new", Form("499999", "sup-taken "));
        (field, text) = Assert.Single(problems);
        Assert.Equal("payeeReference", field);
        Assert.Contains($"{s.Schools[1].Urn} School {s.Schools[1].Urn} (school {s.Schools[1].Id}) has it already, as 'SUP-TAKEN'", text);
        Assert.Contains("id=\"payeeReference-error\"", html);
        Assert.Contains("value=\"sup-taken \"", html);

        (problems, _) = await PageForms.PostAsync(page, "/admin/schools/new", Form("12345", ""));
        Assert.Equal("urn", Assert.Single(problems).Field);
        (problems, html) = await PageForms.PostAsync(page, "/admin/schools/new", new Dictionary<string, string> { ["urn"] = "", ["areaId"] = "" });
        Assert.Equal(["urn", "name", "phase", "areaId"], problems.Select(p => p.Field));
        Assert.Contains("Enter the school's URN", html);
        Assert.Contains("Select the area", html);
        Assert.Equal(before, await SchoolsAsync());
    }

    [Fact]
    public async Task Import_OfAGoodFile_EnrolsEveryRowInTheAreaChosen_AndSaysHowManyRowsWereAlreadyEnrolled()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var csv = Header + "420001,202,Camden,\"Ash, Primary\",Primary\n" + $"{s.Schools[0].Urn},202,Camden,Again,Primary\n" + "420002,202,Camden,Beech Primary,Primary\n";

        using var imported = await PostAsync(page, "/admin/schools/import", new() { ["areaId"] = s.AreaIds[1].ToString() }, csv: csv);
        Assert.Equal("/admin/schools", imported.Headers.Location?.OriginalString);
        Assert.Contains("2 schools were enrolled; 1 row was for a school already enrolled, which changed nothing", await AfterRedirectAsync(page, imported));
        var inArea = (await admin.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/schools?areaId={s.AreaIds[1]}")).Expect(HttpStatusCode.OK).Json.AsArray()
            .Select(x => (x!["urn"]!.GetValue<string>(), x["name"]!.GetValue<string>())).ToList();
        Assert.Equal([(s.Schools[1].Urn, $"School {s.Schools[1].Urn}"), ("420001", "Ash, Primary"), ("420002", "Beech Primary")], inArea);
        Assert.Equal($"School {s.Schools[0].Urn}", await Db.TextAsync("SELECT name FROM school WHERE id = $1", s.Schools[0].Id));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.imported'"));
    }

    [Fact]
    public async Task Import_OfAFileWithOneBadRow_EnrolsNone_AndNamesTheRowsLineAndColumn_AndAMissingColumnIsNamed()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var csv = Header + "430001,202,Area 1,Oak Primary,Primary\n" + "43002,202,Area 1,Short URN,Primary\n" + "430003,202,Nowhere,Lost Primary,Primary\n";

        using var refused = await PostAsync(page, "/admin/schools/import", new() { ["areaId"] = "" }, csv: csv);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var problems = PageForms.Problems(WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.All(problems, p => Assert.Equal("file", p.Field));
        Assert.Equal(["The file is not imported: 2 rows have problems, listed below. No school was enrolled: put them right and import the whole file again",
                      "Line 3 (URN 43002): the URN must be six digits", "Line 4 (URN 430003): no area of this programme is called 'Nowhere'"],
            problems.Select(p => p.Text));
        Assert.Equal(0, await SchoolsAsync());

        using var noColumn = await PostAsync(page, "/admin/schools/import", new() { ["areaId"] = s.AreaIds[0].ToString() }, csv: "URN,Name\n430001,Oak\n");
        var (field, text) = Assert.Single(PageForms.Problems(WebUtility.HtmlDecode(await noColumn.Content.ReadAsStringAsync())));
        Assert.Equal("file", field);
        Assert.StartsWith("The file is missing the column(s) EstablishmentName, PhaseOfEducation (name)", text);
        var (problems2, _) = await PageForms.PostAsync(page, "/admin/schools/import", new() { ["areaId"] = "" }, multipart: true);
        Assert.Equal(("file", "Select a CSV file to import"), Assert.Single(problems2));
        Assert.Equal(0, await SchoolsAsync());
    }

    /// <summary>The form's one-time key: a refused file leaves it unspent, so the file put right is imported; sent again, nothing more.</summary>
    [Fact]
    public async Task Import_RefusedThenPutRight_EnrolsOnce_AndTheSameFormSentAgainSaysItWasAlreadyDone()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var key = System.Text.RegularExpressions.Regex.Match(await Read(page, "/admin/schools/import"), "name=\"formKey\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(key);
        Dictionary<string, string> Form() => new() { ["formKey"] = key, ["areaId"] = "" };

        using (var refused = await PostAsync(page, "/admin/schools/import", Form(), csv: Header + "44000,202,Area 1,Oak Primary,Primary\n"))
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(0, await SchoolsAsync());
        using (var imported = await PostAsync(page, "/admin/schools/import", Form(), csv: Header + "440001,202,Area 1,Oak Primary,Primary\n"))
            Assert.Contains("1 school was enrolled", await AfterRedirectAsync(page, imported));
        using (var again = await PostAsync(page, "/admin/schools/import", Form(), csv: Header + "440002,202,Area 1,Elm Primary,Primary\n"))
            Assert.Contains("This was already done: the schools were imported.", await AfterRedirectAsync(page, again));
        Assert.Equal(1, await SchoolsAsync());
    }

    [Fact]
    public async Task PayeeReference_ChangedOnTheSchoolsPage_IsWhatTheApiShows_TheTrailHasOldAndNew_AndATakenOneIsNamedBesideIt()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        (await s.Root.PutAsync($"/api/v1/schools/{s.Schools[0].Id}/payee-reference", new { payeeReference = "SUP-OLD" })).Expect(HttpStatusCode.OK);
        (await s.Root.PutAsync($"/api/v1/schools/{s.Schools[1].Id}/payee-reference", new { payeeReference = "SUP-OTHER" })).Expect(HttpStatusCode.OK);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var url = $"/admin/schools/{s.Schools[0].Id}";
        Assert.Contains("value=\"SUP-OLD\"", await Read(page, url));

        using var changed = await PostAsync(page, url, new() { ["payeeReference"] = "TRUST-7" });
        Assert.Contains("The payee reference was changed from SUP-OLD to TRUST-7", await AfterRedirectAsync(page, changed));
        Assert.Equal("TRUST-7", (await admin.GetAsync($"/api/v1/schools/{s.Schools[0].Id}")).Expect(HttpStatusCode.OK).Json["payeeReference"]!.GetValue<string>());
        var e = Assert.Single((await admin.GetAsync($"/api/v1/audit/events?recordType=school&recordId={s.Schools[0].Id}&action=school.payee-reference-changed"))
            .Expect(HttpStatusCode.OK).Json["items"]!.AsArray(), x => x!["userName"]!.GetValue<string>() == admin.UserName)!;
        Assert.Equal("SUP-OLD", e["details"]!["before"]!.GetValue<string>());
        Assert.Equal("TRUST-7", e["details"]!["after"]!.GetValue<string>());

        var (problems, html) = await PageForms.PostAsync(page, url, new() { ["payeeReference"] = "sup-other" });
        var (field, text) = Assert.Single(problems);
        Assert.Equal("payeeReference", field);
        Assert.Contains($"{s.Schools[1].Urn} School {s.Schools[1].Urn} (school {s.Schools[1].Id}) has it already, as 'SUP-OTHER'", text);
        Assert.Contains("value=\"sup-other\"", html);
        Assert.Equal("TRUST-7", await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", s.Schools[0].Id));
        (problems, _) = await PageForms.PostAsync(page, url, new() { ["payeeReference"] = "  " });
        Assert.Equal("payeeReference", Assert.Single(problems).Field);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.payee-reference-changed' AND record_id = $1", s.Schools[0].Id));
    }

    [Fact]
    public async Task SetUp_AddsAnAreaAndACategory_AsTheApiThenShowsThem_AndATakenCodeIsNamedBesideItsField()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        const string url = "/admin/programme";

        using (var area = await PostAsync(page, url + "?handler=Area", new() { ["areaName"] = "Hackney", ["areaCode"] = "hackney" }, formAt: url))
            await AfterRedirectAsync(page, area);
        using (var category = await PostAsync(page, url + "?handler=Category", new() { ["categoryName"] = "Parent forums", ["categoryCode"] = "parent-forums", ["categoryKind"] = "programme-pot" }, formAt: url))
            await AfterRedirectAsync(page, category);

        Assert.Contains((await admin.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/areas")).Expect(HttpStatusCode.OK).Json.AsArray(), a => a!["code"]!.GetValue<string>() == "hackney");
        Assert.Contains((await admin.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/categories")).Expect(HttpStatusCode.OK).Json.AsArray(),
            c => c!["code"]!.GetValue<string>() == "parent-forums" && c["kind"]!.GetValue<string>() == "programme-pot" && c["unit"]!.GetValue<string>() == "GBP");
        var html = await Read(page, url);
        Assert.Equal(["Autumn 1", "1 Sep 2026", "31 Oct 2026", "Open"], Cells(Rows(Table(html, $"year-{s.YearCode}")).First()));
        Assert.Contains("href=\"/admin/programme/years/new\" id=\"add-year\"", html);

        var before = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        var (problems, shown) = await PageForms.PostAsync(page, url + "?handler=Area", new() { ["areaName"] = "Other", ["areaCode"] = "hackney" }, formAt: url);
        Assert.Equal("areaCode", Assert.Single(problems).Field);
        Assert.Contains("value=\"Other\"", shown);
        (problems, _) = await PageForms.PostAsync(page, url + "?handler=Category", new() { ["categoryName"] = "X", ["categoryCode"] = "Bad Code", ["categoryKind"] = "" }, formAt: url);
        Assert.Equal(["categoryCode", "categoryKind"], problems.Select(p => p.Field));
        Assert.Equal(before, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
    }

    [Fact]
    public async Task EveryAdminPage_IsRefusedToEveryOtherRole_AndAnotherProgrammesAdminCannotSeeThisOnesSchool()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        var users = new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) };
        var urls = new[] { "/admin/schools", "/admin/schools/new", "/admin/schools/import", $"/admin/schools/{s.Schools[0].Id}", "/admin/programme",
            "/admin/programme/years/new" };
        foreach (var user in users)
        {
            using var page = await PageAsync(Db, user.UserName);
            foreach (var url in urls)
            {
                using var answer = await page.GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
                var to = answer.Headers.Location!.IsAbsoluteUri ? answer.Headers.Location.PathAndQuery : answer.Headers.Location.OriginalString;
                Assert.StartsWith("/forbidden", to);
                using var refused = await page.GetAsync(to);
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }
        }
        var otherAdmin = await other.ProgrammeAdminAsync(Db);
        using var elsewhere = await PageAsync(Db, otherAdmin.UserName);
        using (var school = await elsewhere.GetAsync($"/admin/schools/{s.Schools[0].Id}"))
            Assert.Equal("/forbidden?missing=1", school.Headers.Location?.OriginalString);
        var before = await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", s.Schools[0].Id);
        using (var post = await PostAsync(elsewhere, $"/admin/schools/{s.Schools[0].Id}", new() { ["payeeReference"] = "STOLEN" }, formAt: "/admin/schools"))
            Assert.Equal("/forbidden?missing=1", post.Headers.Location?.OriginalString);
        Assert.Equal(before, await Db.TextAsync("SELECT payee_reference FROM school WHERE id = $1", s.Schools[0].Id));
        Assert.DoesNotContain(s.Schools[0].Urn, await Read(elsewhere, "/admin/schools"));
        Assert.Contains("href=\"/admin/schools\"", await Read(elsewhere, "/admin/schools"));
    }
}

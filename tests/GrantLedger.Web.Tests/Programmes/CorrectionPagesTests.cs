using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// A programme admin corrects a school's name or phase (/admin/schools/{id}/change) and renames an area or a category
/// (/admin/programme/areas/{id}, /admin/programme/categories/{id}) in the browser: the API's use cases, checked through
/// the database, the pages that show the names and the audit trail.
/// </summary>
public sealed class CorrectionPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static Task<HttpClient> PageAsync(DatabaseFixture db, string userName) => PageFormFuzzTests.SignedInPageAsync(db.Factory, userName);

    /// <summary>The form posted as a browser does, with the page's token and its one-time key.</summary>
    private static async Task<HttpResponseMessage> PostAsync(HttpClient page, string url, Dictionary<string, string> fields)
    {
        using var got = await page.GetAsync(url);
        Assert.True(got.IsSuccessStatusCode, $"{url}: {got.StatusCode}\n{ServerErrors.Recent()}");
        var html = await got.Content.ReadAsStringAsync();
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(html);
        fields["formKey"] = System.Text.RegularExpressions.Regex.Match(html, "name=\"formKey\" value=\"([^\"]+)\"").Groups[1].Value;
        return await page.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    private static async Task<string> AfterRedirectAsync(HttpClient page, HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return await Read(page, answer.Headers.Location!.OriginalString);
    }

    private Task<long> EventsAsync() => Db.ScalarAsync("SELECT count(*) FROM audit_event");

    [Fact]
    public async Task ASchoolRenamedOnItsPage_IsSavedOnce_Audited_AndShownByItsPageTheSchoolsListAndItsStatement()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var school = s.Schools[0];
        Assert.Contains($"href=\"/admin/schools/{school.Id}/change\"", await Read(page, $"/admin/schools/{school.Id}"));
        var url = $"/admin/schools/{school.Id}/change";
        var form = await Read(page, url);
        Assert.Contains($"value=\"School {school.Urn}\"", form);
        Assert.Contains("value=\"Primary\"", form);

        var fields = new Dictionary<string, string> { ["name"] = "Hill Trust Primary Academy", ["phase"] = "All-through" };
        using var saved = await PostAsync(page, url, fields);
        var shown = await AfterRedirectAsync(page, saved);
        Assert.Contains($"The school's name was changed from School {school.Urn} to Hill Trust Primary Academy, and its phase from Primary to All-through", shown);
        Assert.Contains("<h1 class=\"govuk-heading-l\">Hill Trust Primary Academy</h1>", shown);
        Assert.Equal("Hill Trust Primary Academy|All-through", await Db.TextAsync("SELECT name || '|' || phase FROM school WHERE id = $1", school.Id));

        // the same form sent again (a double click, back and submit) changes nothing more
        var events = await EventsAsync();
        fields.Remove(PageFormFuzzTests.Token);
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(url));
        using (var again = await page.PostAsync(url, new FormUrlEncodedContent(fields)))
            Assert.Contains("This was already done", await AfterRedirectAsync(page, again));
        Assert.Equal(events, await EventsAsync());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'school.changed'"));

        // the school's page links its events in the audit trail, where the change is with its old and new values
        Assert.Contains($"href=\"/ledger/trail?recordType=school&recordId={school.Id}\"", await Read(page, $"/admin/schools/{school.Id}"));
        var trail = Rows(Table(await Read(page, $"/ledger/trail?recordType=school&recordId={school.Id}"), "events")).Select(Cells).ToList();
        Assert.Equal(2, trail.Count); // enrolled, then changed
        var changed = Assert.Single(trail, r => r.Any(c => c.Contains("school.changed")));
        Assert.Contains(changed, c => c.Contains($"School {school.Urn}") && c.Contains("Hill Trust Primary Academy") && c.Contains("All-through"));

        var list = Rows(Table(await Read(page, "/admin/schools"), "schools")).Select(Cells).ToList();
        Assert.Equal("Hill Trust Primary Academy", list.Single(r => r[0] == school.Urn)[1]);
        var businessManager = await s.SchoolUserAsync(Db);
        using var schoolPage = await PageAsync(Db, businessManager.UserName);
        Assert.Contains("Hill Trust Primary Academy, 2026-27", await Read(schoolPage, "/school/statement"));
        Assert.Equal("Hill Trust Primary Academy: staff-cover available 2026-27",
            (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task ASchoolsNameOrPhaseRefused_IsNamedOnItsField_KeepsWhatWasTyped_AndWritesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var url = $"/admin/schools/{s.Schools[0].Id}/change";
        var events = await EventsAsync();
        foreach (var (fields, expected) in new (Dictionary<string, string>, string[])[]
                 {
                     (new() { ["name"] = "", ["phase"] = "Primary" }, ["name"]),
                     (new() { ["name"] = "Hill \u202EyramirP", ["phase"] = "Primary" }, ["name"]),
                     (new() { ["name"] = "Hill\u0007", ["phase"] = "" }, ["name", "phase"]),
                     (new() { ["name"] = new string('x', 201), ["phase"] = new string('p', 101) }, ["name", "phase"]),
                 })
        {
            var (problems, html) = await PageForms.PostAsync(page, url, fields);
            Assert.Equal(expected, problems.Select(p => p.Field));
            if (fields["name"].Length > 0) Assert.Contains($"value=\"{fields["name"]}\"", html);
        }
        Assert.Equal($"School {s.Schools[0].Urn}|Primary", await Db.TextAsync("SELECT name || '|' || phase FROM school WHERE id = $1", s.Schools[0].Id));
        Assert.Equal(events, await EventsAsync());
    }

    [Fact]
    public async Task AnAreaAndACategoryRenamedFromTheSetUpPage_AreSavedAndShown_AndATakenOrBadNameIsNamedOnItsField()
    {
        var s = await Scenario.CreateAsync(Db, 2, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(Db, admin.UserName);
        var setUp = await Read(page, "/admin/programme");
        var (areaUrl, categoryUrl) = ($"/admin/programme/areas/{s.AreaIds[0]}", $"/admin/programme/categories/{s.Categories["staff-cover"]}");
        Assert.Contains($"href=\"{areaUrl}\"", setUp);
        Assert.Contains($"href=\"{categoryUrl}\"", setUp);

        using (var area = await PostAsync(page, areaUrl, new() { ["name"] = "North Camden" }))
            Assert.Contains("The area Area 1 is now called North Camden", await AfterRedirectAsync(page, area));
        using (var category = await PostAsync(page, categoryUrl, new() { ["name"] = "Staff cover" }))
            Assert.Contains("The budget category staff-cover is now called Staff cover", await AfterRedirectAsync(page, category));
        var html = await Read(page, "/admin/programme");
        Assert.Equal(["North Camden", "area-1", "Change name of North Camden"], Cells(Rows(Table(html, "area-list")).Last()));
        Assert.Equal("Staff cover", Cells(Rows(Table(html, "category-list")).First())[0]);
        Assert.Equal("North Camden", await Db.TextAsync("SELECT name FROM area WHERE id = $1", s.AreaIds[0]));
        Assert.Equal("Staff cover", await Db.TextAsync("SELECT name FROM budget_category WHERE id = $1", s.Categories["staff-cover"]));

        var events = await EventsAsync();
        var (problems, shown) = await PageForms.PostAsync(page, $"/admin/programme/areas/{s.AreaIds[1]}", new() { ["name"] = "North Camden" });
        Assert.Equal("name", Assert.Single(problems).Field);
        Assert.Contains("value=\"North Camden\"", shown);
        foreach (var bad in new[] { "", "Cover\u202E", new string('c', 201) })
            Assert.Equal("name", Assert.Single((await PageForms.PostAsync(page, categoryUrl, new() { ["name"] = bad })).Problems).Field);
        Assert.Equal(events, await EventsAsync());
        Assert.Equal("Area 2", await Db.TextAsync("SELECT name FROM area WHERE id = $1", s.AreaIds[1]));
    }

    [Fact]
    public async Task TheChangePages_AreRefusedToOtherRoles_AndAnotherProgrammesRecordsAreNotFound()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        var urls = new[] { $"/admin/schools/{s.Schools[0].Id}/change", $"/admin/programme/areas/{s.AreaIds[0]}", $"/admin/programme/categories/{s.Categories["staff-cover"]}" };
        foreach (var user in new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) })
        {
            using var page = await PageAsync(Db, user.UserName);
            foreach (var url in urls)
            {
                using var answer = await page.GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
                Assert.StartsWith("/forbidden", answer.Headers.Location!.IsAbsoluteUri ? answer.Headers.Location.PathAndQuery : answer.Headers.Location.OriginalString);
            }
        }
        var admin = await s.ProgrammeAdminAsync(Db);
        using var adminPage = await PageAsync(Db, admin.UserName);
        foreach (var url in new[] { $"/admin/schools/{other.Schools[0].Id}/change", $"/admin/programme/areas/{other.AreaIds[0]}",
                     $"/admin/programme/categories/{other.Categories["staff-cover"]}", "/admin/programme/areas/999999" })
        {
            using var answer = await adminPage.GetAsync(url);
            Assert.Equal("/forbidden?missing=1", answer.Headers.Location?.OriginalString);
        }
        using var elsewhere = await adminPage.GetAsync($"/admin/programme/things/{s.AreaIds[0]}");
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }
}

using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Access;

/// <summary>
/// A programme admin manages their programme's users in the browser (/admin/users): the API's user administration
/// (/api/v1/users…) as pages, with the one-time password made by the service and shown once.
/// </summary>
public sealed partial class UserPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    private Task<HttpClient> PageAsync(string userName) => PageFormFuzzTests.SignedInPageAsync(Db.Factory, userName);

    private ApiClient Anonymous() => new(Db.Factory.CreateClient(), null, 0, "");

    private static List<string[]> UserRows(string html) => Rows(Table(html, "users")).Select(Cells).ToList();

    private Task<long> UserCountAsync() => Db.ScalarAsync("SELECT count(*) FROM app_user");

    /// <summary>Posts a page's own form (its antiforgery token read from the page at <paramref name="formAt"/>) and answers the response itself.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient page, string url, Dictionary<string, string> fields, string? formAt = null)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(formAt ?? url));
        return await page.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    /// <summary>The one-time password a confirmation shows: four groups of four letters and digits.</summary>
    private static string ShownPassword(string html)
    {
        var m = Shown().Match(html);
        Assert.True(m.Success, "no one-time password shown");
        return m.Groups[1].Value;
    }

    [GeneratedRegex("id=\"one-time-password\">([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</p>")] private static partial Regex Shown();

    private static void AssertNotStored(HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode); // shown in the post's own answer, not by a redirect carrying it
        Assert.Null(answer.Headers.Location);
        Assert.True(answer.Headers.CacheControl?.NoStore, $"Cache-Control: {answer.Headers.CacheControl}");
    }

    /// <summary>A national programme has a business manager or two for each of thousands of schools: the list is paged, its filters kept.</summary>
    [Fact]
    public async Task List_IsPagedAHundredAtATime_ReachingEveryUserOnce_WithItsFiltersKept()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        await Db.DataSource.ExecuteAsync("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id)
            SELECT 'bulk-' || lpad(g::text, 3, '0'), 'BULK-' || lpad(g::text, 3, '0'), 'Bulk ' || g, 'school_business_manager', $1, $2
              FROM generate_series(1, 205) g
            """, s.ProgrammeId, s.Schools[0].Id);
        using var page = await PageAsync(admin.UserName);

        var first = await Read(page, "/admin/users?role=school_business_manager");
        Assert.Contains("Users 1 to 100 of 205, by user name</caption>", first);
        var seen = new List<string>();
        string? next = "/admin/users?role=school_business_manager";
        while (next is not null)
        {
            var html = await Read(page, next);
            seen.AddRange(UserRows(html).Select(r => r[0]));
            next = Regex.Match(html, "href=\"([^\"]+)\" rel=\"next\"") is { Success: true } link ? link.Groups[1].Value : null;
            if (next is not null) Assert.Contains("role=school_business_manager", next);
        }
        Assert.Equal(Enumerable.Range(1, 205).Select(i => $"bulk-{i:000}").ToArray(), seen.ToArray());
        Assert.Contains("Users 201 to 205 of 205, by user name</caption>", await Read(page, "/admin/users?role=school_business_manager&page=3"));
        Assert.Contains("6 users, by user name</caption>", await Read(page, "/admin/users?q=bulk-20")); // bulk-200 to bulk-205, on one page
    }

    [Fact]
    public async Task List_ShowsExactlyTheProgrammesUsers_ByUserName_WithTheirRoleScopeAndStatus_AndAnotherProgrammesUserIsNotFound()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db, 1);
        var lead = await s.AreaLeadAsync(Db, 1);
        var finance = await s.FinanceAsync(Db);
        (await admin.PostAsync($"/api/v1/users/{finance.UserId}/disable", null)).Expect(HttpStatusCode.OK);
        await Db.DataSource.ExecuteAsync("UPDATE app_user SET lockout_end = now() + interval '10 minutes' WHERE id = $1", lead.UserId);
        var fresh = (await admin.PostAsync("/api/v1/users", new
        {
            userName = "fresh-sbm", displayName = "Fresh Person", password = DatabaseFixture.OneTimePassword, role = "school_business_manager",
            schoolId = s.Schools[0].Id,
        })).Expect(HttpStatusCode.Created).Id;
        var b = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: s.Root);
        var outsider = await b.SchoolUserAsync(Db);
        using var page = await PageAsync(admin.UserName);

        var rows = UserRows(await Read(page, "/admin/users"));
        var api = (await admin.GetAsync("/api/v1/users")).Expect(HttpStatusCode.OK).Json.AsArray().Select(u => u!["userName"]!.GetValue<string>()).ToArray();
        Assert.Equal(api, rows.Select(r => r[0]).ToArray());
        Assert.Equal(["admin-tp", "finance-tp", "fresh-sbm", "lead-tp-1", "sbm-tp-1"], rows.Select(r => r[0]).ToArray());
        Assert.DoesNotContain(rows, r => r[0] == outsider.UserName);
        Assert.Equal(["admin-tp", "admin-tp", "programme admin", "Test programme tp", "Active"], rows[0]);
        Assert.Equal(["finance-tp", "finance-tp", "funder finance", "Test programme tp", "Disabled"], rows[1]);
        Assert.Equal(["fresh-sbm", "Fresh Person", "school business manager", $"School {s.Schools[0].Urn} (URN {s.Schools[0].Urn})", "Must choose a password"], rows[2]);
        Assert.Equal(["lead-tp-1", "area lead", "Area 2"], rows[3][1..4]);
        Assert.StartsWith("Locked out after wrong passwords until ", rows[3][4]);
        Assert.Equal(["sbm-tp-1", "school business manager", $"School {s.Schools[1].Urn} (URN {s.Schools[1].Urn})", "Active"], rows[4][1..]);
        Assert.Contains($"<a class=\"govuk-link\" href=\"/admin/users/{fresh}\">fresh-sbm</a>", await Read(page, "/admin/users"));

        // filtered by role, and by a part of a name in any case
        Assert.Equal(["lead-tp-1"], UserRows(await Read(page, "/admin/users?role=area_lead")).Select(r => r[0]).ToArray());
        Assert.Equal(["fresh-sbm"], UserRows(await Read(page, "/admin/users?q=PERSON")).Select(r => r[0]).ToArray());
        Assert.Equal(["sbm-tp-1"], UserRows(await Read(page, "/admin/users?role=school_business_manager&q=tp")).Select(r => r[0]).ToArray());
        Assert.Contains("No users match these filters.", await Read(page, "/admin/users?q=%25"));
        var unread = await Read(page, "/admin/users?role=banker");
        Assert.Contains(("role", "Select a role from the list"), PageForms.Problems(unread));

        // the user's page: as the list, and what they did in the audit trail
        var own = await Read(page, $"/admin/users/{fresh}");
        Assert.Contains("Fresh Person", own);
        Assert.Contains("Must choose a password", own);
        Assert.Contains("Never", own); // not signed in yet
        Assert.Contains($"href=\"/ledger/trail?userId={fresh}\"", own);
        // the school they work for, linked to its page (it was its name alone)
        Assert.Contains($"id=\"works-for\"><a class=\"govuk-link\" href=\"/admin/schools/{s.Schools[0].Id}\">School {s.Schools[0].Urn} (URN {s.Schools[0].Urn})</a>", own);
        Assert.Contains("id=\"works-for\">Area 2</dd>", await Read(page, $"/admin/users/{lead.UserId}"));

        // another programme's user is not found, to read or to change
        foreach (var url in new[] { $"/admin/users/{outsider.UserId}", $"/admin/users/{outsider.UserId}/reset-password", $"/admin/users/{outsider.UserId}/disable" })
        {
            using var answer = await page.GetAsync(url);
            Assert.Equal("/forbidden?missing=1", answer.Headers.Location?.OriginalString);
        }
        var before = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        using (var reset = await PostFormAsync(page, $"/admin/users/{outsider.UserId}/reset-password", new(), formAt: $"/admin/users/{fresh}/reset-password"))
            Assert.Equal("/forbidden?missing=1", reset.Headers.Location?.OriginalString);
        using (var disable = await PostFormAsync(page, $"/admin/users/{outsider.UserId}/disable", new(), formAt: $"/admin/users/{fresh}/disable"))
            Assert.Equal("/forbidden?missing=1", disable.Headers.Location?.OriginalString);
        Assert.Equal(before, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
        (await outsider.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// In a programme of more schools than a list can hold (PINS has 1,680) a business manager's school is typed by its URN; a
    /// school's own page leads to the form with it filled in.
    /// </summary>
    [Fact]
    public async Task AddUser_InALargeProgramme_TakesTheSchoolByItsUrn_FilledInFromTheSchoolsPage_AndAnUnknownUrnIsNamed()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        await Db.DataSource.ExecuteAsync("""
            INSERT INTO school (programme_id, urn, name, phase, area_id)
            SELECT $1, (900000 + g)::text, 'School ' || g, 'Primary', $2 FROM generate_series(1, $3) g
            """, s.ProgrammeId, s.AreaIds[0], Pages.Gov.MostSchoolsInAList);
        using var page = await PageAsync(admin.UserName);
        var school = await Read(page, $"/admin/schools/{s.Schools[0].Id}");
        var link = Regex.Match(school, "href=\"([^\"]+)\" id=\"add-business-manager\"").Groups[1].Value;
        var form = await Read(page, link);
        Assert.DoesNotContain("name=\"schoolId\"", form); // no list of 201 schools
        Assert.Contains($"name=\"schoolUrn\" type=\"text\" value=\"{s.Schools[0].Urn}\"", form);
        Assert.Contains("value=\"school_business_manager\" checked", form);
        var users = await UserCountAsync();

        using (var unknown = await PostFormAsync(page, "/admin/users/new", new()
               {
                   ["userName"] = "urn-sbm", ["displayName"] = "By URN", ["role"] = "school_business_manager", ["schoolUrn"] = "999999",
               }))
        {
            var html = WebUtility.HtmlDecode(await unknown.Content.ReadAsStringAsync());
            Assert.Contains("<a href=\"#schoolUrn\">No school of your programme has the URN 999999</a>", html);
            Assert.Equal(users, await UserCountAsync());
        }
        using (var none = await PostFormAsync(page, "/admin/users/new", new()
               {
                   ["userName"] = "urn-sbm", ["displayName"] = "By URN", ["role"] = "school_business_manager", ["schoolUrn"] = "",
               }))
            Assert.Contains("href=\"#schoolUrn\"", WebUtility.HtmlDecode(await none.Content.ReadAsStringAsync()));
        using var added = await PostFormAsync(page, "/admin/users/new", new()
        {
            ["userName"] = "urn-sbm", ["displayName"] = "By URN", ["role"] = "school_business_manager", ["schoolUrn"] = s.Schools[0].Urn,
        });
        var id = long.Parse(Regex.Match(await added.Content.ReadAsStringAsync(), "href=\"/admin/users/(\\d+)\"").Groups[1].Value);
        Assert.Equal(s.Schools[0].Id, (await admin.GetAsync($"/api/v1/users/{id}")).Expect(HttpStatusCode.OK).Json["schoolId"]!.GetValue<long>());
    }

    [Fact]
    public async Task AddUser_ShowsTheServicesOneTimePasswordOnce_TheApiHasTheUserInTheirScope_AndThePasswordOnlyLetsThemChooseTheirOwn()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(admin.UserName);
        var form = await Read(page, "/admin/users/new");
        Assert.DoesNotContain("value=\"auditor\"", form); // only an admin of every programme makes auditors
        Assert.Contains($"School {s.Schools[3].Urn} (URN {s.Schools[3].Urn})", form);

        using var answer = await PostFormAsync(page, "/admin/users/new", new()
        {
            ["userName"] = "New-SBM", ["displayName"] = "Ada Lovelace", ["email"] = "ada@example.org", ["role"] = "school_business_manager",
            ["schoolId"] = s.Schools[3].Id.ToString(), ["areaId"] = "",
        });
        AssertNotStored(answer);
        var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
        Assert.Contains("<h1 class=\"govuk-panel__title\">User added</h1>", html);
        Assert.Contains("<strong id=\"user-name\">new-sbm</strong>", html);
        var password = ShownPassword(html);
        Assert.Contains("This is the only time the password is shown", html);

        var id = long.Parse(Regex.Match(html, "href=\"/admin/users/(\\d+)\"").Groups[1].Value);
        var user = (await admin.GetAsync($"/api/v1/users/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("new-sbm", user["userName"]!.GetValue<string>());
        Assert.Equal("Ada Lovelace", user["displayName"]!.GetValue<string>());
        Assert.Equal("ada@example.org", user["email"]!.GetValue<string>());
        Assert.Equal("school_business_manager", user["role"]!.GetValue<string>());
        Assert.Equal(s.Schools[3].Id, user["schoolId"]!.GetValue<long>());
        Assert.Equal(s.ProgrammeId, user["programmeId"]!.GetValue<long>());
        Assert.True(user["mustChoosePassword"]!.GetValue<bool>());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.created' AND record_id = $1 AND user_id = $2", id, admin.UserId));

        // the password is nowhere else: not on the user's page or the list, not in the audit trail
        Assert.DoesNotContain(password, await page.GetStringAsync($"/admin/users/{id}"));
        Assert.DoesNotContain(password, await page.GetStringAsync("/admin/users"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE details::text LIKE '%' || $1 || '%'", password));

        // it signs in only to choose a password: no token (403, as the README says); once chosen, the chosen one works
        var anonymous = Anonymous();
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "new-sbm", password })).ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");
        using (var signIn = await PageFormFuzzTests.PostSignInAsync(Db.Factory.CreateClient(NoRedirects), "new-sbm", password))
            Assert.StartsWith("/account/password", signIn.Headers.Location?.OriginalString);
        (await anonymous.PostAsync("/api/v1/auth/password", new { userName = "new-sbm", currentPassword = password, newPassword = "ada-chose-this-one" }))
            .Expect(HttpStatusCode.NoContent);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "new-sbm", password = "ada-chose-this-one" })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AddUser_AnAreaLeadWithoutAnArea_NamesTheAreaField_KeepsWhatWasTyped_AndCreatesNobody()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        using var page = await PageAsync(admin.UserName);
        var users = await UserCountAsync();

        var (problems, html) = await PageForms.PostAsync(page, "/admin/users/new", new()
        {
            ["userName"] = "lead-to-be", ["displayName"] = "Grace Hopper", ["email"] = "", ["role"] = "area_lead", ["schoolId"] = "", ["areaId"] = "",
        });
        Assert.Equal([("areaId", "An area lead needs the area they lead")], problems);
        Assert.Contains("id=\"areaId-error\"", html);
        Assert.Contains("value=\"lead-to-be\"", html);
        Assert.Contains("value=\"Grace Hopper\"", html);
        Assert.Contains("value=\"area_lead\" checked", html);
        Assert.DoesNotContain("one-time-password", html);
        Assert.Equal(users, await UserCountAsync());

        // nothing typed: each question named beside its field
        (problems, _) = await PageForms.PostAsync(page, "/admin/users/new", new() { ["userName"] = " ", ["displayName"] = "", ["email"] = "" });
        Assert.Equal([("userName", "Enter a user name"), ("displayName", "Enter the user's full name"), ("role", "Select the user's role")], problems);
        Assert.Equal(users, await UserCountAsync());
    }

    [Fact]
    public async Task AddUser_WithATakenUserName_NamesTheUserNameField_AndCreatesNobody()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var taken = await s.SchoolUserAsync(Db);
        using var page = await PageAsync(admin.UserName);
        var users = await UserCountAsync();

        var (problems, html) = await PageForms.PostAsync(page, "/admin/users/new", new()
        {
            ["userName"] = taken.UserName.ToUpperInvariant(), ["displayName"] = "Someone Else", ["email"] = "", ["role"] = "funder_finance",
        });
        Assert.Equal([("userName", $"The user name '{taken.UserName}' is taken")], problems);
        Assert.Contains($"value=\"{taken.UserName.ToUpperInvariant()}\"", html);
        Assert.Equal(users, await UserCountAsync());
    }

    [Fact]
    public async Task ResetPassword_TheOldPasswordNoLongerSignsIn_TheNewOneTimePasswordDoes_AndTheirTokensAreRevoked()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var school = await s.SchoolUserAsync(Db);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        using var page = await PageAsync(admin.UserName);
        var confirm = await Read(page, $"/admin/users/{school.UserId}/reset-password");
        Assert.Contains($"Reset {school.UserName}'s password?", confirm);
        Assert.Contains("every API token of theirs is revoked", confirm);

        using var answer = await PostFormAsync(page, $"/admin/users/{school.UserId}/reset-password", new());
        AssertNotStored(answer);
        var password = ShownPassword(await answer.Content.ReadAsStringAsync());

        (await school.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
        var anonymous = Anonymous();
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = school.UserName, password = DatabaseFixture.Password })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = school.UserName, password })).ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");
        Assert.True((await admin.GetAsync($"/api/v1/users/{school.UserId}")).Expect(HttpStatusCode.OK).Json["mustChoosePassword"]!.GetValue<bool>());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.password-reset' AND record_id = $1", school.UserId));
        Assert.Contains("Must choose a password", await Read(page, $"/admin/users/{school.UserId}"));
        Assert.DoesNotContain(password, await page.GetStringAsync($"/admin/users/{school.UserId}"));

        // their own password is not theirs to reset here
        var (_, refused) = await PageForms.PostAsync(page, $"/admin/users/{admin.UserId}/reset-password", new());
        Assert.Contains("<li>You cannot reset your own password: change it from your account's page, saying your current one</li>", refused);
        Assert.DoesNotContain("one-time-password", refused);
        (await admin.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Disable_StopsTheUserSigningIn_EnableLetsThemBackIn_AndAnAdminCannotDisableThemselves()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var lead = await s.AreaLeadAsync(Db);
        using var page = await PageAsync(admin.UserName);
        Assert.Contains("their API tokens stop working", await Read(page, $"/admin/users/{lead.UserId}/disable"));

        using (var disabled = await PostFormAsync(page, $"/admin/users/{lead.UserId}/disable", new()))
            Assert.Equal($"/admin/users/{lead.UserId}", disabled.Headers.Location?.OriginalString);
        var shown = await Read(page, $"/admin/users/{lead.UserId}");
        Assert.Contains($"{lead.UserName} is disabled: they cannot sign in", shown);
        Assert.Contains("id=\"enable\"", shown);
        Assert.True((await admin.GetAsync($"/api/v1/users/{lead.UserId}")).Expect(HttpStatusCode.OK).Json["disabled"]!.GetValue<bool>());
        (await lead.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
        using (var refused = await PageFormFuzzTests.PostSignInAsync(Db.Factory.CreateClient(NoRedirects), lead.UserName, DatabaseFixture.Password))
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode); // the sign-in page again, with its error

        using (var enabled = await PostFormAsync(page, $"/admin/users/{lead.UserId}?handler=Enable", new(), formAt: $"/admin/users/{lead.UserId}"))
            Assert.Equal($"/admin/users/{lead.UserId}", enabled.Headers.Location?.OriginalString);
        Assert.Contains($"{lead.UserName} is enabled: they can sign in again", await Read(page, $"/admin/users/{lead.UserId}"));
        using (var signedIn = await PageFormFuzzTests.PostSignInAsync(Db.Factory.CreateClient(NoRedirects), lead.UserName, DatabaseFixture.Password))
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("user.disabled,user.enabled", await Db.DataSource.TextAsync(
            "SELECT string_agg(action, ',' ORDER BY id) FROM audit_event WHERE record_type = 'app_user' AND record_id = $1 AND action LIKE 'user.%abled'", lead.UserId));

        // their own account: no button, and the form sent by hand is refused, saying why
        var own = await Read(page, $"/admin/users/{admin.UserId}");
        Assert.Contains("This is your own account", own);
        Assert.DoesNotContain("id=\"disable\"", own);
        var (_, ownRefused) = await PageForms.PostAsync(page, $"/admin/users/{admin.UserId}/disable", new());
        Assert.Contains("<li>You cannot disable or enable your own account: another programme admin does</li>", ownRefused);
        Assert.False((await admin.GetAsync($"/api/v1/users/{admin.UserId}")).Expect(HttpStatusCode.OK).Json["disabled"]!.GetValue<bool>());
        (await admin.PostAsync($"/api/v1/users/{admin.UserId}/disable", null)).ExpectProblem(HttpStatusCode.Conflict, rule: "cannot-disable-self");
    }

    [Fact]
    public async Task EveryUsersPage_IsForbiddenToEveryOtherRole()
    {
        var s = await Scenario.CreateAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        var target = await s.SchoolUserAsync(Db, 1);
        var others = new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) };
        var urls = new[] { "/admin/users", "/admin/users/new", $"/admin/users/{target.UserId}", $"/admin/users/{target.UserId}/reset-password",
            $"/admin/users/{target.UserId}/disable" };
        foreach (var other in others)
        {
            using var page = await PageAsync(other.UserName);
            foreach (var url in urls)
            {
                using var answer = await page.GetAsync(url);
                Assert.True(answer.StatusCode == HttpStatusCode.Redirect, $"{other.UserName} {url}: {answer.StatusCode}");
                Assert.Equal("/forbidden", new Uri(new Uri("http://localhost"), answer.Headers.Location!).AbsolutePath);
                Assert.DoesNotContain("missing", answer.Headers.Location!.OriginalString);
            }
        }
        using var own = await PageAsync(admin.UserName);
        Assert.Contains("href=\"/admin/users\"", await own.GetStringAsync("/admin/users"));
    }
}

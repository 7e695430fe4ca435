using System.Net;
using GrantLedger.Web.Pages;
using GrantLedger.Web.Pages.Admin;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.Programmes;

/// <summary>
/// The programme admin adds a year with its own half-term dates (/admin/programme/years/new): the year's code, then the first
/// day of each half-term after Autumn 1, a check of the six half-terms, then the year, made by the API's use case
/// (<see cref="GrantLedger.Web.Programmes.Years.AddAsync"/>). Checked in the database.
/// </summary>
public sealed class NewYearPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string Url = "/admin/programme/years/new";

    private async Task<(Scenario S, HttpClient Page)> AdminAsync()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        return (s, await PageFormFuzzTests.SignedInPageAsync(Db.Factory, admin.UserName));
    }

    /// <summary>The dates step's fields: the code, and each half-term's first day as a GOV.UK date input ("3 11 2027").</summary>
    private static Dictionary<string, string> Dates(string code, string aut2, string spr1, string spr2, string sum1, string sum2)
    {
        var fields = new Dictionary<string, string> { ["code"] = code, [GovPage.FormKeyField] = Guid.NewGuid().ToString("N") };
        foreach (var (name, date) in new[] { ("aut2StartsOn", aut2), ("spr1StartsOn", spr1), ("spr2StartsOn", spr2), ("sum1StartsOn", sum1), ("sum2StartsOn", sum2) })
        {
            var parts = date.Split(' ');
            (fields[name + "-day"], fields[name + "-month"], fields[name + "-year"]) = (parts[0], parts[1], parts[2]);
        }
        return fields;
    }

    /// <summary>The dates step as first shown for a year beginning in <paramref name="y"/>: its usual half-terms.</summary>
    private static Dictionary<string, string> Defaults(string code = "2027-28", int y = 2027) =>
        Dates(code, $"1 11 {y}", $"1 1 {y + 1}", $"1 3 {y + 1}", $"1 5 {y + 1}", $"1 6 {y + 1}");

    /// <summary>The year's half-terms as stored: "aut1 2027-09-01 2027-10-31, …", or null when there is no such year.</summary>
    private Task<string?> PeriodsAsync(string code) => Db.TextAsync("""
        SELECT string_agg(p.code || ' ' || p.starts_on || ' ' || p.ends_on, ', ' ORDER BY p.starts_on)
        FROM period p JOIN programme_year y ON y.id = p.programme_year_id WHERE y.code = $1
        """, code);

    /// <summary>What a check or a refusal must leave as it was: the years, their half-terms, the audit trail and the forms' one-time keys.</summary>
    private async Task<string> WrittenAsync()
    {
        var counts = new List<long>();
        foreach (var table in new[] { "programme_year", "period", "audit_event", "idempotency_key" })
            counts.Add(await Db.ScalarAsync($"SELECT count(*) FROM {table}"));
        return string.Join(",", counts);
    }

    [Fact]
    public async Task AYearWithItsOwnDates_IsCheckedWritingNothing_ThenMadeWithExactlyThoseSixHalfTerms_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync();
        Assert.Contains($"href=\"{Url}\"", await Read(page, "/admin/programme"));
        // the year after the latest, its code suggested
        Assert.Contains("name=\"code\" type=\"text\" value=\"2027-28\"", await Read(page, Url));
        var before = await WrittenAsync();

        // the code, then the dates filled with the year's usual half-terms
        var (problems, html) = await PageForms.PostAsync(page, Url + "?handler=Code", new() { ["code"] = "2027-28" }, formAt: Url);
        Assert.Empty(problems);
        Assert.Contains("1 September 2027", html);
        Assert.Contains("name=\"aut2StartsOn-day\" type=\"text\" inputmode=\"numeric\" value=\"1\"", html);
        Assert.Contains("name=\"aut2StartsOn-month\" type=\"text\" inputmode=\"numeric\" value=\"11\"", html);
        Assert.Contains("name=\"sum2StartsOn-year\" type=\"text\" inputmode=\"numeric\" value=\"2028\"", html);
        // posted to the page itself, not to the code's handler this page answers
        Assert.Matches("<form method=\"post\" novalidate action=\"/admin/programme/years/new\">\\s*<input type=\"hidden\" name=\"formKey\"", html);

        // Autumn 2 from 3 November, Spring 2 from 19 February, Summer 1 from 15 April, Summer 2 from 3 June
        (problems, html) = await PageForms.PostAsync(page, Url, Dates("2027-28", "3 11 2027", "1 1 2028", "19 2 2028", "15 4 2028", "3 6 2028"));
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        Assert.Contains("Check the half-terms of 2027-28", html);
        Assert.Equal(
            [["Autumn 1", "1 September 2027", "2 November 2027"], ["Autumn 2", "3 November 2027", "31 December 2027"],
             ["Spring 1", "1 January 2028", "18 February 2028"], ["Spring 2", "19 February 2028", "14 April 2028"],
             ["Summer 1", "15 April 2028", "2 June 2028"], ["Summer 2", "3 June 2028", "31 August 2028"]],
            Rows(Table(html, "half-terms")).Select(Cells));
        Assert.Equal(before, await WrittenAsync());

        var (action, fields) = PageForms.ConfirmingForm(html);
        using var first = await page.PostAsync(action, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/admin/programme#years", first.Headers.Location!.OriginalString);
        using var again = await page.PostAsync(action, new FormUrlEncodedContent(fields));
        Assert.Equal("/admin/programme#years", again.Headers.Location!.OriginalString);

        Assert.Equal("aut1 2027-09-01 2027-11-02, aut2 2027-11-03 2027-12-31, spr1 2028-01-01 2028-02-18, spr2 2028-02-19 2028-04-14, "
                     + "sum1 2028-04-15 2028-06-02, sum2 2028-06-03 2028-08-31", await PeriodsAsync("2027-28"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM programme_year WHERE code = '2027-28' AND starts_on = '2027-09-01' AND ends_on = '2028-08-31'"));
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'year.created'")); // the scenario's year, and this one
        var shown = await Read(page, "/admin/programme");
        Assert.Contains("This was already done: the year was added", shown);
        Assert.Equal(["Spring 2", "19 Feb 2028", "14 Apr 2028", "Open"], Cells(Rows(Table(shown, "year-2027-28")).ElementAt(3)));
    }

    [Fact]
    public async Task ChangingTheAnswers_GoesBackToTheDatesAsTyped()
    {
        var (_, page) = await AdminAsync();
        var (_, html) = await PageForms.PostAsync(page, Url, Dates("2027-28", "3 11 2027", "1 1 2028", "19 2 2028", "15 4 2028", "3 6 2028"));
        var (_, fields) = PageForms.ConfirmingForm(html);
        (_, html) = await PageForms.PostAsync(page, Url + "?handler=Change", fields.ToDictionary(f => f.Key, f => f.Value), formAt: Url);
        Assert.Contains("name=\"aut2StartsOn-day\" type=\"text\" inputmode=\"numeric\" value=\"3\"", html);
        Assert.Contains("name=\"code\" value=\"2027-28\"", html);
        Assert.DoesNotContain("id=\"half-terms\"", html);
    }

    [Fact]
    public async Task AYearAddedMeanwhile_IsRefusedOnItsCode_BesideTheDatesAsTyped_AndAnotherCodeGoesOnWithThem()
    {
        var (_, page) = await AdminAsync();
        var (_, html) = await PageForms.PostAsync(page, Url, Dates("2027-28", "3 11 2027", "1 1 2028", "19 2 2028", "15 4 2028", "3 6 2028"));
        var (action, fields) = PageForms.ConfirmingForm(html);
        // another admin adds 2027-28 while this one reads the check
        var theirs = Defaults();
        theirs[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(Url));
        using (var meanwhile = await page.PostAsync(Url + "?handler=Confirm", new FormUrlEncodedContent(theirs)))
            Assert.Equal(HttpStatusCode.Redirect, meanwhile.StatusCode);
        var before = await WrittenAsync();

        (var problems, html) = await PageForms.PostAsync(page, action, fields.ToDictionary(f => f.Key, f => f.Value), formAt: Url);
        var (field, text) = Assert.Single(problems);
        Assert.Equal(("code", "The programme already has the year 2027-28"), (field, text));
        // the code is a field of its own now, beside the dates the admin typed: nothing typed is lost
        Assert.Contains("name=\"code\" type=\"text\" value=\"2027-28\"", html);
        Assert.Contains("name=\"aut2StartsOn-day\" type=\"text\" inputmode=\"numeric\" value=\"3\"", html);
        Assert.Contains("name=\"sum2StartsOn-month\" type=\"text\" inputmode=\"numeric\" value=\"6\"", html);
        Assert.DoesNotContain("id=\"half-terms\"", html);
        Assert.Equal(before, await WrittenAsync());

        // the same dates' form, the code changed: the check, then the year
        (problems, html) = await PageForms.PostAsync(page, Url, Dates("2028-29", "3 11 2028", "1 1 2029", "19 2 2029", "15 4 2029", "3 6 2029"));
        Assert.Empty(problems);
        (action, fields) = PageForms.ConfirmingForm(html);
        using var added = await page.PostAsync(action, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.StartsWith("aut1 2028-09-01 2028-11-02, aut2 2028-11-03", await PeriodsAsync("2028-29"));
    }

    /// <summary>
    /// The steps a walk of the pages cannot reach by following links (the dates' form, the check's two forms answer a posted
    /// form): each of their fields hostile in turn, the others as a person would send them. Never a 500 or an error logged;
    /// refused with the page and its summary (or 400, a NUL), and nothing written.
    /// </summary>
    [Fact]
    public async Task HostileAnswersToTheDatesAndTheCheck_AreRefusedOnThePage_NeverA500_AndWriteNothing()
    {
        var (_, page) = await AdminAsync();
        var failures = new List<string>();
        foreach (var handler in new[] { "", "?handler=Change", "?handler=Confirm" })
            foreach (var field in NewYearModel.Answers)
                foreach (var value in PageFormFuzzTests.Hostile)
                {
                    var fields = Defaults();
                    fields[field] = value;
                    fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(Url));
                    var (before, errors) = (await WrittenAsync(), ServerErrors.Logged);
                    using var answer = await page.PostAsync(Url + handler, new FormUrlEncodedContent(fields));
                    var shown = $"POST {Url}{handler} {field}={HostileAnswers.Clip(value, 20)}";
                    if ((int)answer.StatusCode >= 500 || ServerErrors.Logged != errors) failures.Add($"{shown} → {(int)answer.StatusCode}\n{ServerErrors.Recent()}");
                    else if (await WrittenAsync() != before) failures.Add($"{shown} → refused, but something was written");
                    else if (answer.StatusCode == HttpStatusCode.BadRequest) continue; // refused whole (a NUL: security.md)
                    else if (answer.StatusCode != HttpStatusCode.OK) failures.Add($"{shown} → {(int)answer.StatusCode}");
                    else if (handler != "?handler=Change" && PageForms.Problems(WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync())).Count == 0)
                        failures.Add($"{shown} → no error said");
                }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Null(await PeriodsAsync("2027-28"));
    }

    public static TheoryData<string, Dictionary<string, string>, string, string> Refusals => new()
    {
        { "a date that is not one", Dates("2027-28", "31 11 2027", "1 1 2028", "1 3 2028", "1 5 2028", "1 6 2028"), "aut2StartsOn", "The first day of Autumn 2 must be a real date" },
        { "a date left out", Dates("2027-28", "1 11 2027", "  ", "1 3 2028", "1 5 2028", "1 6 2028").Also(f => { f["spr1StartsOn-month"] = ""; f["spr1StartsOn-year"] = ""; }), "spr1StartsOn", "Enter the first day of Spring 1" },
        { "a date after the year", Dates("2027-28", "1 11 2027", "1 1 2028", "1 3 2028", "1 5 2028", "1 9 2028"), "sum2StartsOn", "Summer 2 must begin within the academic year, 1 September 2027 to 31 August 2028" },
        { "a date before the year", Dates("2027-28", "31 8 2027", "1 1 2028", "1 3 2028", "1 5 2028", "1 6 2028"), "aut2StartsOn", "Autumn 2 must begin within the academic year, 1 September 2027 to 31 August 2028" },
        { "Autumn 2 on Autumn 1's first day", Dates("2027-28", "1 9 2027", "1 1 2028", "1 3 2028", "1 5 2028", "1 6 2028"), "aut2StartsOn", "Autumn 2 must begin after Autumn 1, which begins on 1 September 2027" },
        { "half-terms out of order", Dates("2027-28", "1 11 2027", "1 1 2028", "20 12 2027", "1 5 2028", "1 6 2028"), "spr2StartsOn", "Spring 2 must begin after Spring 1, which begins on 1 January 2028" },
        { "a malformed code", Defaults("2027-29"), "code", "The academic year must be written as the year it begins, a hyphen and the next year's last two digits, such as 2027-28" },
        { "a code taken", Defaults("2026-27", 2026), "code", "The programme already has the year 2026-27" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusedYear_IsNamedOnItsField_AndNothingIsWritten(string what, Dictionary<string, string> fields, string field, string said)
    {
        var (_, page) = await AdminAsync();
        var before = await WrittenAsync();
        foreach (var handler in new[] { "", "?handler=Confirm" })
        {
            var (problems, html) = await PageForms.PostAsync(page, Url + handler, new(fields), formAt: Url);
            Assert.True(problems.Count == 1, $"{what}: {string.Join("; ", problems)}");
            Assert.Equal(field, problems[0].Field);
            Assert.StartsWith(said, problems[0].Text);
            Assert.Contains($"id=\"{field}-error\"", html);
            Assert.DoesNotContain("id=\"half-terms\"", html);
        }
        Assert.Equal(before, await WrittenAsync());
    }

    [Theory]
    [InlineData("", "Enter the academic year, such as 2027-28")]
    [InlineData("2027/28", "The academic year must be written as the year it begins")]
    [InlineData("2026-27", "The programme already has the year 2026-27")]
    [InlineData("9999-00", "The academic year must be written as the year it begins")] // its year would end in 10000: no 500
    public async Task ACodeStepRefusal_IsNamedOnTheCode_BeforeAnyDateIsAsked(string code, string said)
    {
        var (_, page) = await AdminAsync();
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, Url + "?handler=Code", new() { ["code"] = code }, formAt: Url);
        var (field, text) = Assert.Single(problems);
        Assert.Equal("code", field);
        Assert.StartsWith(said, text);
        Assert.Contains($"name=\"code\" type=\"text\" value=\"{code}\"", html);
        Assert.DoesNotContain("aut2StartsOn", html);
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task OnlyAProgrammeAdmin_AddsAYear_AndOnlyToTheirOwnProgramme()
    {
        var (s, _) = await AdminAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "op");
        var years = await Db.ScalarAsync("SELECT count(*) FROM programme_year");
        foreach (var user in new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) })
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, user.UserName);
            using var shown = await page.GetAsync(Url);
            Assert.StartsWith("/forbidden", shown.Headers.Location!.PathAndQueryOrOriginal());
            using var posted = await page.PostAsync(Url + "?handler=Confirm", new FormUrlEncodedContent(Defaults()));
            Assert.True(posted.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.BadRequest, $"{user.UserName}: {posted.StatusCode}");
        }
        Assert.Equal(years, await Db.ScalarAsync("SELECT count(*) FROM programme_year"));

        // another programme's admin, naming this programme, adds nothing to it
        var elsewhere = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await other.ProgrammeAdminAsync(Db)).UserName);
        var fields = Defaults();
        fields["programmeId"] = s.ProgrammeId.ToString();
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await elsewhere.GetStringAsync(Url));
        using (var stolen = await elsewhere.PostAsync(Url + "?handler=Confirm", new FormUrlEncodedContent(fields)))
            Assert.StartsWith("/forbidden", stolen.Headers.Location!.PathAndQueryOrOriginal());
        Assert.Null(await PeriodsAsync("2027-28"));
    }
}

internal static class NewYearPageTestsExtensions
{
    public static Dictionary<string, string> Also(this Dictionary<string, string> fields, Action<Dictionary<string, string>> change)
    {
        change(fields);
        return fields;
    }

    public static string PathAndQueryOrOriginal(this Uri uri) => uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;
}

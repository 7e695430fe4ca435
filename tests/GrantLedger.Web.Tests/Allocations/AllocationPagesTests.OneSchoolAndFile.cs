using System.Net;
using System.Text;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

/// <summary>The allocate pages' other kinds: one school (/admin/allocations/school) and a file of per-school amounts (/admin/allocations/import).</summary>
public sealed partial class AllocationPagesTests
{
    [Fact]
    public async Task OneSchoolPage_GivesThatSchoolAloneTheAmount_AfterACheckThatWritesNothing_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync(1, 3);
        await s.FundAsync("2000.00");
        var before = await WrittenAsync();
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/school?yearId={s.YearId}", new()
        {
            ["schoolId"] = s.Schools[1].Id.ToString(), ["categoryId"] = s.Categories["staff-cover"].ToString(), ["amount"] = "1,234.56",
            ["description"] = "Extra cover for one school",
        });
        Assert.Contains($"id=\"answer-school\">School {s.Schools[1].Urn} (URN {s.Schools[1].Urn})</dd>", html);
        Assert.Contains("id=\"answer-amount\">£1,234.56</dd>", html);
        Assert.Contains("id=\"answer-available\">£0.00 now, £1,234.56 after</dd>", html);
        Assert.Contains("id=\"answer-left\">£765.44 (of £2,000.00 now)</dd>", html);
        Assert.Equal(before, await WrittenAsync());

        var done = await ConfirmedOnceAsync(page, action, fields);

        Assert.Equal("1234.56", Balance(await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available"))));
        foreach (var other in new[] { 0, 2 })
            Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[other].Urn}:%"));
        Assert.Equal("765.44", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM allocation WHERE method = 'explicit' AND line_count = 1"));
        var confirmation = await PageTables.Read(page, done);
        Assert.Contains("Allocation made", confirmation);
        Assert.Contains("Extra cover for one school", confirmation);
        Assert.Contains("£1,234.56", confirmation);
    }

    /// <summary>A programme of more schools than a list can hold: the school is typed by its URN, as on the virement page; staff time in days.</summary>
    [Fact]
    public async Task OneSchoolPage_InALargeProgramme_TakesTheSchoolByItsUrn_AndStaffTimeInDays_AndAnUnknownUrnIsNamed()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("10.00", minutes: 4500);
        await Db.DataSource.ExecuteAsync("""
            INSERT INTO school (programme_id, urn, name, phase, area_id)
            SELECT $1, (900000 + g)::text, 'School ' || g, 'Primary', $2 FROM generate_series(1, $3) g
            """, s.ProgrammeId, s.AreaIds[0], Pages.Gov.MostSchoolsInAList);
        var url = $"/admin/allocations/school?yearId={s.YearId}";
        var form = await PageTables.Read(page, url);
        Assert.Contains("name=\"schoolUrn\"", form);
        Assert.DoesNotContain("name=\"schoolId\"", form);
        Dictionary<string, string> Fields(string urn) => new()
        {
            ["schoolUrn"] = urn, ["categoryId"] = s.Categories["contact-time"].ToString(), ["amount"] = "2.5",
        };
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, url, Fields("999999"));
        Assert.Equal(("schoolUrn", "No school with URN 999999 is in this programme"), Assert.Single(problems));
        Assert.Contains("value=\"999999\"", html);
        var (leftOut, _) = await PageForms.PostAsync(page, url, Fields(""));
        Assert.Equal(("schoolUrn", "Enter the URN of the school"), Assert.Single(leftOut));
        Assert.Equal(before, await WrittenAsync());

        var (check, action, fields) = await CheckAsync(page, url, Fields(s.Schools[1].Urn));
        Assert.Contains("id=\"answer-amount\">2.5 days</dd>", check);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("1125", Balance(await s.AccountAsync(s.SchoolAccount(1, "contact-time", "available"), "MIN")));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[0].Urn}:%"));
    }

    /// <summary>Uploads a file to the import page as a browser does; answers the page.</summary>
    private static async Task<string> UploadAsync(HttpClient page, string url, string csv, Dictionary<string, string>? answers = null)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in PageFormFuzzTests.UploadFormFields(await page.GetStringAsync(url)))
            if (answers?.ContainsKey(name) != true) form.Add(new StringContent(value), name);
        foreach (var (name, value) in answers ?? []) form.Add(new StringContent(value), name);
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "allocations.csv");
        using var answer = await page.PostAsync(url, form);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ImportPage_AFileOfPerSchoolAmounts_IsCheckedThenPostedAsOneAllocationEntry_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync(1, 3);
        await s.FundAsync("5000.00", minutes: 9000);
        var url = $"/admin/allocations/import?yearId={s.YearId}";
        var (a, b) = (s.Schools[0].Urn, s.Schools[2].Urn);
        // columns in another order and case, a category by its code, its name or its id, an amount as a spreadsheet writes it
        var csv = $"Amount,urn,Category\r\n\"£1,250.00\",{a},staff-cover\r\n980.5,{b},staff-cover\r\n4.5,{a},{s.Categories["contact-time"]}\r\n12.30,{b},action-plan\r\n";
        var before = await WrittenAsync();
        var html = await UploadAsync(page, url, csv, new() { ["description"] = "Autumn top-up" });
        Assert.True(PageForms.Problems(html).Count == 0, string.Join("; ", PageForms.Problems(html)));
        Assert.Contains("Check your answers", html);
        Assert.Contains("id=\"answer-schools\">2</dd>", html);
        Assert.Contains("id=\"answer-rows\">4</dd>", html);
        Assert.Contains("id=\"answer-total-GBP\">£2,242.80</dd>", html);
        Assert.Contains("id=\"answer-left-GBP\">£2,757.20 (of £5,000.00 now)</dd>", html);
        Assert.Contains("id=\"answer-total-MIN\">4.5 days</dd>", html);
        var perCategory = Rows(html, "categories");
        Assert.Equal([["staff-cover", "2", "£2,230.50"], ["action-plan", "1", "£12.30"], ["contact-time", "1", "4.5 days"]], perCategory);
        Assert.Equal(before, await WrittenAsync());

        var (action, fields) = PageForms.ConfirmingForm(html);
        fields = fields.Select(f => new KeyValuePair<string, string>(f.Key, WebUtility.HtmlDecode(f.Value))).ToList();
        // changing the answers keeps them, and says the file is to be chosen again (a browser does not keep one)
        var change = System.Text.RegularExpressions.Regex.Match(html, "<form [^>]*action=\"([^\"]*handler=Change[^\"]*)\"").Groups[1].Value;
        using (var changed = await page.PostAsync(change, new FormUrlEncodedContent(fields.Where(f => f.Key != "rows"))))
        {
            var form = WebUtility.HtmlDecode(await changed.Content.ReadAsStringAsync());
            Assert.Contains("value=\"Autumn top-up\"", form);
            Assert.Contains("Choose the file again: a file is not kept between pages.", form);
        }
        var done = await ConfirmedOnceAsync(page, action, fields);

        Assert.Equal("1250.00", Balance(await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available"))));
        Assert.Equal("980.50", Balance(await s.AccountAsync(s.SchoolAccount(2, "staff-cover", "available"))));
        Assert.Equal("12.30", Balance(await s.AccountAsync(s.SchoolAccount(2, "action-plan", "available"))));
        Assert.Equal("2025", Balance(await s.AccountAsync(s.SchoolAccount(0, "contact-time", "available"), "MIN")));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[1].Urn}:%"));
        // one allocation, one entry of four transfers, as the API's lines make it
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM allocation WHERE method = 'explicit' AND line_count = 4 AND description = 'Autumn top-up'"));
        var entry = long.Parse(done.Split('/')[^1]);
        Assert.Equal(4L, await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE entry_id = $1", entry));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'allocation'"));
        Assert.Contains("Allocation made", await PageTables.Read(page, done));
    }

    [Fact]
    public async Task ImportPage_AFileWithProblems_ListsEachByLineAndColumn_AndPostsNothing()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("1000.00");
        var url = $"/admin/allocations/import?yearId={s.YearId}";
        var (a, b) = (s.Schools[0].Urn, s.Schools[1].Urn);
        var csv = string.Join("\r\n",
            "URN,category,amount",
            $"{a},staff-cover,100.00", // right
            "12AB,staff-cover,1.00", // line 3
            "999999,staff-cover,1.00",
            $"{a},nope,1.00",
            $"{b},staff-cover,12.345",
            $"{b},action-plan,-5",
            $"{b},contact-time,0",
            $"{a},contact-time,0.03",
            $"{a},staff-cover,2.00", // line 10: the school and category of line 2 again
            $"{b},action-plan",
            $",staff-cover,") + "\r\n";
        var before = await WrittenAsync();
        var html = await UploadAsync(page, url, csv, new() { ["description"] = "Kept as typed" });
        var problems = PageForms.Problems(html);
        Assert.All(problems, p => Assert.Equal("file", p.Field));
        Assert.Equal([
            "Line 3: '12AB' is not a URN: a school's Unique Reference Number is six digits, such as 100123",
            "Line 4: no school with URN 999999 is in this programme",
            "Line 5: 'nope' is not a budget category of this programme: give its code, name or id (staff-cover, action-plan, contact-time)",
            "Line 6: the amount must have at most two decimal places (whole pence)",
            "Line 7: the amount must be more than zero",
            "Line 8: the amount must be more than zero",
            "Line 9: the amount must come to a whole number of minutes (a day is 7.5 hours, or 450 minutes): days to two places, an even number of hundredths, such as 4.5 or 0.2",
            $"Line 10: School {a} (URN {a}) already has a line for staff-cover",
            "Line 11 has 2 fields but the header has 3 columns: give every column a value, leaving a cell empty where it has none",
            "Line 12: enter the URN",
            "Line 12: enter the amount",
        ], problems.Select(p => p.Text).ToList());
        Assert.Contains("value=\"Kept as typed\"", html);
        Assert.DoesNotContain("Check your answers", html);
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task ImportPage_ACategoryNotOfTheProgramme_IsRefusedNamingItsCategoriesInTheOrderTheyWereMade()
    {
        var (s, page) = await AdminAsync(1, 1);
        await s.FundAsync("1000.00");
        // two categories more, whose rows sit in PostgreSQL's table in the other order from their ids (one statement
        // writes its rows in the order given): the table's order is not the order they were made in, as CI once met
        var made = await Db.ScalarAsync("SELECT nextval(pg_get_serial_sequence('budget_category', 'id'))");
        var madeAfter = await Db.ScalarAsync("SELECT nextval(pg_get_serial_sequence('budget_category', 'id'))");
        await Db.ScalarAsync("""
            WITH made AS (
                INSERT INTO budget_category (id, programme_id, code, name, unit, kind) OVERRIDING SYSTEM VALUE
                VALUES ($1, $3, 'made-after', 'Made after', 'GBP', 'programme-pot'), ($2, $3, 'made-before', 'Made before', 'GBP', 'programme-pot')
                RETURNING 1)
            SELECT count(*) FROM made
            """, madeAfter, made, s.ProgrammeId);
        var before = await WrittenAsync();
        var html = await UploadAsync(page, $"/admin/allocations/import?yearId={s.YearId}", $"URN,category,amount\r\n{s.Schools[0].Urn},nope,1.00\r\n");
        Assert.Equal(["Line 2: 'nope' is not a budget category of this programme: give its code, name or id "
                      + "(staff-cover, action-plan, contact-time, made-before, made-after)"],
            PageForms.Problems(html).Select(p => p.Text).ToList());
        Assert.Equal(before, await WrittenAsync());
    }

    /// <summary>
    /// A category given by its id is that category, where another is named by those digits: the file read names before ids,
    /// and a row for category 3 went to a pot named "3" (the claim lines' import read ids first already).
    /// </summary>
    [Fact]
    public async Task ImportPage_ACategoryGivenByItsId_IsThatCategory_ThoughAnotherIsNamedByTheDigits()
    {
        var (s, page) = await AdminAsync(1, 1);
        await s.FundAsync("1000.00");
        var staffCover = s.Categories["staff-cover"];
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/categories", new { code = "pot-two", name = $"{staffCover}", kind = "programme-pot" }))
            .Expect(HttpStatusCode.Created);
        var html = await UploadAsync(page, $"/admin/allocations/import?yearId={s.YearId}", $"URN,category,amount\r\n{s.Schools[0].Urn},{staffCover},1.00\r\n");
        Assert.True(PageForms.Problems(html).Count == 0, string.Join("; ", PageForms.Problems(html)));
        Assert.Equal([["staff-cover", "1", "£1.00"]], Rows(html, "categories"));
    }

    [Theory]
    [InlineData("", "Select a CSV file to import")]
    [InlineData("URN,category,amount\r\n", "The file has no rows below its header")]
    [InlineData("URN,category\r\n100001,staff-cover\r\n", "The file has no 'amount' column")]
    [InlineData("many", "The file has more than 20,000 rows: allocate them in parts")]
    public async Task ImportPage_AFileEmptyOrOfTooManyRows_IsRefusedOnTheFile_AndPostsNothing(string csv, string said)
    {
        var (s, page) = await AdminAsync(1, 1);
        await s.FundAsync("1000.00");
        if (csv == "many") csv = "URN,category,amount\r\n" + string.Concat(Enumerable.Repeat($"{s.Schools[0].Urn},staff-cover,0.01\r\n", 20_001));
        var before = await WrittenAsync();
        var html = await UploadAsync(page, $"/admin/allocations/import?yearId={s.YearId}", csv);
        var problem = Assert.Single(PageForms.Problems(html));
        Assert.Equal("file", problem.Field);
        Assert.StartsWith(said, problem.Text);
        Assert.Equal(before, await WrittenAsync());
    }

    [Fact]
    public async Task ImportPage_MoreThanUnallocated_IsNamedOnTheFile_AndTheRowsCarriedToConfirm_AreCheckedAgain_NeverA500()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("100.00");
        var url = $"/admin/allocations/import?yearId={s.YearId}";
        var (a, b) = (s.Schools[0].Urn, s.Schools[1].Urn);
        var before = await WrittenAsync();
        var over = await UploadAsync(page, url, $"URN,category,amount\r\n{a},staff-cover,60.00\r\n{b},staff-cover,40.01\r\n");
        var problem = Assert.Single(PageForms.Problems(over));
        Assert.Equal("file", problem.Field);
        Assert.Contains("0.01 too much", problem.Text);
        Assert.Equal(before, await WrittenAsync());

        var html = await UploadAsync(page, url, $"URN,category,amount\r\n{a},staff-cover,60.00\r\n");
        var (action, fields) = PageForms.ConfirmingForm(html);
        var failures = new List<string>();
        foreach (var rows in new[] { "", "\u0000", $"URN,category,amount\r\n{a},staff-cover,160.00\r\n", $"URN,category,amount\r\n{a},999999,1.00\r\n", new string('x', 5000), "<script>alert(1)</script>" })
        {
            var sent = fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Key == "rows" ? rows
                : f.Key == GrantLedger.Web.Pages.GovPage.FormKeyField ? Guid.NewGuid().ToString("N") : WebUtility.HtmlDecode(f.Value))).ToList();
            var errors = ServerErrors.Logged;
            using var answer = await ConfirmAsync(page, action, sent);
            if ((int)answer.StatusCode >= 500 || ServerErrors.Logged != errors) failures.Add($"rows={rows[..Math.Min(20, rows.Length)]} → {(int)answer.StatusCode}");
            else if (await WrittenAsync() != before) failures.Add($"rows={rows[..Math.Min(20, rows.Length)]} → {(int)answer.StatusCode}, but something was written");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The other roles are refused the two pages' forms as they are the pages: sent to the forbidden page, nothing written.</summary>
    [Fact]
    public async Task OneSchoolAndImportPages_PostedByAnotherRole_AreRefused_AndPostNothing()
    {
        var (s, admin) = await AdminAsync(1, 1);
        await s.FundAsync("100.00");
        var check = await UploadAsync(admin, $"/admin/allocations/import?yearId={s.YearId}", $"URN,category,amount\r\n{s.Schools[0].Urn},staff-cover,10.00\r\n");
        var (action, fields) = PageForms.ConfirmingForm(check);
        foreach (var user in new[] { await s.SchoolUserAsync(Db), await s.AreaLeadAsync(Db), await s.FinanceAsync(Db), await s.AuditorAsync(Db) })
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, user.UserName);
            var before = await WrittenAsync(); // after signing in, which the trail records
            using var start = await page.GetAsync("/"); // the role's own start page, which has a form (signing out)
            var token = PageFormFuzzTests.TokenOf(await page.GetStringAsync(start.Headers.Location?.OriginalString ?? "/"));
            var posts = new[]
            {
                (action, fields.Select(f => f.Key == PageFormFuzzTests.Token ? new KeyValuePair<string, string>(f.Key, token) : new(f.Key, WebUtility.HtmlDecode(f.Value))).ToList()),
                ($"/admin/allocations/school?handler=Confirm&yearId={s.YearId}", new List<KeyValuePair<string, string>>
                {
                    new("schoolId", s.Schools[0].Id.ToString()), new("categoryId", s.Categories["staff-cover"].ToString()), new("amount", "10.00"), new(PageFormFuzzTests.Token, token),
                }),
            };
            foreach (var (url, sent) in posts)
            {
                using var refused = await page.PostAsync(url, new FormUrlEncodedContent(sent));
                Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
                Assert.Equal("/forbidden", refused.Headers.Location!.AbsolutePath);
            }
            Assert.Equal(before, await WrittenAsync());
        }
    }
}

using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>The auditor's ledger pages: every account a page at a time, money as people read it, one sign convention.</summary>
public sealed class LedgerPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static string Caption(string html, string table) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"<table class=\"govuk-table\" id=\"{table}\">\\s*<caption[^>]*>(.*?)</caption>", RegexOptions.Singleline).Groups[1].Value).Trim();

    private static List<string> Codes(string html) =>
        Regex.Matches(html, "<a class=\"govuk-link\" href=\"/ledger/accounts/\\d+\">([^<]+)</a>").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task Accounts_AreShownAPageAtATime_WithTheTrueCount_AndEveryAccountOnSomePage()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await Db.ScalarAsync("""
            WITH a AS (INSERT INTO account (programme_id, unit, code, name, normal_side)
                       SELECT $1, 'GBP', 'tp:zz:' || lpad(g::text, 4, '0'), 'Filler ' || g, 'debit' FROM generate_series(1, 600) g RETURNING 1)
            SELECT count(*) FROM a
            """, s.ProgrammeId);
        var total = await Db.ScalarAsync("SELECT count(*) FROM account WHERE programme_id = $1", s.ProgrammeId);
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var first = await page.GetStringAsync($"/ledger?programmeId={s.ProgrammeId}");
        Assert.Equal($"Accounts 1 to 500 of {total:N0}", Caption(first, "accounts"));
        Assert.Contains("govuk-pagination", first);
        Assert.Contains($"href=\"/ledger?programmeId={s.ProgrammeId}&amp;page=2\"", first);
        var second = await page.GetStringAsync($"/ledger?programmeId={s.ProgrammeId}&page=2");
        Assert.Equal($"Accounts 501 to {total:N0} of {total:N0}", Caption(second, "accounts"));
        Assert.Contains("rel=\"prev\"", second);
        var all = Codes(first).Concat(Codes(second)).ToList();
        Assert.Equal(total, all.Count);
        Assert.Equal(total, all.Distinct().Count() + all.GroupBy(c => c).Sum(g => g.Count() - 1)); // GBP and MIN may share a code

        var few = await page.GetStringAsync($"/ledger?programmeId={s.ProgrammeId}&prefix=tp:zz:00");
        Assert.Equal("99 accounts", Caption(few, "accounts"));
        Assert.DoesNotContain("govuk-pagination", few);
    }

    [Fact]
    public async Task LedgerPages_ShowMoneyInPounds_TheSideOfEachBalance_AndNoTableForADateRefused()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("420000.00");
        await s.AllocateEachAsync("staff-cover", "11500.00");
        var code = s.SchoolAccount(0, "staff-cover", "available");
        var id = (await s.AccountAsync(code))["id"]!.GetValue<long>();
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var accounts = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger?programmeId={s.ProgrammeId}&prefix={code}"));
        Assert.Contains("£11,500.00 Cr", accounts);
        Assert.DoesNotContain("11500.00", accounts);
        // the code filter's example is one of the programme's own school codes, on the accounts page and the journal's
        var example = $"For example, tp:2026-27:school:{s.Schools[0].Urn}<";
        Assert.Contains(example, accounts);
        Assert.Contains(example, WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}")));
        var statement = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/accounts/{id}"));
        Assert.Contains("£11,500.00 Cr", Regex.Match(statement, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
        var trial = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}"));
        var row = Regex.Match(trial, $"<tr class=\"govuk-table__row\"><td[^>]*>{Regex.Escape(code)}</td>.*?</tr>").Value;
        Assert.Contains("£11,500.00 Cr", row);
        Assert.DoesNotContain("-£", row); // debits less credits, negative, read as a balance on the other side of the statement's
        Assert.Contains("£420,000.00", trial);

        var refused = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger?programmeId={s.ProgrammeId}&asOf-day=31&asOf-month=4&asOf-year=2027"));
        Assert.Contains("govuk-error-summary", refused);
        Assert.DoesNotContain("id=\"accounts\"", refused);
    }

    [Fact]
    public async Task AuditorsClaimsList_ShowsWhatWasApproved_BesideWhatWasClaimed()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var lineId = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00", reason = "half a day evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        var html = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims?programmeId={w.S.ProgrammeId}"));
        Assert.Contains(">Approved</th>", html);
        var row = Regex.Match(html, $"<a class=\"govuk-link\" href=\"/ledger/claims/{id}[?\"].*?</tr>", RegexOptions.Singleline).Value;
        Assert.Contains("£250.00", row);
        Assert.Contains("£200.00", row);
    }

    /// <summary>
    /// A claim approved in full has no line approved for less: its page on the ledger said nothing under Approved, where the
    /// claims list beside it gives the amount approved. Both give it now, and neither gives one before approval.
    /// </summary>
    [Fact]
    public async Task AuditorsClaimPage_ApprovedInFull_SaysWhatWasApproved_AsTheClaimsListDoes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        string Approved(string html) => Regex.Match(html, "<dt class=\"govuk-summary-list__key\">Approved</dt><dd[^>]*>(.*?)</dd>").Groups[1].Value;
        Assert.Equal("", Approved(WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims/{id}"))));

        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("£250.00 of the school's budget and 1 day of its contact-time allowance", Approved(WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims/{id}"))));
        var list = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims?programmeId={w.S.ProgrammeId}"));
        Assert.Contains("£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span></td></tr>", Regex.Replace(Regex.Match(list, $"href=\"/ledger/claims/{id}[?\"].*?</tr>", RegexOptions.Singleline).Value, @"\s+<", "<"));
    }

    /// <summary>
    /// The ledger's claims showed the newest 500 with no filter: at national scale an older claim could be reached only
    /// through the journal. They are found by reference, school (name or URN), area, status and half-term, 100 a page with
    /// the true count, every claim on some page; a filter that cannot be read is named and lists nothing.
    /// </summary>
    [Fact]
    public async Task LedgerClaims_AreFoundByReferenceSchoolAreaStatusAndHalfTerm_APageAtATime()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var approved = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var other = await w.NewClaimAsync(w.OtherSchool, period: "aut2");
        var farSchool = await w.S.SchoolUserAsync(Db, 2); // area 2's
        var far = await w.NewClaimAsync(farSchool);
        var drafts = new List<long>();
        for (var i = 0; i < 100; i++) drafts.Add(await w.NewClaimAsync());
        var total = 103;
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        async Task<(string Html, List<long> Ids)> ListAsync(string query)
        {
            var html = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims?programmeId={w.S.ProgrammeId}{query}"));
            return (html, Regex.Matches(html, "<a class=\"govuk-link\" href=\"/ledger/claims/(\\d+)[?\"]").Select(m => long.Parse(m.Groups[1].Value)).ToList());
        }

        var first = await ListAsync("");
        Assert.Equal($"Claims 1 to 100 of {total}, newest first", Caption(first.Html, "claims"));
        Assert.Equal(drafts.AsEnumerable().Reverse(), first.Ids);
        Assert.Contains($"href=\"/ledger/claims?programmeId={w.S.ProgrammeId}&page=2\"", first.Html);
        var second = await ListAsync("&page=2");
        Assert.Equal($"Claims 101 to {total} of {total}, newest first", Caption(second.Html, "claims"));
        Assert.Equal([far, other, approved], second.Ids);

        Assert.Equal([approved], (await ListAsync($"&claim=CLM-{approved:D6}")).Ids);
        Assert.Equal([approved], (await ListAsync($"&claim={approved}")).Ids);
        Assert.Equal("1 claim", Caption((await ListAsync("&state=approved")).Html, "claims"));
        Assert.Equal([approved], (await ListAsync("&state=approved")).Ids);
        Assert.Equal([other], (await ListAsync($"&q={w.S.Schools[1].Urn}")).Ids);
        Assert.Equal([far], (await ListAsync($"&q=school+{w.S.Schools[2].Urn[..5]}&areaId={w.S.AreaIds[1]}")).Ids);
        Assert.Equal([far], (await ListAsync($"&areaId={w.S.AreaIds[1]}")).Ids);
        var aut2 = await ListAsync($"&periodId={w.Periods["aut2"]}");
        Assert.Equal([other], aut2.Ids);
        Assert.Contains($"<option value=\"{w.Periods["aut2"]}\" selected>Autumn 2 2026-27</option>", aut2.Html);
        // a page of a filtered list keeps its filters
        Assert.Contains($"href=\"/ledger/claims?programmeId={w.S.ProgrammeId}&state=draft&page=2\"", (await ListAsync("&state=draft")).Html);
        // the CSV has every claim the filters find, not a page's
        async Task<string[]> CsvAsync(string query)
        {
            using var answer = await page.GetAsync($"/ledger/claims?handler=csv&programmeId={w.S.ProgrammeId}{query}");
            return (await CsvDownloads.FromPageAsync(answer)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith('#')).ToArray(); // after the query's provenance, as every CSV of the service
        }
        var u = w.S.Schools[0].Urn;
        var csv = await CsvAsync("&state=approved");
        Assert.Equal("claim,school_urn,school,area,half_term,state,claimed,claimed_minutes,approved,approved_minutes,submitted_at,reason", csv[0]);
        Assert.Matches($"^CLM-{approved:D6},{u},School {u},Area 1,Autumn 1 2026-27,approved,250.00,450,250.00,450,\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ,$", csv[1]);
        Assert.Equal(2, csv.Length);
        Assert.Equal(total + 1, (await CsvAsync("")).Length);
        Assert.Contains($"href=\"/ledger/claims?handler=csv&programmeId={w.S.ProgrammeId}&state=approved\"", (await ListAsync("&state=approved")).Html);
        var none = await ListAsync("&state=approved&areaId=" + w.S.AreaIds[1]);
        Assert.Empty(none.Ids);
        Assert.Contains("No claims match these filters.", none.Html);

        foreach (var (query, error) in new[]
                 {
                     ("&state=nope", "Select the status from the list"), ("&claim=CLM-abc", "The claim must be its reference, like CLM-000042, or its number, like 42"),
                     ("&areaId=999999", "Select the area from the list"), ("&periodId=x", "Select the half-term from the list"),
                     ($"&q={new string('a', 201)}", "The school must be at most 200 characters"),
                 })
        {
            var refused = await ListAsync(query);
            Assert.Empty(refused.Ids);
            Assert.Contains(error, refused.Html);
            Assert.Contains("Put the filters right to list the claims.", refused.Html);
        }
        // the statuses as the tags give them: a draft the lead returned is "Returned", not among the drafts
        var returned = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Name the training" })).Expect(HttpStatusCode.OK);
        Assert.Equal([returned], (await ListAsync("&state=returned")).Ids);
        var draftsNow = (await ListAsync("&state=draft")).Ids.Concat((await ListAsync("&state=draft&page=2")).Ids).ToList();
        Assert.Equal(drafts.Concat([other, far]).Order(), draftsNow.Order());
    }

    /// <summary>
    /// An auditor draws a sample of the claims the filters find to test, as a rule anyone can apply again without the
    /// service: claims ordered by the SHA-256 of "seed:number", the first n taken. The same seed draws the same sample; a
    /// larger one holds the smaller; one asked without a seed gets a new seed in its address, to write down.
    /// </summary>
    [Fact]
    public async Task LedgerClaims_ASampleIsDrawnByTheDocumentedRule_AndTheSameSeedDrawsItAgain()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var approved = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var id = await w.UnderReviewAsync($"STAFF-0{i + 1}", w.S.On($"10-0{i + 5}"));
            (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
            approved.Add(id);
        }
        var drafts = new List<long>();
        for (var i = 0; i < 30; i++) drafts.Add(await w.NewClaimAsync());
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        async Task<(string Html, List<long> Ids)> ListAsync(string query)
        {
            var html = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims?programmeId={w.S.ProgrammeId}{query}"));
            return (html, Regex.Matches(html, "<a class=\"govuk-link\" href=\"/ledger/claims/(\\d+)[?\"]").Select(m => long.Parse(m.Groups[1].Value)).ToList());
        }
        static List<long> Drawn(IEnumerable<long> population, string seed, int n) => population // the rule as the page states it
            .OrderBy(id => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{seed}:{id}"))), StringComparer.Ordinal)
            .Take(n).ToList();

        var all = approved.Concat(drafts).ToList();
        var five = await ListAsync("&sample=5&seed=audit-2026");
        Assert.Equal(Drawn(all, "audit-2026", 5), five.Ids);
        Assert.Equal("A sample of 5 of the 33 claims these filters find, drawn with the seed audit-2026, in the order drawn", Caption(five.Html, "claims"));
        Assert.Contains("<code>audit-2026:42</code>", five.Html);
        Assert.Equal(five.Ids, (await ListAsync("&sample=5&seed=audit-2026")).Ids);
        Assert.Equal(five.Ids, (await ListAsync("&sample=8&seed=audit-2026")).Ids[..5]);
        Assert.NotEqual(five.Ids, (await ListAsync("&sample=5&seed=audit-2027")).Ids);
        // drawn from what the filters find alone; a sample larger than that takes it all, in the order drawn
        Assert.Equal(Drawn(approved, "s", 3), (await ListAsync("&state=approved&sample=10&seed=s")).Ids);
        // the CSV of the sample, in the order drawn
        var csv = (await page.GetStringAsync($"/ledger/claims?handler=csv&programmeId={w.S.ProgrammeId}&sample=5&seed=audit-2026"))
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Skip(1).Select(l => long.Parse(l[4..10])).ToList();
        Assert.Equal(five.Ids, csv);
        // a claim opened from the sample leads back to the sample, not the programme's whole list
        var opened = Regex.Match(five.Html, $"href=\"(/ledger/claims/{five.Ids[0]}\\?list=[^\"]+)\"").Groups[1].Value;
        var back = Regex.Match(WebUtility.HtmlDecode(await page.GetStringAsync(opened)), "<a class=\"govuk-link\" href=\"([^\"]*)\">Back to claims</a>").Groups[1].Value;
        Assert.Equal($"/ledger/claims?programmeId={w.S.ProgrammeId}&sample=5&seed=audit-2026", back);
        Assert.Equal(five.Ids, (await ListAsync(back[(back.IndexOf('&'))..])).Ids);

        // no seed: a new one, in the address the page leads to
        using var redirect = await page.GetAsync($"/ledger/claims?programmeId={w.S.ProgrammeId}&sample=4");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var seed = Regex.Match(redirect.Headers.Location!.OriginalString, $"^/ledger/claims\\?programmeId={w.S.ProgrammeId}&sample=4&seed=(\\d{{6}})$").Groups[1].Value;
        var chosen = await ListAsync($"&sample=4&seed={seed}");
        Assert.NotEqual("", seed);
        Assert.Equal(Drawn(all, seed, 4), chosen.Ids);

        foreach (var (query, error) in new[]
                 {
                     ("&sample=0", "The sample size must be a whole number from 1 to 500"), ("&sample=501", "The sample size must be a whole number from 1 to 500"),
                     ("&sample=ten", "The sample size must be a number, like 42"), ($"&sample=5&seed={new string('x', 101)}", "The seed must be at most 100 characters"),
                 })
        {
            var refused = await ListAsync(query);
            Assert.Empty(refused.Ids);
            Assert.Contains(error, refused.Html);
        }
    }

    /// <summary>
    /// An auditor reads every programme: a claim's page of the second led "Back to claims" to /ledger/claims, the first
    /// programme's list, without the claim on it. The link names the claim's programme.
    /// </summary>
    [Fact]
    public async Task AuditorsClaimPage_BackToClaims_LeadsToTheClaimsOfItsProgramme_NotTheFirstProgrammes()
    {
        await Scenario.CreateAsync(Db, 1, 1, code: "first"); // the programme /ledger/claims shows when none is chosen
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var claim = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/claims/{id}"));
        var back = Regex.Match(claim, "<a class=\"govuk-link\" href=\"([^\"]*)\">Back to claims</a>").Groups[1].Value;
        Assert.Equal($"/ledger/claims?programmeId={w.S.ProgrammeId}", back);
        Assert.Contains($"href=\"/ledger/claims/{id}?list=", await page.GetStringAsync(back));
    }

    /// <summary>
    /// A statement's "Back to accounts" led to /ledger: the first programme's accounts, at today's balances, where the
    /// auditor came from another programme's accounts as of a date. It leads back to the statement's programme, as of the
    /// statement's date when it has one.
    /// </summary>
    [Fact]
    public async Task Statement_BackToAccounts_LeadsToItsProgrammesAccounts_AsOfTheStatementsDate()
    {
        await Scenario.CreateAsync(Db, 1, 1, code: "first");
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00"); // 1 September 2026
        var code = $"{s.Code}:{s.YearCode}:unallocated";
        var id = (await s.AccountAsync(code))["id"]!.GetValue<long>();
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        string Back(string html) => WebUtility.HtmlDecode(Regex.Match(html, "<a class=\"govuk-link\" href=\"([^\"]*)\">Back to accounts</a>").Groups[1].Value);

        Assert.Equal($"/ledger?programmeId={s.ProgrammeId}", Back(await page.GetStringAsync($"/ledger/accounts/{id}")));
        var back = Back(await page.GetStringAsync($"/ledger/accounts/{id}?asOf=2026-09-15"));
        Assert.Equal($"/ledger?programmeId={s.ProgrammeId}&asOf-day=15&asOf-month=9&asOf-year=2026", back);
        var accounts = WebUtility.HtmlDecode(await page.GetStringAsync(back));
        Assert.Contains(", balances as of 15 September 2026", Caption(accounts, "accounts"));
        Assert.Contains($">{code}</a>", accounts);
    }

    /// <summary>
    /// The ledger page as of a date showed an account at its balance then, but the account's link led to its whole history
    /// (a Closing balance of today's, £0.00 after a year end), and ?to= or ?asOf= were ignored. The link carries the date,
    /// and the statement runs up to it, saying so.
    /// </summary>
    [Fact]
    public async Task AccountLink_FromTheLedgerAsOfADate_ShowsTheStatementUpToThatDate_AndSaysIt()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00"); // 1 September 2026
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-01"), lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "40.00" } },
        })).Expect(HttpStatusCode.Created);
        var code = $"{s.Code}:{s.YearCode}:unallocated";
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var accounts = WebUtility.HtmlDecode(await page.GetStringAsync(
            $"/ledger?programmeId={s.ProgrammeId}&asOf-day=15&asOf-month=9&asOf-year=2026&prefix={Uri.EscapeDataString(code)}"));
        Assert.Contains("£100.00 Cr", accounts);
        var link = Regex.Match(accounts, $"<a class=\"govuk-link\" href=\"(/ledger/accounts/[^\"]+)\">{Regex.Escape(code)}</a>").Groups[1].Value;
        Assert.Matches(@"^/ledger/accounts/\d+\?asOf=2026-09-15$", link);
        var statement = WebUtility.HtmlDecode(await page.GetStringAsync(link));
        Assert.Contains("£100.00 Cr", Regex.Match(statement, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
        Assert.Contains("15 September 2026", statement);
        Assert.DoesNotContain("1 Oct 2026", statement); // the allocation after the date is not on it

        var id = link.Split('/', '?')[3];
        var whole = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/accounts/{id}"));
        Assert.Contains("£60.00 Cr", Regex.Match(whole, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
        var to = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/accounts/{id}?to=2026-09-15"));
        Assert.Contains("£100.00 Cr", Regex.Match(to, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
    }

    /// <summary>
    /// The funder's finance team reconciles the payments against the ledger: they could open the ledger's pages, as staff,
    /// but their navigation led only to payment runs, closing and exports. It links the ledger, whose pages link each other.
    /// </summary>
    [Fact]
    public async Task FunderFinance_FindsTheLedgerInTheirNavigation_ItsPagesLinkedOnEach_AndReadsTheirProgrammesFigures()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("420000.00");
        await s.AllocateEachAsync("staff-cover", "11500.00");
        var finance = await s.FinanceAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);

        var home = await page.GetStringAsync("/finance");
        var nav = Regex.Match(home, "<nav.*?</nav>", RegexOptions.Singleline).Value;
        Assert.Contains("href=\"/ledger\"", nav);
        // the ledger's pages carry their own navigation: the accounts, the trial balance, the journal …
        var accounts = await page.GetStringAsync("/ledger");
        var ledger = Regex.Match(accounts, "<nav class=\"gl-sub-navigation\" aria-label=\"Ledger\">.*?</nav>", RegexOptions.Singleline).Value;
        Assert.Contains("href=\"/ledger/trial-balance\"", ledger);
        Assert.Contains("href=\"/ledger/journal\"", ledger);
        Assert.DoesNotContain("gl-sub-navigation", home);
        var trial = WebUtility.HtmlDecode(await page.GetStringAsync("/ledger/trial-balance"));
        Assert.Contains("href=\"/ledger/trial-balance\" aria-current=\"page\"", trial);
        Assert.Contains("£420,000.00", trial);
        var row = Regex.Match(trial, $"<tr class=\"govuk-table__row\"><td[^>]*>{Regex.Escape(s.SchoolAccount(0, "staff-cover", "available"))}</td>.*?</tr>").Value;
        Assert.Contains("£11,500.00 Cr", row);
        Assert.Contains("aria-current", Regex.Match(trial, "<nav.*?</nav>", RegexOptions.Singleline).Value);
    }
    /// <summary>A programme of 250 schools with two categories allocated: 500 school accounts with balances, its funding and unallocated.</summary>
    private async Task<Scenario> TwoHundredAndFiftySchoolsAsync()
    {
        var s = await Scenario.CreateAsync(Db, 1, 250);
        await s.FundAsync("1000000.00");
        await s.AllocateEachAsync("staff-cover", "1000.00");
        await s.AllocateEachAsync("action-plan", "1000.00");
        return s;
    }

    /// <summary>
    /// PINS's trial balance of every account was one page of 8,412 rows, 3.3 MB of HTML; it is read 500 rows at a time, as the
    /// accounts are, the totals over every account on each page and the detail and date kept from page to page.
    /// </summary>
    [Fact]
    public async Task TrialBalance_ShowsItsAccountsAPageAtATime_WithTheTotalsOfEveryAccount()
    {
        var s = await TwoHundredAndFiftySchoolsAsync();
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var first = await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}");
        Assert.Equal("Accounts 1 to 500 of 502", Caption(first, "trial-balance"));
        Assert.Equal(500, Regex.Matches(Regex.Match(first, "id=\"trial-balance\">.*?</table>", RegexOptions.Singleline).Value, "<tr class=\"govuk-table__row\"><td").Count);
        Assert.Contains($"href=\"/ledger/trial-balance?programmeId={s.ProgrammeId}&amp;page=2\"", first);
        var second = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}&page=2"));
        Assert.Equal("Accounts 501 to 502 of 502", Caption(second, "trial-balance"));
        Assert.Contains("£1,500,000.00", Regex.Match(second, "id=\"totals\">.*?</table>", RegexOptions.Singleline).Value);
        Assert.Contains("rel=\"prev\"", second);

        var bySchool = await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}&depth=4&asOf-day=30&asOf-month=11&asOf-year=2026");
        Assert.Equal("252 accounts", Caption(bySchool, "trial-balance"));
        Assert.DoesNotContain("govuk-pagination", bySchool);
        var byKind = await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}&depth=3");
        Assert.Equal("3 accounts", Caption(byKind, "trial-balance"));
    }
    /// <summary>
    /// The trial balance's Detail says what each choice sums: "By school" gave a row per school and category and "By school and
    /// category" every account, each one segment of the code deeper than its name.
    /// </summary>
    [Fact]
    public async Task TrialBalance_BySchool_GivesARowPerSchool_AndBySchoolAndCategory_ARowPerCategoryOfEach()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("100000.00");
        await s.AllocateEachAsync("staff-cover", "1000.00");
        await s.AllocateEachAsync("action-plan", "500.00");
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        var form = await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}");
        string Depth(string label) => Regex.Match(form, $"<option value=\"(\\d*)\"[^>]*>{label}</option>").Groups[1].Value;
        async Task<List<string>> AccountsAsync(string label) =>
            Regex.Matches(await page.GetStringAsync($"/ledger/trial-balance?programmeId={s.ProgrammeId}&depth={Depth(label)}"),
                "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell gl-break-all\">([^<]+)</td>").Select(m => m.Groups[1].Value).ToList();

        var school = $"tp:2026-27:school:{s.Schools[0].Urn}";
        var bySchool = await AccountsAsync("By school");
        Assert.Equal(1, bySchool.Count(a => a.StartsWith(school)));
        Assert.Contains(school, bySchool);
        var byCategory = await AccountsAsync("By school and category");
        Assert.Equal([$"{school}:action-plan", $"{school}:staff-cover"], byCategory.Where(a => a.StartsWith(school)).Order().ToList());
        Assert.Contains($"{school}:staff-cover:available", await AccountsAsync("Every account"));
    }
    /// <summary>
    /// An account's statement was one page of every transfer: PINS's unallocated account, one per school and category
    /// allocated, 4.4 MB. It is read 500 at a time, each balance the running one over the whole statement, the last page's
    /// the closing balance, the as-of date kept from page to page.
    /// </summary>
    [Fact]
    public async Task Statement_ShowsItsTransfersAPageAtATime_TheRunningBalanceCarriedOn()
    {
        var s = await TwoHundredAndFiftySchoolsAsync();
        var id = (await s.AccountAsync("tp:2026-27:unallocated"))["id"]!.GetValue<long>();
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        static List<string> Balances(string html) =>
            Regex.Matches(Regex.Match(html, "id=\"statement\">.*?(<tbody.*?</tbody>)", RegexOptions.Singleline).Groups[1].Value, "<tr class=\"govuk-table__row\">.*?</tr>", RegexOptions.Singleline)
                .Select(r => WebUtility.HtmlDecode(Regex.Matches(r.Value, "<td[^>]*>(.*?)</td>", RegexOptions.Singleline).Last().Groups[1].Value)).ToList();

        var first = await page.GetStringAsync($"/ledger/accounts/{id}?asOf=2026-11-30");
        Assert.Equal("Transfers 1 to 500 of 501", Caption(first, "statement"));
        Assert.Equal(500, Balances(first).Count);
        Assert.Equal("£1,000,000.00 Cr", Balances(first)[0]);
        Assert.Contains($"href=\"/ledger/accounts/{id}?asOf=2026-11-30&amp;page=2\"", first);
        var second = await page.GetStringAsync($"/ledger/accounts/{id}?asOf=2026-11-30&page=2");
        Assert.Equal("Transfers 501 to 501 of 501", Caption(second, "statement"));
        Assert.Equal(["£500,000.00 Cr"], Balances(second));
        Assert.Contains("£500,000.00 Cr", WebUtility.HtmlDecode(Regex.Match(second, "id=\"closing\">(.*?)</dd>").Groups[1].Value));

        var school = (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["id"]!.GetValue<long>();
        var one = await page.GetStringAsync($"/ledger/accounts/{school}");
        Assert.Equal("1 transfer", Caption(one, "statement"));
        Assert.DoesNotContain("govuk-pagination", one);
    }

    /// <summary>
    /// The statement page reads its page of lines from the database, where it read every line and showed 500: page 2 is the
    /// whole statement's lines from the 501st on, as the API gives them, each with its running balance; among them an
    /// allocation recorded last but dated the first day, and a funding recorded after an allocation dated later.
    /// </summary>
    [Fact]
    public async Task Statement_SecondPage_ShowsTheWholeStatementsLinesFrom501_WithTheirRunningBalances()
    {
        var s = await TwoHundredAndFiftySchoolsAsync();
        object OneSchool(string valueDate, string amount) => new
        {
            valueDate, lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount } },
        };
        (await s.Root.PostAsync($"{s.Year}/allocations", OneSchool(s.On("11-02"), "250.00"))).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "75.50", reference = "top-up", valueDate = s.On("10-15") })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", OneSchool(s.On("09-01"), "1.25"))).Expect(HttpStatusCode.Created);
        var id = (await s.AccountAsync("tp:2026-27:unallocated"))["id"]!.GetValue<long>();
        var whole = (await s.Root.GetAsync($"/api/v1/accounts/{id}/statement")).Expect(HttpStatusCode.OK).Json;
        var lines = whole["lines"]!.AsArray();
        Assert.Equal(504, lines.Count);
        static string Cr(string amount) => $"£{decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture).ToString("N2", System.Globalization.CultureInfo.InvariantCulture)} Cr";
        var expected = lines.Skip(500).Select(l => (
            DateOnly.Parse(l!["valueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture),
            l["entryId"]!.GetValue<long>().ToString(), Cr(l["runningBalance"]!.GetValue<string>()))).ToList();
        Assert.Equal(["1 Sep 2026", "1 Sep 2026", "15 Oct 2026", "2 Nov 2026"], expected.Select(e => e.Item1).ToList());

        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);
        var second = await PageTables.Read(page, $"/ledger/accounts/{id}?page=2");
        Assert.Equal("Transfers 501 to 504 of 504", Caption(second, "statement"));
        var rows = PageTables.Rows(PageTables.Table(second, "statement")).Select(PageTables.Cells).ToList();
        Assert.Equal(expected, rows.Select(r => (r[0], r[1], r[7])).ToList());
        Assert.Contains(Cr(whole["closingBalance"]!.GetValue<string>()), Regex.Match(second, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
        var first = await PageTables.Read(page, $"/ledger/accounts/{id}");
        Assert.Equal(Cr(lines[499]!["runningBalance"]!.GetValue<string>()), PageTables.Cells(PageTables.Rows(PageTables.Table(first, "statement")).Last())[7]);
        Assert.Contains(Cr(whole["closingBalance"]!.GetValue<string>()), Regex.Match(first, "id=\"closing\">(.*?)</dd>").Groups[1].Value);
    }

    /// <summary>
    /// The journal's School URN field gave 100001 as its example, a URN neither demo programme has (PINS's run from 200001):
    /// it gives the programme's first school's, as the account code's example does.
    /// </summary>
    [Fact]
    public async Task Journal_SchoolUrnExample_IsOneOfTheProgrammesSchools()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var auditor = await s.AuditorAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName);

        var journal = WebUtility.HtmlDecode(await page.GetStringAsync($"/ledger/journal?programmeId={s.ProgrammeId}"));
        Assert.Contains($"The school's six-digit Unique Reference Number, for example {s.Schools[0].Urn}<", journal);
        Assert.DoesNotContain("100001<", journal);
    }
}

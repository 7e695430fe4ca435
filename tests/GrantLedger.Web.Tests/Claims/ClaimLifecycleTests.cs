using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

public sealed class ClaimLifecycleTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Submit_ReservesMoneyAndMinutes_AsPendingTransfers()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        var claim = (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("submitted", claim["state"]!.GetValue<string>());
        var available = await w.AccountAsync(0, "staff-cover", "available");
        Assert.Equal("250.00", available["debitsPending"]!.GetValue<string>());
        Assert.Equal("750.00", available["available"]!.GetValue<string>());
        Assert.Equal("450", (await w.AccountAsync(0, "contact-time", "available", "MIN"))["debitsPending"]!.GetValue<string>());
        Assert.Equal("submit", claim["history"]![0]!["trigger"]!.GetValue<string>());
        Assert.NotNull(claim["history"]![0]!["entryId"]);
    }

    [Fact]
    public async Task Submit_WithoutTheDeclarationOrLines_Returns422()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines");
        await w.AddStaffTimeAsync(id);
        (await w.School.PostAsync($"/api/v1/claims/{id}/submit", new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "declaration");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'claim'"));
    }

    [Fact]
    public async Task Submit_BeyondWhatIsAvailable_Returns422SayingByHowMuch_AndChangesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        for (var day = 5; day <= 9; day++) await w.AddStaffTimeAsync(id, $"STAFF-0{day}", $"2026-10-0{day}", allowance: false); // 5 × £250 = £1,250
        var problem = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "claim-exceeds-available").Json;
        Assert.Equal("250.00", problem["shortfall"]!.GetValue<string>());
        Assert.Contains("£250.00 too much", problem["detail"]!.GetValue<string>());
        Assert.Equal("draft", (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["state"]!.GetValue<string>());
        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM staff_day"));
    }

    [Fact]
    public async Task Approve_InFull_PostsTheHoldToPayable()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var claim = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", claim["state"]!.GetValue<string>());
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        var available = await w.AccountAsync(0, "staff-cover", "available");
        Assert.Equal("0.00", available["debitsPending"]!.GetValue<string>());
        Assert.Equal("750.00", available["balance"]!.GetValue<string>());
        Assert.Equal("450", (await w.AccountAsync(0, "contact-time", "used", "MIN"))["balance"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) + sum(debits_pending - credits_pending) FROM account"));
    }

    /// <summary>
    /// Withdrawing a claim, which cannot be undone, is asked once more on a page of its own, and only its "Yes" withdraws
    /// it; it was one click of a button on the claim's page.
    /// </summary>
    [Fact]
    public async Task WithdrawingAClaim_IsAskedOnceMore_BeforeItIsDone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var claim = await page.GetStringAsync($"/school/claims/{id}");
        Assert.Contains($"href=\"/school/claims/{id}/withdraw\"", claim);
        Assert.DoesNotContain("handler=Withdraw", claim);
        var ask = await page.GetStringAsync($"/school/claims/{id}/withdraw");
        Assert.Contains("Are you sure you want to withdraw claim", ask);
        Assert.Contains("cannot be submitted again", ask);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'submitted'", id));
        using (var yes = await page.PostAsync($"/school/claims/{id}/withdraw", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(ask),
               })))
            Assert.Equal(HttpStatusCode.Redirect, yes.StatusCode);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'withdrawn'", id));
        // the claim's page, where the redirect leads, says what was done, once
        Assert.Contains("Claim withdrawn: what it reserved is back in your budget", await page.GetStringAsync($"/school/claims/{id}"));
        Assert.DoesNotContain("id=\"done\"", await page.GetStringAsync($"/school/claims/{id}"));
        using var again = await page.GetAsync($"/school/claims/{id}/withdraw"); // nothing left to withdraw: back to the claim
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
    }

    /// <summary>A returned claim's page gives its status as the claims list does, Returned, not Draft under a Returned banner.</summary>
    [Fact]
    public async Task AReturnedClaimsPage_SaysReturned_AsTheListDoes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = "attach the timesheet" })).Expect(HttpStatusCode.OK);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var state = System.Text.RegularExpressions.Regex.Match(await page.GetStringAsync($"/school/claims/{id}"), "id=\"claim-state\">(.*?)</dd>").Groups[1].Value;
        Assert.Contains(">Returned<", state);
        Assert.Contains(">Returned<", await page.GetStringAsync("/school/claims"));
    }

    /// <summary>
    /// An account's statement as CSV carries a hold's amount (its pending change), as the JSON does: a submitted claim's
    /// reservation read as a line of no amount.
    /// </summary>
    [Fact]
    public async Task AStatementAsCsv_CarriesAHoldsPendingChange()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        var account = (await w.AccountAsync(0, "staff-cover", "available"))["id"]!.GetValue<long>();
        var json = (await auditor.GetAsync($"/api/v1/audit/accounts/{account}/statement")).Expect(HttpStatusCode.OK).Json;
        var hold = json["lines"]!.AsArray().Single(l => l!["kind"]!.GetValue<string>() == "pending")!;
        var csv = (await auditor.GetAsync($"/api/v1/audit/accounts/{account}/statement?format=csv")).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).SkipWhile(x => x.StartsWith('#')).ToList();
        var columns = csv[0].Split(',');
        Assert.Equal(["pending_change", "running_balance"], columns[^2..]);
        var row = csv.Single(r => r.StartsWith($"{hold["transferId"]},")).Split(','); // the last columns hold no commas
        Assert.Equal(hold["pendingChange"]!.GetValue<string>(), row[^2]);
    }

    /// <summary>
    /// A claim's page says what each line approved, the ones approved in full too (their column was empty beside a total
    /// that counted them), names its lines' kinds and time as people say them ("Staff time", "0.5 days", not "Staff time",
    /// "0.5 day(s)" or "Tlr"), and who did each step by name, not "user 8".
    /// </summary>
    [Fact]
    public async Task AClaimsPage_ShowsWhatEachLineApproved_AndNamesItsKindsTimesAndPeople()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, claimLines) = await w.TwoLinesUnderReviewAsync(secondHours: "3.75");
        var lineId = claimLines[0];
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00", reason = "one day's cover evidenced at £200" } } }))
            .Expect(HttpStatusCode.OK);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var html = System.Net.WebUtility.HtmlDecode(await page.GetStringAsync($"/school/claims/{id}"));
        var lines = System.Text.RegularExpressions.Regex.Match(html, "<table class=\"govuk-table\" id=\"lines\">.*?</table>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        var rows = System.Text.RegularExpressions.Regex.Matches(lines, "<tr class=\"govuk-table__row\">(.*?)</tr>", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Replace(m.Groups[1].Value, "<[^>]+>", " "), @"\s+", " "))
            .Skip(1).ToList(); // the header's row first
        // each line's amounts with the staff time it takes, as the total gives them
        Assert.Matches(@"Staff time .*1 day .*£250\.00 +and 1 day of staff time +£200\.00 +and 1 day of staff time +one day's cover", rows[0]);
        Assert.Matches(@"Staff time .*0\.5 days .*£125\.00 +and 0\.5 days of staff time +£125\.00 +and 0\.5 days of staff time", rows[1]); // approved in full: its amount, not an empty cell
        Assert.Matches(@"Total +£375\.00 +and 1\.5 days of staff time +£325\.00 +and 1\.5 days of staff time", rows[2]); // approved for less, its time in full
        var leadName = await Db.DataSource.CreateCommand($"SELECT display_name FROM app_user WHERE id = {w.Lead.UserId}").ExecuteScalarAsync() as string;
        using var leadPage = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        html = System.Net.WebUtility.HtmlDecode(await leadPage.GetStringAsync($"/review/claims/{id}"));
        var history = System.Text.RegularExpressions.Regex.Match(html, "<table class=\"govuk-table\" id=\"history\">.*?</table>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        Assert.Contains($"{leadName} (", history);
        Assert.DoesNotContain("user ", history);
    }

    /// <summary>
    /// A claim approved for less gives the reviewer's reasons for its reduced lines wherever the school reads the outcome: the
    /// claims list's "Reviewer's reason" column, the claim's own page above its lines, and the list in the API. The column was
    /// empty: it showed only a return's or a rejection's reason.
    /// </summary>
    [Fact]
    public async Task AClaimApprovedForLess_GivesTheReasonsForItsReducedLines_OnTheSchoolsListAndClaimPage()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, claimLines) = await w.TwoLinesUnderReviewAsync();
        var lineId = claimLines[1];
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00", reason = "half a day's cover on the timesheet" } } }))
            .Expect(HttpStatusCode.OK);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var list = System.Net.WebUtility.HtmlDecode(await page.GetStringAsync("/school/claims"));
        var row = System.Text.RegularExpressions.Regex.Match(list, $"<tr class=\"govuk-table__row\">\\s*<td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/school/claims/{id}\">.*?</tr>",
            System.Text.RegularExpressions.RegexOptions.Singleline).Value;
        Assert.Matches(@"£450\.00<br><span class=""govuk-body-s"">and 2 days of staff time</span></td>\s*<td[^>]*>Line 2: half a day's cover on the timesheet", System.Text.RegularExpressions.Regex.Replace(row, "<(/?)(ul|li)[^>]*>", ""));
        var claim = System.Net.WebUtility.HtmlDecode(await page.GetStringAsync($"/school/claims/{id}"));
        var reason = System.Text.RegularExpressions.Regex.Match(claim, "<div class=\"govuk-inset-text\" id=\"reason\">(.*?)</div>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.Contains("Line 2: half a day's cover on the timesheet", reason.Groups[1].Value);
        using var leadPage = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Contains("can see the outcome and why you approved less on their claims list",
            System.Net.WebUtility.HtmlDecode(await leadPage.GetStringAsync($"/review/claims/{id}/done")));
        var listed = (await w.School.GetAsync("/api/v1/claims")).Expect(HttpStatusCode.OK).Json.AsArray().Single(c => c!["id"]!.GetValue<long>() == id)!;
        var given = Assert.Single(listed["lineReasons"]!.AsArray())!;
        Assert.Equal((2, "half a day's cover on the timesheet"), (given["lineNo"]!.GetValue<int>(), given["reason"]!.GetValue<string>()));
    }

    /// <summary>
    /// Every problem in the check-your-answers page's error summary links to what it is about (the evidence, the
    /// declaration, the lines past the budget), as GOV.UK's error summary asks; a submission's refusals were plain text.
    /// </summary>
    [Fact]
    public async Task CheckYourAnswers_LinksEachProblemToWhatItIsAbout()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0],
            supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "600.00" })).Expect(HttpStatusCode.Created);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        async Task<string> SubmitAsync(bool declared)
        {
            var form = await page.GetStringAsync($"/school/claims/{id}/check");
            var fields = new Dictionary<string, string> { [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(form) };
            if (declared) fields["declaration"] = "true";
            using var answer = await page.PostAsync($"/school/claims/{id}/check", new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = await answer.Content.ReadAsStringAsync();
            var summary = System.Text.RegularExpressions.Regex.Match(html, "<ul class=\"govuk-list govuk-error-summary__list\">(.*?)</ul>", System.Text.RegularExpressions.RegexOptions.Singleline);
            Assert.True(summary.Success, "no error summary");
            Assert.DoesNotMatch("<li>[^<]", summary.Groups[1].Value); // every problem a link
            return summary.Groups[1].Value;
        }
        Assert.Contains("href=\"#declaration\"", await SubmitAsync(declared: false));
        var evidence = await SubmitAsync(declared: true);
        Assert.Contains("href=\"#evidence\"", evidence);
        Assert.Contains("invoice or receipt", evidence);

        (await w.AttachAsync(id, ClaimWorld.Pdf(), "invoice.pdf", (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>()))
            .Expect(HttpStatusCode.Created);
        var budget = await SubmitAsync(declared: true); // £600 against the £500 allocated
        Assert.Contains("href=\"#lines\"", budget);
        Assert.Contains("100.00", budget);
    }

    /// <summary>
    /// A reviewer's refusals name the line, and a reason past the longest the database keeps is refused naming its field,
    /// on the API and on the page, which keeps what was typed: the page answered a bare 422 and the reason typed was lost.
    /// </summary>
    [Fact]
    public async Task AReviewersReasons_TooLongOrMissing_AreRefusedNamingTheFieldAndLine_AndThePageKeepsWhatWasTyped()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var lineId = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        Assert.Contains("on line 1", (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].reason").Body);
        Assert.Contains("250.00 claimed on line 1", (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "250.01", reason = "x" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].amount").Body);
        Assert.Contains("at most 1,000 characters", (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "1.00", reason = new string('x', 1001) } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].reason").Body);
        Assert.Contains("at most 2,000 characters", (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = new string('x', 2001) }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason").Body);

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var form = await page.GetStringAsync($"/review/claims/{id}/decide?action=reject");
        var typed = "The invoice is for another school. " + new string('x', 3000);
        using var answer = await page.PostAsync($"/review/claims/{id}/decide?action=reject", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(form), ["reason"] = typed,
        }));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = await answer.Content.ReadAsStringAsync();
        Assert.Contains("<title>Error: ", html);
        Assert.Contains("The reason must be at most 2,000 characters", html);
        Assert.Contains(typed, html);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));
    }

    /// <summary>
    /// The approve page shows every problem of a submit in one summary, each naming its field and line: a line's amount that
    /// is not money and its reason too long (or with a hidden character) are told together, and another line's amount past
    /// what was claimed says it is the amount to approve. The page gave the use case no reduction for a line whose amount it
    /// could not read, so that line's reason was told on the next submit; the use case's messages began "Must be…".
    /// </summary>
    [Fact]
    public async Task TheApprovePage_ShowsEveryProblemAtOnce_NamingEachField_KeepingWhatWasTyped()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        async Task<(List<(string Field, string Text)> Problems, string Html)> ApproveAsync(string reason)
        {
            var url = $"/review/claims/{id}/approve";
            using var answer = await page.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(await page.GetStringAsync(url)),
                [$"amount-{lines[0]}"] = "abc", [$"reason-{lines[0]}"] = reason, [$"amount-{lines[1]}"] = "250.01", [$"reason-{lines[1]}"] = "",
            }));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            return (PageForms.Problems(html), html);
        }

        var tooLong = new string('x', 1001);
        var (problems, html) = await ApproveAsync(tooLong);
        Assert.Equal([$"amount-{lines[0]}", $"reason-{lines[0]}", $"amount-{lines[1]}"], problems.Select(p => p.Field));
        Assert.StartsWith("The amount to approve for line 1 must ", problems[0].Text);
        Assert.Equal("The reason for line 1 must be at most 1,000 characters", problems[1].Text);
        Assert.Equal("The amount to approve for line 2 must be between 0.00 and the 250.00 claimed on line 2", problems[2].Text);
        Assert.Contains($"name=\"amount-{lines[0]}\" type=\"text\" value=\"abc\"", html);
        Assert.Contains($"value=\"{tooLong}\"", html);
        Assert.Contains($"name=\"amount-{lines[1]}\" type=\"text\" value=\"250.01\"", html);

        (problems, _) = await ApproveAsync("cover \u202E00.05");
        Assert.Equal([$"amount-{lines[0]}", $"reason-{lines[0]}", $"amount-{lines[1]}"], problems.Select(p => p.Field));
        Assert.StartsWith("The reason for line 1 must not contain a hidden or direction-changing character", problems[1].Text);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));
    }

    /// <summary>
    /// A claim approved for £0.00 stayed approved for ever: a payment run leaves out a claim with nothing to pay, so it never
    /// moved on. An approval whose every line is reduced to nothing is refused, naming lines and saying to reject the claim
    /// with the reason instead, by the API and by the lead's approve page; the claim stays under review.
    /// </summary>
    [Fact]
    public async Task AnApprovalOfNothing_IsRefusedNamingLines_SayingToRejectInstead()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        var nothing = lines.Select(l => new { lineId = l, amount = "0.00", reason = "no timesheet" }).ToArray();
        var refused = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = nothing }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines");
        Assert.Contains("reject the claim with the reason instead", refused.Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var (problems, _) = await PageForms.PostAsync(page, $"/review/claims/{id}/approve", new Dictionary<string, string>
        {
            [$"amount-{lines[0]}"] = "0.00", [$"reason-{lines[0]}"] = "no timesheet", [$"amount-{lines[1]}"] = "0", [$"reason-{lines[1]}"] = "no timesheet",
        });
        Assert.Contains("reject the claim with the reason instead", Assert.Single(problems).Text);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));

        // a penny approved is still an approval
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { nothing[0], new { lineId = lines[1], amount = "0.01", reason = "a penny" } } }))
            .Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// The approve page speaks as GOV.UK pages do, and as its own hint: a reduction without its reason asks "Enter the
    /// reason …" (it said the API's "Give the reason …"), and an amount it cannot read is asked for as the hint shows one,
    /// "1,234.50" (it said "such as 1234.50", beside a hint of "1,234.50"). The API's problem keeps its own words.
    /// </summary>
    [Fact]
    public async Task TheApprovePage_AsksForAReductionsReason_AndAnAmount_AsGovUkPagesAndItsHintDo()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var url = $"/review/claims/{id}/approve";
        Assert.Contains("In pounds, for example 1,234.50", WebUtility.HtmlDecode(await page.GetStringAsync(url)));
        var (problems, _) = await PageForms.PostAsync(page, url, new Dictionary<string, string>
        {
            [$"amount-{lines[0]}"] = "200.00", [$"reason-{lines[0]}"] = "  ", [$"amount-{lines[1]}"] = "two hundred", [$"reason-{lines[1]}"] = "",
        });
        Assert.Equal([
            ($"reason-{lines[0]}", "Enter the reason for approving less than was claimed on line 1"),
            ($"amount-{lines[1]}", "The amount to approve for line 2 must be an amount in pounds, like 1,234.50"),
        ], problems);
        Assert.Contains("give the reason for approving less than was claimed on line 1", (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve",
            new { lines = new[] { new { lineId = lines[0], amount = "200.00" } } })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].reason").Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));
    }

    /// <summary>
    /// A reason sent for a line approved for all that was claimed (its amount the claimed one, or left out) was dropped without
    /// a word: the lead believed the school would read it. A reason is kept only for a line approved for less (the school reads
    /// it as why it got less), so one for a line approved in full is refused, 422 naming it, by the API and the approve page,
    /// and nothing is approved.
    /// </summary>
    [Fact]
    public async Task AReasonForALineApprovedInFull_IsRefusedNamingItsReason_NotDropped()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        const string refusal = "a reason is given only for a line approved for less than claimed";
        foreach (var body in new object[]
                 {
                     new { lines = new object[] { new { lineId = lines[0], amount = "200.00", reason = "half a day" }, new { lineId = lines[1], amount = "250.00", reason = "checked" } } },
                     new { lines = new object[] { new { lineId = lines[0], amount = "200.00", reason = "half a day" }, new { lineId = lines[1], reason = "checked" } } },
                 })
        {
            var refused = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", body)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[1].reason");
            Assert.StartsWith(refusal, refused.Json["errors"]!["lines[1].reason"]![0]!.GetValue<string>());
            Assert.Null(refused.Json["errors"]!["lines[0].reason"]);
        }
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var (problems, _) = await PageForms.PostAsync(page, $"/review/claims/{id}/approve", new Dictionary<string, string>
        {
            [$"amount-{lines[0]}"] = "250.00", [$"reason-{lines[0]}"] = "checked against the timesheet", [$"amount-{lines[1]}"] = "250.00", [$"reason-{lines[1]}"] = "",
        });
        var (field, text) = Assert.Single(problems);
        Assert.Equal($"reason-{lines[0]}", field);
        Assert.StartsWith("A reason is given only for a line approved for less than claimed", text);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));

        // without the reason the line is approved in full, beside a reduced line that keeps its own
        var approved = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new
        {
            lines = new object[] { new { lineId = lines[0], amount = "200.00", reason = "half a day" }, new { lineId = lines[1], amount = "250.00" } },
        })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(["half a day", null], approved["lines"]!.AsArray().Select(l => l!["sanctionReason"]?.GetValue<string>()));
        Assert.Equal("450.00", approved["sanctioned"]!.GetValue<string>());
    }

    /// <summary>
    /// An approval of nothing counts staff time as something, both ways. A claim of time alone whose one line was refused
    /// (£0.00, its time released) was approved, its page saying the approval spent staff time; it is refused now as an
    /// approval of nothing. A claim whose money line is refused and whose time line is approved was refused, saying every line
    /// was reduced to £0.00; it is approved now, for its time: the time posted, the money released.
    /// </summary>
    [Fact]
    public async Task AnApprovalOfNothing_CountsStaffTime_BothWays()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        async Task<long[]> UnderReviewAsync(long claim)
        {
            (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK);
            (await w.Lead.PostAsync($"/api/v1/claims/{claim}/start-review", null)).Expect(HttpStatusCode.OK);
            return (await w.Lead.GetAsync($"/api/v1/claims/{claim}")).Json["lines"]!.AsArray().Select(l => l!["id"]!.GetValue<long>()).ToArray();
        }

        var timeAlone = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(timeAlone);
        var day = Assert.Single(await UnderReviewAsync(timeAlone));
        var refused = (await w.Lead.PostAsync($"/api/v1/claims/{timeAlone}/approve",
            new { lines = new[] { new { lineId = day, amount = "0.00", reason = "the visit is not evidenced" } } })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines");
        Assert.Contains("reject the claim with the reason instead", refused.Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", timeAlone));

        var both = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(both);
        await w.AddStaffTimeAsync(both, allowance: false); // £250.00, no time
        var lines = await UnderReviewAsync(both);
        var approved = (await w.Lead.PostAsync($"/api/v1/claims/{both}/approve",
            new { lines = new[] { new { lineId = lines[1], amount = "0.00", reason = "no timesheet" } } })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", approved["state"]!.GetValue<string>());
        Assert.Equal("post_pending", await Db.TextAsync("SELECT t.kind FROM claim_line l JOIN transfer t ON t.pending_id = l.time_hold_id WHERE l.id = $1", lines[0]));
        Assert.Equal("void_pending", await Db.TextAsync("SELECT t.kind FROM claim_line l JOIN transfer t ON t.pending_id = l.money_hold_id WHERE l.id = $1", lines[1]));
    }

    /// <summary>
    /// A step takes only what it reads: amounts per line only an approval, the declaration only a submission, a reason only a
    /// return, a rejection or a withdrawal. Anything else is refused, naming the field, and the claim does not move.
    /// </summary>
    [Fact]
    public async Task AStep_RefusesWhatItDoesNotTake_NamingTheField()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        var line = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.School.PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true, reason = "a note for the lead" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        (await w.School.PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true, lines = new[] { new { lineId = line } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'draft'", id));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", new { declaration = true })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "declaration");
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", new { reason = "" })).Expect(HttpStatusCode.OK); // blank is not given
        var approval = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { reason = "approved on condition the timesheet is filed" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason").Json;
        Assert.Contains("on each line approved for less", approval["errors"]!["reason"]![0]!.GetValue<string>());
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = "split the day by activity", lines = new[] { new { lineId = line } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'under-review'", id));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE claim_id = $1 AND reason IS NOT NULL", id));
    }

    /// <summary>
    /// A line named in an approval without an amount is approved in full, as the API says ("the whole line when omitted").
    /// A line of staff time alone (£0.00) named so was taken as approved for nothing: its time was released, with no reason
    /// the school could read. Its time is posted now; approving it for nothing still needs the amount 0.00 and a reason.
    /// </summary>
    [Fact]
    public async Task ALineOfTimeAlone_NamedWithoutAnAmount_IsApprovedInFull_ItsTimeNotReleased()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = (await w.AddSpecialistDayAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);

        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new object[] { new { lineId = line, amount = "0.00" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].reason");
        var approved = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new object[] { new { lineId = line } } }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Null(approved["lines"]![0]!["sanctionedAmount"]);
        Assert.Equal("post_pending", await Db.TextAsync(
            "SELECT t.kind FROM claim_line l JOIN transfer t ON t.pending_id = l.time_hold_id WHERE l.id = $1", line));
    }

    [Fact]
    public async Task Approve_AReducedAmount_PostsTheSanctionedAmount_ReleasesTheRest_AndNeedsAReasonPerLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var lineId = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].reason");
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "250.01", reason = "x" } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].amount");
        var claim = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "200.00", reason = "only 6 hours evidenced" } } }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal("200.00", claim["sanctioned"]!.GetValue<string>());
        Assert.Equal("only 6 hours evidenced", claim["lines"]![0]!["sanctionReason"]!.GetValue<string>());
        Assert.Equal("200.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        Assert.Equal("800.00", (await w.AccountAsync(0, "staff-cover", "available"))["available"]!.GetValue<string>());
    }

    [Fact]
    public async Task Return_NeedsAReason_VoidsTheHold_AndTheSchoolCanAmendAndResubmit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        var returned = (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = "please split the day by activity" })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("draft", returned["state"]!.GetValue<string>());
        Assert.Equal("please split the day by activity", returned["reason"]!.GetValue<string>());
        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT coalesce(sum(minutes), 0) FROM staff_day"));

        var lineId = returned["lines"]![0]!["id"]!.GetValue<long>();
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{lineId}", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            staffRef = "STAFF-01", role = "leader", activity = "peer-visit", date = "2026-10-05", hours = 3.75,
        })).Expect(HttpStatusCode.OK);
        var resubmitted = (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("submitted", resubmitted["state"]!.GetValue<string>());
        Assert.Null(resubmitted["reason"]);
        Assert.Equal("125.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATransition_KeepsItsDetails_AsJsonObjects_InItsHistoryRowAndItsAuditEvent()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/return", new { reason = "please split the day" })).Expect(HttpStatusCode.OK);

        // the history row's details and the audit event's are jsonb objects, queryable by key (not a JSON text in a string)
        Assert.Equal("object", await Db.TextAsync($"SELECT jsonb_typeof(details) FROM claim_transition WHERE claim_id = {id} AND trigger = 'submit'"));
        var total = (await Db.TextAsync($"SELECT details->>'total' FROM claim_transition WHERE claim_id = {id} AND trigger = 'submit'"))!;
        Assert.Matches(@"^\d+\.\d\d$", total);
        Assert.Equal(total, await Db.TextAsync($"SELECT details->'details'->>'total' FROM audit_event WHERE action = 'claim.submit' AND record_id = {id}"));
        Assert.Equal("draft|submitted", await Db.TextAsync($"SELECT (details->>'from') || '|' || (details->>'to') FROM audit_event WHERE action = 'claim.submit' AND record_id = {id}"));
        Assert.Equal("under-review|draft|please split the day", await Db.TextAsync(
            $"SELECT (details->>'from') || '|' || (details->>'to') || '|' || (details->>'reason') FROM audit_event WHERE action = 'claim.return' AND record_id = {id}"));
    }

    [Fact]
    public async Task Reject_IsFinal_AndFurtherTriggersAnswer409WithTheAllowedOnes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/reject", new { reason = "not programme activity" })).Expect(HttpStatusCode.OK);
        Assert.Equal("0.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
        var (state, allowed, detail) = Illegal(await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null));
        Assert.Equal("rejected", state);
        Assert.Empty(allowed);
        Assert.Contains("final", detail);
    }

    /// <summary>A 409 illegal-transition: the state it names, the triggers it offers the caller and its detail.</summary>
    private static (string State, string[] Allowed, string Detail) Illegal(Answer answer)
    {
        var problem = answer.ExpectProblem(HttpStatusCode.Conflict, rule: "illegal-transition").Json;
        return (problem["state"]!.GetValue<string>(), problem["allowedTriggers"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
            problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Withdraw_BeforeReview_ReleasesTheHold_ButNotOnceReviewHasStarted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/claims/{id}/withdraw", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("1000.00", (await w.AccountAsync(0, "staff-cover", "available"))["available"]!.GetValue<string>());

        var reviewed = await w.UnderReviewAsync("STAFF-02");
        var (state, allowed, detail) = Illegal(await w.School.PostAsync($"/api/v1/claims/{reviewed}/withdraw", null));
        Assert.Equal("under-review", state);
        // what the school can do, not what the reviewer can: nothing until the review ends
        Assert.Empty(allowed);
        Assert.EndsWith("No step of its workflow is open to you now.", detail);
    }

    /// <summary>
    /// A claim's own times are its history's: it read submitted and decided by the service's clock, and each step by the
    /// transaction's (now()), so the claim said it was submitted a little after its submission's step, and a demo claim, whose
    /// steps share one transaction, seconds after its review began. Asked of each answer and of a later read, approved and withdrawn.
    /// </summary>
    [Fact]
    public async Task AClaimsTimes_AreTheTimesOfTheStepsInItsHistory()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var approved = await w.UnderReviewAsync();
        AssertTimesAgreeWithHistory((await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK).Json);
        AssertTimesAgreeWithHistory((await w.Lead.GetAsync($"/api/v1/claims/{approved}")).Json);

        var withdrawn = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(withdrawn, "STAFF-02");
        AssertTimesAgreeWithHistory((await w.SubmitAsync(withdrawn)).Expect(HttpStatusCode.OK).Json);
        AssertTimesAgreeWithHistory((await w.School.PostAsync($"/api/v1/claims/{withdrawn}/withdraw", null)).Expect(HttpStatusCode.OK).Json);
        AssertTimesAgreeWithHistory((await w.School.GetAsync($"/api/v1/claims/{withdrawn}")).Json);
    }

    /// <summary>
    /// A claim's times agree with its history (the claim's answer, GET /api/v1/claims/{id}): created no later than its first step,
    /// its steps in order, submitted at its last submission's step and decided at the step that decided it since (an approval
    /// that awaits a second one decides nothing), or not at all.
    /// </summary>
    internal static void AssertTimesAgreeWithHistory(System.Text.Json.Nodes.JsonNode claim)
    {
        static DateTimeOffset? At(System.Text.Json.Nodes.JsonNode? time) =>
            time is null ? null : DateTimeOffset.Parse(time.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var reference = claim["reference"]!.GetValue<string>();
        var last = At(claim["createdAt"])!.Value;
        DateTimeOffset? submitted = null, decided = null;
        foreach (var step in claim["history"]!.AsArray())
        {
            var (trigger, at) = (step!["trigger"]!.GetValue<string>(), At(step["at"])!.Value);
            Assert.True(at >= last, $"{reference}: its {trigger} step at {at:O} comes before {last:O}");
            last = at;
            if (trigger == "submit") (submitted, decided) = (at, null);
            else if (trigger is "approve" or "second-approve" or "return" or "reject" or "withdraw" && step["to"]!.GetValue<string>() != "awaiting-second-approval")
                decided = at;
        }
        Assert.Equal((reference, submitted, decided), (reference, At(claim["submittedAt"]), At(claim["decidedAt"])));
    }

    /// <summary>
    /// A school's step refused on its own draft names, after the lifecycle's steps, what it may do beside them, as a plan's
    /// 409 does (docs/workflows.md): it said "What you can do now: submit." of a draft the school can change.
    /// </summary>
    [Fact]
    public async Task Withdraw_OfADraft_Answers409NamingSubmit_AndChangingTheDraft_ToItsSchoolAlone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft);
        var (state, allowed, detail) = Illegal(await w.School.PostAsync($"/api/v1/claims/{draft}/withdraw", null));
        Assert.Equal("draft", state);
        Assert.Equal(["submit"], allowed); // the lifecycle's triggers only: changing the draft is in its allowedActions
        Assert.Equal("The claim is 'draft', where 'withdraw' is not possible. What you can do now: submit; or change this draft.", detail);

        (_, allowed, detail) = Illegal(await w.Lead.PostAsync($"/api/v1/claims/{draft}/start-review", null));
        Assert.Empty(allowed);
        Assert.EndsWith("No step of its workflow is open to you now.", detail);
    }

    [Fact]
    public async Task Approve_BeforeReview_Answers409NamingWhatTheLeadCanDo_NotWhatTheSchoolCan()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft);
        var (_, allowed, detail) = Illegal(await w.Lead.PostAsync($"/api/v1/claims/{draft}/approve", null));
        Assert.Empty(allowed);
        Assert.Equal("The claim is 'draft', where 'approve' is not possible. No step of its workflow is open to you now.", detail);

        (await w.SubmitAsync(draft)).Expect(HttpStatusCode.OK);
        (_, allowed, detail) = Illegal(await w.Lead.PostAsync($"/api/v1/claims/{draft}/approve", null));
        Assert.Equal(["start-review"], allowed);
        Assert.EndsWith("What you can do now: start-review.", detail);
    }

    [Fact]
    public async Task Review_IsForTheLeadOfTheSchoolsAreaOnly()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.OtherLead.PostAsync($"/api/v1/claims/{id}/start-review", null)).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.PostAsync($"/api/v1/claims/{id}/approve", null)).ExpectProblem(HttpStatusCode.Forbidden);
        (await (await w.S.FinanceAsync(Db)).PostAsync($"/api/v1/claims/{id}/start-review", null)).ExpectProblem(HttpStatusCode.Forbidden);
        var seen = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["start-review"], seen);
    }

    [Fact]
    public async Task AboveTheThreshold_ApprovalAwaitsASecondApproval_ThenPosts()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 20000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync();
        var first = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("awaiting-second-approval", first["state"]!.GetValue<string>());
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
        var queue = (await w.Admin.GetAsync("/api/v1/review-queue")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(id, Assert.Single(queue)!["id"]!.GetValue<long>());
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/second-approve", null)).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Admin.PostAsync($"/api/v1/claims/{id}/second-approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
    }

    [Fact]
    public async Task SubmittedLines_CannotBeEdited_ThroughTheApiOrDirectlyInTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.School.DeleteAsync($"/api/v1/claims/{id}/lines/{lineId}")).ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
        await using var cmd = Db.DataSource.CreateCommand($"UPDATE claim_line SET amount_pence = 1 WHERE id = {lineId}");
        Assert.Equal("GL007", (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => cmd.ExecuteNonQueryAsync())).SqlState);
    }

    /// <summary>Runs SQL as a script would: null when PostgreSQL accepts it, else the SQLSTATE it refused with.</summary>
    private async Task<string?> RefusalAsync(string sql) => (await RefusingAsync(sql))?.SqlState;

    /// <summary>Runs SQL as a script would: null when PostgreSQL accepts it, else PostgreSQL's refusal.</summary>
    private async Task<Npgsql.PostgresException?> RefusingAsync(string sql)
    {
        await using var cmd = Db.DataSource.CreateCommand(sql);
        try
        {
            await cmd.ExecuteNonQueryAsync();
            return null;
        }
        catch (Npgsql.PostgresException e)
        {
            return e;
        }
    }

    [Fact]
    public async Task ASubmittedClaim_InTheDatabase_KeepsItsSchoolAndPeriod_AndItsLinesEveryColumnButHoldsAndSanctions()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var draft = await w.NewClaimAsync();

        // what a business manager wrote, once submitted, is what the lead reviews and the funder pays
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim_line SET description = 'changed after submission' WHERE id = {lineId}"));
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim_line SET activity = 'changed', staff_role = 'leader' WHERE id = {lineId}"));
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim_line SET rate_pence = 1 WHERE id = {lineId}"));
        // nor can a line leave its submitted claim for a draft, be deleted, or be added
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim_line SET claim_id = {draft}, line_no = 99 WHERE id = {lineId}"));
        Assert.Equal("GL007", await RefusalAsync($"DELETE FROM claim_line WHERE id = {lineId}"));
        Assert.Equal("GL007", await RefusalAsync(
            $"INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence) SELECT {id}, 99, kind, category_id, 1 FROM claim_line WHERE id = {lineId}"));
        // nor can the claim itself move to another school or period
        var otherSchool = await Db.ScalarAsync($"SELECT s.id FROM school s JOIN claim c ON c.programme_id = s.programme_id WHERE c.id = {id} AND s.id <> c.school_id LIMIT 1");
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim SET school_id = {otherSchool} WHERE id = {id}"));
        var otherPeriod = await Db.ScalarAsync($"SELECT p.id FROM period p JOIN claim c ON c.programme_year_id = p.programme_year_id WHERE c.id = {id} AND p.id <> c.period_id LIMIT 1");
        Assert.NotEqual(0, otherSchool);
        Assert.NotEqual(0, otherPeriod);
        Assert.Equal("GL007", await RefusalAsync($"UPDATE claim SET period_id = {otherPeriod} WHERE id = {id}"));
        // review's own columns stay open: a sanction's reason may be written on a submitted line
        Assert.Null(await RefusalAsync($"UPDATE claim_line SET sanction_reason = 'reviewed' WHERE id = {lineId}"));
        Assert.Equal(id, await Db.ScalarAsync($"SELECT claim_id FROM claim_line WHERE id = {lineId}"));
    }

    [Fact]
    public async Task ADraftsLine_InTheDatabase_RefusesEveryBrokenRule_ByTheRulesName_AndKeepsWhatItHad()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        var before = await Db.TextAsync($"SELECT row_to_json(l)::text FROM claim_line l WHERE id = {lineId}");

        // the rule a statement broke, refused as PostgreSQL refuses a CHECK: 23514, the rule's name, its message
        async Task<string?> RefusedBy(string sql)
        {
            if (await RefusingAsync(sql) is not { } e) return null;
            Assert.Equal("23514", e.SqlState);
            Assert.Equal($"new row for relation \"claim_line\" violates check constraint \"{e.ConstraintName}\"", e.MessageText);
            return e.ConstraintName;
        }

        // a script writing straight to the table meets each rule a line's columns have (migrations 0015 and 0055)
        var broken = new Dictionary<string, string>
        {
            ["line_no = 0"] = "claim_line_line_no_check",
            ["kind = 'holiday'"] = "claim_line_kind_check",
            ["amount_pence = -1"] = "claim_line_amount_pence_check",
            ["minutes = 0"] = "claim_line_minutes_check",
            ["minutes = 451"] = "claim_line_minutes_at_most_a_day",
            ["staff_ref = 'not a reference'"] = "claim_line_staff_ref_check",
            ["staff_role = 'governor'"] = "claim_line_staff_role_check",
            ["rate_pence = -1"] = "claim_line_rate_pence_check",
            ["rate_basis = 'week'"] = "claim_line_rate_basis_check",
            ["supplier = repeat('x', 201)"] = "claim_line_supplier_check",
            ["invoice_ref = repeat('x', 101)"] = "claim_line_invoice_ref_check",
            ["description = repeat('x', 501)"] = "claim_line_description_check",
            ["category_id = NULL, allowance_category_id = NULL"] = "claim_line_check",
            ["allowance_category_id = category_id, minutes = NULL"] = "claim_line_check1",
            ["sanctioned_pence = amount_pence + 1, sanction_reason = 'more'"] = "claim_line_check2",
            ["sanctioned_pence = 0"] = "claim_line_check3",
            ["sanction_reason = repeat('x', 1001)"] = "claim_line_sanction_reason_check",
        };
        foreach (var (set, rule) in broken)
            Assert.Equal((set, rule), (set, await RefusedBy($"UPDATE claim_line SET {set} WHERE id = {lineId}")));
        Assert.Equal("claim_line_kind_check", await RefusedBy(
            $"INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence) SELECT {id}, 2, 'holiday', category_id, 1 FROM claim_line WHERE id = {lineId}"));
        Assert.Equal("claim_line_staff_ref_check", await RefusedBy(
            $"INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, staff_ref) SELECT {id}, 2, kind, category_id, 1, 'x' FROM claim_line WHERE id = {lineId}"));

        Assert.Equal("claim_line_minutes_at_most_a_day", await RefusedBy(
            $"INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, minutes) SELECT {id}, 2, kind, category_id, 1, 451 FROM claim_line WHERE id = {lineId}"));

        Assert.Equal(before, await Db.TextAsync($"SELECT row_to_json(l)::text FROM claim_line l WHERE id = {lineId}"));
        Assert.Equal(1, await Db.ScalarAsync($"SELECT count(*) FROM claim_line WHERE claim_id = {id}"));
        // a draft's line still takes what keeps to the rules
        Assert.Null(await RefusedBy($"UPDATE claim_line SET description = 'Cover for a peer review', rate_basis = 'hour' WHERE id = {lineId}"));
        // a line written with more than a day before the bound (migration 0083) is not refused when something else of it changes
        await Db.DataSource.TamperAsync($"UPDATE claim_line SET minutes = 900 WHERE id = {lineId}");
        Assert.Null(await RefusedBy($"UPDATE claim_line SET rate_pence = rate_pence + 1, amount_pence = amount_pence + 2 WHERE id = {lineId}"));
        Assert.Equal("claim_line_minutes_at_most_a_day", await RefusedBy($"UPDATE claim_line SET minutes = 901 WHERE id = {lineId}"));
    }

    [Fact]
    public async Task AClaimsHistory_InTheDatabase_IsOnePathThroughTheLifecycle()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        var actor = await Db.ScalarAsync($"SELECT created_by FROM claim WHERE id = {id}");
        string Row(string trigger, string from, string to, long? by = null, string role = "school_business_manager") => $"""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
            VALUES ({id}, '{trigger}', '{from}', '{to}', {by ?? actor}, '{role}');
            """;

        // a history row for a move the claim did not make
        var unmade = await RefusingAsync(Row("submit", "draft", "submitted"));
        Assert.Equal("GL010", unmade?.SqlState);
        Assert.Contains($"claim {id} is draft, but its history records it moved to submitted", unmade!.MessageText);
        // a move the lifecycle does not have
        var skipped = await RefusingAsync(Row("submit", "draft", "paid") + $"UPDATE claim SET state = 'paid', submitted_by = created_by, submitted_at = now() WHERE id = {id};");
        Assert.Equal("GL010", skipped?.SqlState);
        Assert.Contains($"claim {id} cannot submit from draft to paid: that is not a move of a claim's lifecycle", skipped!.MessageText);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal(0, await Db.ScalarAsync($"SELECT count(*) FROM claim_transition WHERE claim_id = {id}"));

        // the service's moves are the lifecycle's, one at a time: submitted by the service; a script starting its review twice
        // in one transaction (two rows from submitted, as the service itself once submitted a claim twice: decision 0015) is
        // refused at commit (a submission by a script names its entry too, since migration 0086: ClaimWorld.SubmittedByScript)
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var reviewed = $"UPDATE claim SET state = 'under-review' WHERE id = {id};";
        var lead = w.Lead.UserId;
        var twice = await RefusingAsync(Row("start-review", "submitted", "under-review", lead, "area_lead") + reviewed
                                        + Row("start-review", "submitted", "under-review", lead, "area_lead"));
        Assert.Equal("GL010", twice?.SqlState);
        Assert.Contains($"claim {id} cannot start-review from submitted: its history leaves it under-review", twice!.MessageText);
        // once, as the service writes it, by the area's lead: accepted
        Assert.Null(await RefusalAsync(Row("start-review", "submitted", "under-review", lead, "area_lead") + reviewed));
        Assert.Equal("draft>submitted submitted>under-review", await Db.TextAsync(
            $"SELECT string_agg(from_state || '>' || to_state, ' ' ORDER BY id) FROM claim_transition WHERE claim_id = {id}"));
    }

    [Fact]
    public async Task TheDatabasesListOfMoves_IsTheLifecycles_AndNoScriptChangesIt()
    {
        // claim_lifecycle (migrations 0057, 0058), which every history row must be one of, against ClaimWorkflow.Lifecycle's rows
        var kept = await Db.TextAsync("SELECT string_agg(m, '; ' ORDER BY m COLLATE \"C\") FROM (SELECT trigger || ': ' || from_state || ' > ' || to_state AS m FROM claim_lifecycle) l");
        var lifecycle = Core.Workflow.ClaimWorkflow.Lifecycle.Rows
            .Select(r => $"{Core.Workflow.Kebab.Of(r.Trigger)}: {Core.Workflow.Kebab.Of(r.From)} > {Core.Workflow.Kebab.Of(r.To)}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(14, lifecycle.Count);
        Assert.Equal(string.Join("; ", lifecycle), kept);
        foreach (var change in new[]
                 {
                     "INSERT INTO claim_lifecycle VALUES ('submit', 'draft', 'paid')",
                     "UPDATE claim_lifecycle SET to_state = 'paid' WHERE trigger = 'submit'",
                     "DELETE FROM claim_lifecycle WHERE trigger = 'withdraw'",
                     "TRUNCATE claim_lifecycle",
                 })
            Assert.Equal((change, "GL010"), (change, await RefusalAsync(change)));
        Assert.Equal(14, await Db.ScalarAsync("SELECT count(*) FROM claim_lifecycle"));
    }

    [Fact]
    public async Task AClaimsStateChange_InTheDatabase_NeedsItsHistoryRow_AndAClaimStartsAsADraft()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var actor = await Db.ScalarAsync($"SELECT submitted_by FROM claim WHERE id = {id}");

        // a script cannot withdraw (or approve, or pay) a claim with nothing in its history to say who did it
        Assert.Equal("GL010", await RefusalAsync($"UPDATE claim SET state = 'withdrawn' WHERE id = {id}"));
        // nor with a history row from an earlier transaction, or one that records another move
        Assert.Equal("GL010", await RefusalAsync($"""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
            VALUES ({id}, 'start-review', 'submitted', 'under-review', {actor}, 'school_business_manager');
            UPDATE claim SET state = 'withdrawn' WHERE id = {id}
            """));
        Assert.Equal("submitted", await StateAsync());
        Assert.Equal(1, await Db.ScalarAsync($"SELECT count(*) FROM claim_transition WHERE claim_id = {id}"));
        // nor create a claim that is already approved
        Assert.Equal("GL010", await RefusalAsync($"""
            INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by, state, submitted_by)
            SELECT programme_id, programme_year_id, period_id, school_id, created_by, 'approved', submitted_by FROM claim WHERE id = {id}
            """));
        // the move written with its history row, in one transaction, as the service writes it, is accepted: the review started
        // by the area's lead (a withdrawal names its journal entry too, since migration 0086)
        Assert.Null(await RefusalAsync($"""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
            VALUES ({id}, 'start-review', 'submitted', 'under-review', {w.Lead.UserId}, 'area_lead');
            UPDATE claim SET state = 'under-review' WHERE id = {id}
            """));
        Assert.Equal("under-review", await StateAsync());

        async Task<string> StateAsync()
        {
            await using var cmd = Db.DataSource.CreateCommand($"SELECT state FROM claim WHERE id = {id}");
            return (string)(await cmd.ExecuteScalarAsync())!;
        }
    }

    [Fact]
    public async Task ReviewQueue_ShowsTheLeadsAreaOnly_OldestSubmissionFirst()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var older = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(older);
        (await w.SubmitAsync(older)).Expect(HttpStatusCode.OK);
        var newer = await w.NewClaimAsync(w.OtherSchool);
        await w.AddStaffTimeAsync(newer, "STAFF-09", school: w.OtherSchool);
        (await w.SubmitAsync(newer, w.OtherSchool)).Expect(HttpStatusCode.OK);
        var queue = (await w.Lead.GetAsync("/api/v1/review-queue")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal([older, newer], queue.Select(c => c!["id"]!.GetValue<long>()));
        Assert.Empty((await w.OtherLead.GetAsync("/api/v1/review-queue")).Expect(HttpStatusCode.OK).Json.AsArray());
        (await w.School.GetAsync("/api/v1/review-queue")).ExpectProblem(HttpStatusCode.Forbidden);
    }

    /// <summary>
    /// The review queue stopped at the oldest 500 without a word: it is read a page at a time, limit claims (500 unless
    /// given), the next page after the last claim's id, in the order of submission, also once that claim has left the queue.
    /// </summary>
    [Fact]
    public async Task TheReviewQueue_IsReadAPageAtATime_OldestSubmissionFirst_AfterTheLastId()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = new List<long>();
        for (var i = 0; i < 3; i++) ids.Add(await w.UnderReviewAsync($"STAFF-0{i + 1}"));
        long[] Ids(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(c => c!["id"]!.GetValue<long>()).ToArray();
        var first = Ids(await w.Lead.GetAsync("/api/v1/review-queue?limit=2"));
        Assert.Equal([ids[0], ids[1]], first);
        (await w.Lead.PostAsync($"/api/v1/claims/{first[^1]}/approve", null)).Expect(HttpStatusCode.OK); // it leaves the queue
        Assert.Equal([ids[2]], Ids(await w.Lead.GetAsync($"/api/v1/review-queue?limit=2&after={first[^1]}")));
        Assert.Equal([ids[0], ids[2]], Ids(await w.Lead.GetAsync("/api/v1/review-queue")));
        (await w.Lead.GetAsync("/api/v1/review-queue?limit=1001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
        (await w.Lead.GetAsync("/api/v1/review-queue?after=999999999")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
        var elsewhere = await w.NewClaimAsync(await w.S.SchoolUserAsync(Db, 2)); // another area's draft: not the lead's to page by
        (await w.Lead.GetAsync($"/api/v1/review-queue?after={elsewhere}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "after");
    }

    /// <summary>
    /// The claims list is newest first, a page at a time, as the README now says: limit claims (100 unless given), and the
    /// next page by before, the last claim's id; the README named only the filters, so a client read the newest 100 as all.
    /// </summary>
    [Fact]
    public async Task TheClaimsList_IsReadAPageAtATime_NewestFirst_ByTheLastId()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = new[] { await w.NewClaimAsync(), await w.NewClaimAsync(), await w.NewClaimAsync() };
        long[] Ids(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(c => c!["id"]!.GetValue<long>()).ToArray();
        var first = Ids(await w.School.GetAsync("/api/v1/claims?limit=2"));
        Assert.Equal([ids[2], ids[1]], first);
        Assert.Equal([ids[0]], Ids(await w.School.GetAsync($"/api/v1/claims?limit=2&before={first[^1]}")));
        (await w.School.GetAsync("/api/v1/claims?limit=1001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    /// <summary>
    /// The claim lists give the staff time each claim takes from the school's allowances, in minutes (allowanceMinutes), as
    /// the pages' lists give it beside the money: a claim of a specialist's day alone read "claimed": "0.00" and nothing more
    /// in the lead's queue and the school's list, where the lead's page says "1 day of staff time".
    /// </summary>
    [Fact]
    public async Task TheClaimLists_GiveTheStaffTimeEachClaimTakes_InMinutes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        System.Text.Json.Nodes.JsonNode Listed(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Single(c => c!["id"]!.GetValue<long>() == id)!;
        foreach (var claim in new[] { Listed(await w.Lead.GetAsync("/api/v1/review-queue")), Listed(await w.School.GetAsync("/api/v1/claims")) })
        {
            Assert.Equal("0.00", claim["claimed"]!.GetValue<string>());
            Assert.Equal(450, claim["allowanceMinutes"]?.GetValue<long>());
        }
    }

    /// <summary>
    /// A claim gives the staff time it takes from the school's allowances (allowanceMinutes) as the lists and the pages give it:
    /// support hours are paid in money, from the TLR and admin budget, and take no allowance. The claim's claimedMinutes counted
    /// them (600 for 2.5 support hours and a specialist's day, where the lists said 450 and the pages "£45.00 and 1 day of staff
    /// time"): a school business manager read 150 minutes gone from an allowance that kept them, and a finance officer counted
    /// the hours paid in money twice. claimedMinutes stays, for the clients that read it, as the same figure.
    /// </summary>
    [Fact]
    public async Task AClaim_GivesTheStaffTimeItTakesFromTheAllowances_AsTheListsDo_NotSupportHoursPaidInMoney()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "STAFF-02", date = w.S.On("10-05"), hours = 2.5m,
        })).Expect(HttpStatusCode.Created);
        await w.AddSpecialistDayAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var claim = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("45.00", claim["claimed"]!.GetValue<string>());
        Assert.Equal(450, claim["allowanceMinutes"]?.GetValue<long>());
        Assert.Equal(450, claim["claimedMinutes"]?.GetValue<long>());
        var listed = (await w.School.GetAsync("/api/v1/claims")).Expect(HttpStatusCode.OK).Json.AsArray().Single(c => c!["id"]!.GetValue<long>() == id)!;
        Assert.Equal(450, listed["allowanceMinutes"]?.GetValue<long>());
    }

    /// <summary>
    /// A withdrawal confirmed from a page shown before the claim moved on (approved since, in the area lead's hands) is
    /// refused, and the page no longer offers to withdraw it or says what it "reserves": it showed the refusal above the
    /// same warning, the claimed amount said to go back to the budget, and the button again.
    /// </summary>
    [Fact]
    public async Task AWithdrawalRefusedBecauseTheClaimMovedOn_OffersNoSecondTry_AndSaysNothingOfWhatItReserves()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", w.S.On("10-05"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var shown = await page.GetStringAsync($"/school/claims/{id}/withdraw");
        Assert.Contains("Yes, withdraw the claim", shown);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);

        using var refused = await page.PostAsync($"/school/claims/{id}/withdraw", new FormUrlEncodedContent(
            [new(Security.PageFormFuzzTests.Token, Security.PageFormFuzzTests.TokenOf(shown))]));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("govuk-error-summary", html);
        Assert.Contains("can no longer be withdrawn", html);
        Assert.DoesNotContain("Yes, withdraw the claim", html);
        Assert.DoesNotContain("goes back to your budget", html);
        Assert.Equal("approved", (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["state"]!.GetValue<string>());
    }

    private static async Task<string> PostFormAgainAsync(HttpClient page, string url, string form, params KeyValuePair<string, string>[] fields)
    {
        using var answer = await page.PostAsync(url, new FormUrlEncodedContent(
            [new(Security.PageFormFuzzTests.Token, Security.PageFormFuzzTests.TokenOf(form)), .. fields]));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return System.Net.WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A stale form posted a second time (the declaration sent again, an approval after the claim was approved, a run
    /// approved twice) says in plain English what already happened, the status now and links to the record, and offers
    /// the button no more: it said "The claim is 'submitted', where 'submit' is not possible. What you can do now:
    /// withdraw." above the same form.
    /// </summary>
    [Fact]
    public async Task AStaleFormPostedAgain_SaysWhatAlreadyHappened_AndOffersItsButtonNoMore()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", w.S.On("10-05"));
        using var school = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var check = await school.GetStringAsync($"/school/claims/{id}/check");
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var html = await PostFormAgainAsync(school, $"/school/claims/{id}/check", check, KeyValuePair.Create("declaration", "true"));
        Assert.Contains("This claim has already been submitted.", html);
        Assert.Contains($"href=\"/school/claims/{id}\"", html);
        Assert.DoesNotContain("where 'submit' is not possible", html);
        Assert.DoesNotContain("Accept and submit the claim", html);
        Assert.DoesNotContain("Check your answers", html);

        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        using var lead = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var approve = await lead.GetStringAsync($"/review/claims/{id}/approve");
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        html = await PostFormAgainAsync(lead, $"/review/claims/{id}/approve", approve);
        Assert.Contains("This claim has already been approved.", html);
        Assert.Contains($"href=\"/review/claims/{id}\"", html);
        Assert.DoesNotContain("where 'approve' is not possible", html);
        Assert.DoesNotContain("Approve the claim", html);

        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var maker = await w.S.FinanceAsync(Db, "maker");
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        var checker = await w.S.FinanceAsync(Db, "checker");
        using var finance = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, checker.UserName);
        var runPage = await finance.GetStringAsync($"/finance/runs/{run}");
        // a step still ahead is not one already taken: exporting a run that is only built said "has already been built"
        html = await PostFormAgainAsync(finance, $"/finance/runs/{run}?handler=Export", runPage);
        Assert.Contains("This payment run has been built, so it cannot be exported now.", html);
        Assert.DoesNotContain("already", html);
        // and a role that may never take the step is refused it, whatever the run's state (an auditor was told it was built)
        var auditor = await w.S.AuditorAsync(Db);
        using (var audit = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, auditor.UserName))
        {
            var auditorsPage = await audit.GetStringAsync($"/finance/runs/{run}");
            using var refused = await audit.PostAsync($"/finance/runs/{run}?handler=Export", new FormUrlEncodedContent(
                [new(Security.PageFormFuzzTests.Token, Security.PageFormFuzzTests.TokenOf(auditorsPage))]));
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.StartsWith("/forbidden", refused.Headers.Location!.OriginalString);
        }
        (await checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        html = await PostFormAgainAsync(finance, $"/finance/runs/{run}?handler=Approve", runPage);
        Assert.Contains("This payment run has already been approved.", html);
        Assert.DoesNotContain("where 'approve' is not possible", html);
        Assert.DoesNotContain("Approve the run", html);
    }
}

using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

public sealed class ClaimDraftingTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task StaffTimeLine_IsPricedByTheRateInForceOnItsDate_AndKeptInMinutes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var claim = await w.AddStaffTimeAsync(id, date: "2026-10-05", days: "0.5");
        var line = claim["lines"]![0]!;
        Assert.Equal("125.00", line["amount"]!.GetValue<string>());   // half a day at £250
        Assert.Equal(225, line["minutes"]!.GetValue<long>());
        Assert.Equal("250.00", line["rate"]!.GetValue<string>());

        var october = await w.AddStaffTimeAsync(id, staff: "STAFF-02", date: "2026-10-20", days: null, hours: "3.75");
        Assert.Equal("150.00", october["lines"]![1]!["amount"]!.GetValue<string>()); // half a day at the new £300 rate
    }

    [Fact]
    public async Task ALaterRateChange_NeverAltersAnExistingLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, date: "2026-10-05");
        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'teacher-cover-day', 'x', 'day', 99900, '2026-10-01') RETURNING id", w.S.ProgrammeId);
        var claim = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("250.00", claim["lines"]![0]!["amount"]!.GetValue<string>());
        Assert.Equal("250.00", claim["claimed"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lines_WithBadFields_Return422NamingEachField()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var errors = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("action-plan"), staffRef = "Jane Smith", role = "head", activity = "golf",
            date = "2027-03-01", days = 1,
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        foreach (var field in new[] { "categoryId", "staffRef", "role", "activity", "date" })
            Assert.True(errors.ContainsKey(field), $"expected an error for {field}: {errors}");
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "lunch" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "kind");
        Assert.Contains("needs an action-plan category", (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("staff-cover"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "120.00",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "categoryId").Body);
        (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines", "{\"kind\":\"staff-time\",\"days\":1.234}")).ExpectProblem(HttpStatusCode.BadRequest, "days");
        var twoDays = await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            staffRef = "T1", role = "teacher", activity = "training", date = "2026-10-05", days = 2,
        });
        twoDays.ExpectProblem(HttpStatusCode.UnprocessableEntity, "days");
    }

    [Fact]
    public async Task ActionPlanLine_MustNameAnActionOfTheAgreedPlan_AndOtherSchoolsHaveNoPlan()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "120.00" };
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line)).Expect(HttpStatusCode.Created);
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line with { actionId = 999999L })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actionId");
        var other = await w.NewClaimAsync(w.OtherSchool);
        var refused = (await w.OtherSchool.PostAsync($"/api/v1/claims/{other}/lines", line)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "actionId");
        Assert.Contains("no agreed action plan", refused.Body);
    }

    /// <summary>
    /// A claim's total is at most the most an amount can be (£10,000,000,000.00). Two action-plan lines of £6,000,000,000.00,
    /// each allowed, made the school's claim page answer 500 ('30000000000.00' must be at most 10,000,000,000.00, in "What
    /// this claim would leave"), leaving no way to the Remove line button. A line that would take the total past it is
    /// refused naming amount, when added, changed or imported; a claim already past it (rows from before) still reads.
    /// </summary>
    [Fact]
    public async Task ALineTakingTheClaimsTotalPastTheMost_IsRefusedNamingAmount_AndAClaimPastItStillReads()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "6000000000.00" };
        var first = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line)).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        var added = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line with { invoiceRef = "INV-2" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
        Assert.Contains("10,000,000,000.00", added.Body);
        var small = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line with { invoiceRef = "INV-3", amount = "1.00" })).Expect(HttpStatusCode.Created)
            .Json["lines"]![1]!["id"]!.GetValue<long>();
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{small}", line with { invoiceRef = "INV-3" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
        var csv = $"""
            kind,categoryId,actionId,supplier,invoiceRef,amount
            action-plan,action-plan,{w.Actions[0]},Sensory Ltd,INV-4,6000000000.00
            """;
        var errors = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity)
            .Json["errors"]!.AsObject();
        Assert.Equal(["line 2, amount"], errors.Select(e => e.Key));
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));

        // a claim already past it, from before the rule: its pages and the API still read it, so its lines can be removed
        await Db.ScalarAsync($"""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, action_id, supplier, invoice_ref)
            SELECT claim_id, 9, kind, category_id, amount_pence, action_id, supplier, 'INV-9' FROM claim_line WHERE id = {first} RETURNING id
            """);
        Assert.Equal("12000000001.00", (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["claimed"]!.GetValue<string>());
        using var school = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = WebUtility.HtmlDecode(await school.GetStringAsync($"/school/claims/{id}"));
        Assert.Contains("£12,000,000,001.00", page);
        Assert.Contains("Remove", page);
    }

    /// <summary>
    /// A line is changed on its own page, filled in as the line is, from the claim and from check your answers: "Change
    /// line 1" led back to the claim, where a line could only be removed and typed again.
    /// </summary>
    [Fact]
    public async Task ALine_IsChangedOnItsOwnPage_FilledInAsItIs()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"))["lines"]![0]!["id"]!.GetValue<long>();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var change = $"/school/claims/{id}/line?lineId={lineId}";
        Assert.Contains($"href=\"{change}&amp;from=check\"", await page.GetStringAsync($"/school/claims/{id}/check")); // saved back to the check page
        Assert.Contains($"href=\"{change}\"", await page.GetStringAsync($"/school/claims/{id}"));

        var form = await page.GetStringAsync(change);
        Assert.Contains("Change line 1: Staff time", form);
        string Value(string name) => System.Text.RegularExpressions.Regex.Match(form, $"name=\"{name}\"[^>]*value=\"([^\"]*)\"").Groups[1].Value;
        Assert.Equal("STAFF-01", Value("staffRef"));
        Assert.Equal(("5", "10", "2026", "1"), (Value("date-day"), Value("date-month"), Value("date-year"), Value("days")));
        Assert.Matches("<option value=\"leader\" selected", form);

        var fields = new Dictionary<string, string>
        {
            [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(form), ["kind"] = "staff-time", ["staffRef"] = "STAFF-01",
            ["role"] = "leader", ["activity"] = "training", ["date-day"] = "5", ["date-month"] = "10", ["date-year"] = "2026", ["days"] = "0.5",
            ["categoryId"] = w.Category("staff-cover").ToString(), ["allowanceCategoryId"] = w.Category("contact-time").ToString(),
        };
        using (var saved = await page.PostAsync(change, new FormUrlEncodedContent(fields)))
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var lines = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]!.AsArray();
        Assert.Equal(lineId, Assert.Single(lines)!["id"]!.GetValue<long>()); // the same line, changed
        Assert.Equal(225, lines[0]!["minutes"]!.GetValue<long>());
    }

    /// <summary>
    /// The line form shows every problem it can know about in one error summary, in the order of its fields, and keeps what
    /// was typed: the form's own errors (a date that does not exist, days that are not a number, an amount that is not money)
    /// stopped the use case's checks, so the school fixed those and was then shown the rest.
    /// </summary>
    [Fact]
    public async Task TheLineForm_ShowsEveryProblemAtOnce_InTheOrderOfItsFields_KeepingWhatWasTyped()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, html) = await PostLineAsync(page, id, new()
        {
            ["kind"] = "staff-time", ["staffRef"] = "Jane Smith", ["role"] = "teacher", ["activity"] = "training",
            ["date-day"] = "31", ["date-month"] = "9", ["date-year"] = "2026", ["days"] = "one", ["hours"] = "",
            ["categoryId"] = w.Category("staff-cover").ToString(), ["allowanceCategoryId"] = "", ["description"] = new string('n', 501),
        });
        Assert.Equal(["staffRef", "date", "days", "description"], problems.Select(p => p.Field));
        Assert.Contains("name=\"staffRef\" type=\"text\" value=\"Jane Smith\"", html);
        Assert.Contains("name=\"date-day\" type=\"text\" inputmode=\"numeric\" value=\"31\"", html);
        Assert.Contains("name=\"days\" type=\"text\" value=\"one\"", html);
        Assert.Matches("<option value=\"teacher\" selected", html);

        (problems, html) = await PostLineAsync(page, id, new()
        {
            ["kind"] = "action-plan", ["actionId"] = w.Actions[0].ToString(), ["supplier"] = " ", ["invoiceRef"] = "INV-1", ["amount"] = "twelve pounds",
            ["categoryId"] = w.Category("action-plan").ToString(),
        });
        Assert.Equal(["supplier", "amount"], problems.Select(p => p.Field));
        Assert.Equal("Enter the supplier", problems[0].Text); // GOV.UK's way: what to do, not "The supplier is required"
        Assert.Contains("value=\"twelve pounds\"", html);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
    }

    /// <summary>
    /// A budget category left out is told in its place in the summary, after the hours and before the note: with one category
    /// of the line's kind the form carries it hidden, so no component noted the field and its error came first.
    /// </summary>
    [Fact]
    public async Task TheLineForm_TellsACategoryLeftOut_InTheOrderOfItsFields()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, html) = await PostLineAsync(page, id, new()
        {
            ["kind"] = "support-hours", ["staffRef"] = "Jane Smith", ["date-day"] = "31", ["date-month"] = "2", ["date-year"] = "2026",
            ["hours"] = "abc", ["categoryId"] = "", ["allowanceCategoryId"] = "", ["description"] = "kit \u202E00.05",
        });
        Assert.Equal(["staffRef", "date", "hours", "categoryId", "description"], problems.Select(p => p.Field));
        Assert.Equal("Select the budget category", problems[3].Text);
        Assert.Contains("<select class=\"govuk-select govuk-select--error\" id=\"categoryId\" name=\"categoryId\"", html);
        Assert.Contains("name=\"hours\" type=\"text\" value=\"abc\"", html);
        Assert.Contains("value=\"kit \u202E00.05\"", html);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
    }

    /// <summary>
    /// A line's problems are told at once: a staff member claimed past a full working day on a date is refused with the line's
    /// other field errors (422 naming each), and alone it is still its rule (staff-day-exceeded); it was told only once
    /// the rest of the line was right.
    /// </summary>
    [Fact]
    public async Task ALinePastAFullDay_IsRefusedWithItsOtherProblems_AndAloneAsItsRule()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"); // a full day
        object Line(string activity) => new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "teacher", activity, date = "2026-10-05", hours = "2",
        };
        var errors = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line("golf"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "activity")
            .Json["errors"]!.AsObject();
        Assert.Contains("more than a full working day", errors["hours"]![0]!.GetValue<string>());
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line("training"))).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "staff-day-exceeded");
    }

    /// <summary>
    /// The staff-time fields' refusals on the line form say what to do, as its other fields' do ("Enter the date of the work"):
    /// "Enter the staff reference" when it is left out, how to write one when it is not a pseudonym, "Select the role" and
    /// "Select the activity". They said "The staff reference must be the staff member's pseudonym…" for one left out, and
    /// "The role must be one of leader, teacher, support-staff".
    /// </summary>
    [Fact]
    public async Task TheLineForm_SaysWhatToDo_WhenTheStaffTimeFieldsAreLeftOutOrWrong()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        Dictionary<string, string> Line(string staffRef, string role, string activity) => new()
        {
            ["kind"] = "staff-time", ["staffRef"] = staffRef, ["role"] = role, ["activity"] = activity,
            ["date-day"] = "5", ["date-month"] = "10", ["date-year"] = "2026", ["days"] = "1", ["categoryId"] = w.Category("staff-cover").ToString(),
        };
        var (problems, _) = await PostLineAsync(page, id, Line("", "", ""));
        Assert.Equal([("staffRef", "Enter the staff reference"), ("role", "Select the role"), ("activity", "Select the activity")], problems);
        (problems, _) = await PostLineAsync(page, id, Line("Jane Smith", "head", "golf"));
        Assert.Equal("Enter the staff reference as letters then numbers, like STAFF-07: the staff member's pseudonym, never their name",
            problems.Single(p => p.Field == "staffRef").Text);
        Assert.Equal(["Select the role"], problems.Where(p => p.Field == "role").Select(p => p.Text));
    }

    /// <summary>Posts the line form as a browser does: the error summary's problems (the field each links to, and its text) and the page.</summary>
    private static Task<(List<(string Field, string Text)> Problems, string Html)> PostLineAsync(HttpClient page, long claimId,
        Dictionary<string, string> fields) =>
        PageForms.PostAsync(page, $"/school/claims/{claimId}/line", fields, formAt: $"/school/claims/{claimId}/line?kind={fields["kind"]}");

    /// <summary>
    /// Work is claimed once it has been done: a line dated after today (the UK's date) is refused, naming the date; today
    /// is taken. Before, a line dated weeks ahead could be claimed and submitted.
    /// </summary>
    [Fact]
    public async Task ALineDatedInTheFuture_IsRefused_TodayIsTaken()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        var tomorrow = today.AddDays(1);
        // the half-term of the test's year that holds tomorrow; once the year is over, its last one is made to
        var periodId = await Db.ScalarAsync("SELECT coalesce((SELECT id FROM period WHERE programme_year_id = $1 AND $2 BETWEEN starts_on AND ends_on), 0)",
            w.S.YearId, tomorrow);
        if (periodId == 0)
            periodId = await Db.ScalarAsync("UPDATE period SET ends_on = $2 WHERE programme_year_id = $1 AND code = 'sum2' RETURNING id", w.S.YearId, tomorrow);
        var id = (await w.School.PostAsync("/api/v1/claims", new { periodId, description = "this half-term" })).Expect(HttpStatusCode.Created).Id;
        object Line(DateOnly date) => new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "leader", activity = "training",
            date = date.ToString("yyyy-MM-dd"), days = "1",
        };
        var refused = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(tomorrow))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "date");
        Assert.Contains("cannot be in the future", refused.Body);
        if (await Db.ScalarAsync("SELECT ($2 >= starts_on)::int FROM period WHERE id = $1", periodId, today) == 1) // not its first day
            (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(today))).Expect(HttpStatusCode.Created);
    }

    /// <summary>
    /// Specialist days may be days only, paid from no budget (the page offers "None"); every other kind of line needs its
    /// budget category. The two were the wrong way round: a specialist day without a category was refused.
    /// </summary>
    [Fact]
    public async Task SpecialistDays_MayBeDaysOnly_OtherLinesNeedTheirBudgetCategory()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "specialist-days", allowanceCategoryId = w.Category("contact-time"), specialist = GrantLedger.Core.Claims.ClaimLines.Specialists[0],
            date = "2026-10-05", days = "1",
        })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("0.00", line["claimed"]!.GetValue<string>());
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", allowanceCategoryId = w.Category("contact-time"), staffRef = "STAFF-01", role = "leader", activity = "training",
            date = "2026-10-05", days = "1",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "categoryId");
    }

    /// <summary>
    /// An amount past £10 billion is refused wherever it is typed, naming the field, and by the database from a script:
    /// before, a line of £92 quadrillion was taken, and nine of them on one claim overflowed the sums of every claims page
    /// and list of the programme, which then failed for everyone.
    /// </summary>
    [Fact]
    public async Task AnAmountPastTenBillionPounds_IsRefusedWhereverItIsTyped_AndByTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "10000000000.00" };
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line)).Expect(HttpStatusCode.Created); // the most there is
        foreach (var amount in new[] { "10000000000.01", "9223372036854775.07", "-10000000000.01" })
        {
            var refused = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line with { amount = amount, invoiceRef = "INV-2" }))
                .ExpectProblem(HttpStatusCode.BadRequest, "amount");
            Assert.Contains("at most 10,000,000,000.00", refused.Body);
        }
        var csv = string.Concat(Enumerable.Range(1, 9).Select(i =>
            $"\naction-plan,{w.Category("action-plan")},{w.Actions[0]},Acme,OVF-{i},9223372036854775.07"));
        var import = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", "kind,categoryId,actionId,supplier,invoiceRef,amount" + csv, "text/csv"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("at most 10,000,000,000.00", import.Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));

        var twice = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines",
                $$"""{"kind":"action-plan","categoryId":{{w.Category("action-plan")}},"actionId":{{w.Actions[0]}},"supplier":"S","invoiceRef":"I","amount":"1.00","amount":"9999.00"}""",
                "application/json"))
            .ExpectProblem(HttpStatusCode.BadRequest, "amount"); // a field given twice: neither value is taken
        Assert.Contains("more than once", twice.Body);
        var noSuchDay = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "staff-time", categoryId = w.Category("staff-cover"),
                staffRef = "STAFF-01", role = "leader", activity = "training", date = "2026-02-30", days = "1" }))
            .ExpectProblem(HttpStatusCode.BadRequest, "date");
        Assert.True(noSuchDay.Body.Contains("a date that exists"), noSuchDay.Body);

        var claims = (await w.Lead.GetAsync("/api/v1/claims")).Expect(HttpStatusCode.OK); // the programme's claims still add up
        Assert.Contains("10000000000.00", claims.Body);
        var script = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("UPDATE claim_line SET amount_pence = 1000000000001 WHERE claim_id = $1 RETURNING 1", id));
        Assert.Equal("claim_line_amount_pence_check", script.ConstraintName);
    }

    [Fact]
    public async Task WhileDrafting_TheClaimShowsWhatItWouldLeave_AndWarnsPast90Percent()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05");     // £250, 450 min
        await w.AddStaffTimeAsync(id, "STAFF-02", "2026-10-06");
        await w.AddStaffTimeAsync(id, "STAFF-03", "2026-10-07");
        var claim = await w.AddStaffTimeAsync(id, "STAFF-04", "2026-10-08", hours: "6", days: null); // £200: £950 of £1,000
        var money = claim["budget"]!.AsArray().Single(b => b!["unit"]!.GetValue<string>() == "GBP")!;
        Assert.Equal("1000.00", money["allocated"]!.GetValue<string>());
        Assert.Equal("950.00", money["thisClaim"]!.GetValue<string>());
        Assert.Equal("50.00", money["leftAfter"]!.GetValue<string>());
        Assert.Equal(95, money["usedPercentAfter"]!.GetValue<int>());
        Assert.True(money["warning"]!.GetValue<bool>());
        var time = claim["budget"]!.AsArray().Single(b => b!["unit"]!.GetValue<string>() == "MIN")!;
        Assert.Equal("2250", time["allocated"]!.GetValue<string>());
        Assert.Equal("1710", time["thisClaim"]!.GetValue<string>());
        Assert.False(time["warning"]!.GetValue<bool>());
        Assert.Contains("submit", claim["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task Claims_AreStartedOnlyByTheSchool_AndOnlyForItsOwnSchool()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        (await w.Lead.PostAsync("/api/v1/claims", new { schoolId = w.S.Schools[0].Id, periodId = w.Periods["aut1"] })).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.PostAsync("/api/v1/claims", new { schoolId = w.S.Schools[1].Id, periodId = w.Periods["aut1"] })).ExpectProblem(HttpStatusCode.Forbidden);
        // a half-term is not a "period" to the school, who never sees its id either: the page named "Period 999999"
        Assert.Equal("half-term 999999 is not a half-term of this programme", (await w.School.PostAsync("/api/v1/claims", new { periodId = 999999 }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "periodId").Json["errors"]!["periodId"]![0]!.GetValue<string>());
        using (var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName))
        {
            var (problems, html) = await PageForms.PostAsync(page, "/school/claims/new", new Dictionary<string, string> { ["periodId"] = "999999", ["description"] = "cover" });
            Assert.Equal([("periodId", "Half-term 999999 is not a half-term of this programme")], problems);
            Assert.DoesNotContain("Period", html);
        }
        var id = await w.NewClaimAsync();
        (await w.OtherSchool.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.OtherLead.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        (await w.School.GetAsync("/api/v1/claims/999999")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task IfMatch_WithAStaleETag_Returns409_AndTheCurrentOneWorks()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var first = await w.School.GetAsync($"/api/v1/claims/{id}");
        var etag = first.Json["eTag"]!.GetValue<string>();
        Assert.Equal(etag, first.Headers.ETag!.Tag);
        await w.AddStaffTimeAsync(id);
        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/claims/{id}") { Content = System.Net.Http.Json.JsonContent.Create(new { description = "changed" }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(etag));
        (await Answer.ReadAsync(await w.School.Http.SendAsync(stale))).ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");

        var current = (await w.School.GetAsync($"/api/v1/claims/{id}")).Headers.ETag!;
        using var fresh = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/claims/{id}") { Content = System.Net.Http.Json.JsonContent.Create(new { description = "changed" }) };
        fresh.Headers.IfMatch.Add(current);
        (await Answer.ReadAsync(await w.School.Http.SendAsync(fresh))).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ADraftNeverSubmitted_CanBeDiscarded_ASubmittedOneCannot()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.School.DeleteAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.NoContent);
        (await w.School.GetAsync($"/api/v1/claims/{id}")).ExpectProblem(HttpStatusCode.NotFound);
        var kept = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(kept);
        (await w.SubmitAsync(kept)).Expect(HttpStatusCode.OK);
        (await w.School.DeleteAsync($"/api/v1/claims/{kept}")).ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
    }
    /// <summary>
    /// The document described a line's days and hours as an object, {hundredths: integer}, which the API refuses: it
    /// takes a number with at most two decimal places. A client built from the document could not add a line.
    /// </summary>
    [Fact]
    public async Task TheOpenApiDocument_DescribesDaysAndHours_AsTheNumbersTheApiTakes()
    {
        var api = await OpenApi.ReadAsync(Db);
        var add = api.Operations.Single(o => o.Key == "POST /api/v1/claims/{claimId}/lines");
        var properties = api.Resolve(add.JsonSchema)!["properties"]!.AsObject();
        foreach (var name in new[] { "days", "hours" })
        {
            var schema = api.Resolve(properties[name])!;
            Assert.Contains("number", schema["type"]!.ToJsonString());
            Assert.Equal(0.01m, schema["multipleOf"]!.GetValue<decimal>());
            Assert.Null(schema["properties"]);
            // and what else the API asks of it, which two decimal places alone do not say: 0.01 of a day is 4.5 minutes
            Assert.Contains("whole number of minutes", schema["description"]!.GetValue<string>());
        }
        Assert.DoesNotContain("hundredths", api.Document.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        // and a line sent as the document describes it is taken
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            staffRef = "STAFF-01", role = "leader", activity = "training", date = w.S.On("10-05"), hours = 2.25,
        })).Expect(HttpStatusCode.Created);
    }
    /// <summary>
    /// Staff time is kept in minutes and was shown in days to two places: 2.5 hours as "0.33 days £83.33", where 0.33 ×
    /// £250 is £82.50; 0.1 hours as "0.01 days £3.33"; the dashboard's allowance "0.85 days reserved". Time that is not a
    /// whole hundredth of a day is shown in hours, on every page that shows staff time, so that quantity × rate is the amount.
    /// </summary>
    [Fact]
    public async Task StaffTimeGivenInHours_IsShownInHours_WhereverItIsShown_SoThatQuantityTimesRateIsTheAmount()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", w.S.On("10-05"), days: null, hours: "2.5");
        await w.AddStaffTimeAsync(id, "STAFF-02", w.S.On("10-05"), days: null, hours: "0.1");
        await w.AddStaffTimeAsync(id, "STAFF-03", w.S.On("10-05"), days: "0.5");
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7", date = w.S.On("10-01") }))
            .Expect(HttpStatusCode.Created);
        var halfTermBegan = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]!.AsArray().Single(l => l!["kind"]!.GetValue<string>() == "tlr")!["date"]!.GetValue<string>();
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);

        using var school = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var admin = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        foreach (var page in new[]
                 {
                     await school.GetStringAsync($"/school/claims/{id}"), await lead.GetStringAsync($"/review/claims/{id}"),
                     await admin.GetStringAsync($"/ledger/claims/{id}"),
                 })
        {
            Assert.Contains("2.5 hours", page);
            Assert.Contains("0.1 hours", page);
            Assert.Contains("0.5 days", page); // given in days, and a whole hundredth of one
            Assert.DoesNotContain("0.33 days", page);
            Assert.DoesNotContain("0.01 days", page);
            // every priced line with its rate: a TLR's too (the API gave it; the pages did not)
            Assert.Contains("at £250.00 a day of 7.5 hours", WebUtility.HtmlDecode(page));
            Assert.Contains("at £300.00 a half-term", WebUtility.HtmlDecode(page));
            // a TLR line is the half-term's, dated the day it began: said so, not given as a day nobody sent
            Assert.Contains($"for the half-term from {DateOnly.Parse(halfTermBegan):d MMM yyyy}", WebUtility.HtmlDecode(page));
            Assert.DoesNotContain(DateOnly.Parse(w.S.On("10-01")).ToString("d MMM yyyy"), page);
        }
        Assert.Equal("an hour", GrantLedger.Web.Pages.Gov.RatePer("hour")); // support hours' rate read "at £18.00 a hour"
        var dashboard = await school.GetStringAsync("/school");
        Assert.Contains("6.35 hours", dashboard); // 2.5 + 0.1 + 3.75 hours reserved
        Assert.DoesNotContain("0.85 days", dashboard);
    }

    /// <summary>
    /// A line of a claim submitted since (a bookmark, a second tab) opened to change, or its change posted: the page says
    /// the claim has been submitted and can no longer be changed, its status, and links to it; it answered 403 "Your role
    /// does not allow this page, or the record belongs to another school", though the claim is the school's own.
    /// </summary>
    [Fact]
    public async Task ChangingALineOfASubmittedClaim_SaysItCanNoLongerBeChanged_AndLinksToIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"))["lines"]![0]!["id"]!.GetValue<long>();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var form = await page.GetStringAsync($"/school/claims/{id}/line?lineId={lineId}");
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);

        using var shown = await page.GetAsync($"/school/claims/{id}/line?lineId={lineId}");
        using var posted = await page.PostAsync($"/school/claims/{id}/line?lineId={lineId}", new FormUrlEncodedContent(
        [
            new(Security.PageFormFuzzTests.Token, Security.PageFormFuzzTests.TokenOf(form)), new("kind", "staff-time"), new("staffRef", "STAFF-02"),
        ]));
        foreach (var answer in new[] { shown, posted })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = System.Net.WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
            Assert.Contains("has been submitted and can no longer be changed", html);
            Assert.Contains($"href=\"/school/claims/{id}\"", html);
            Assert.DoesNotContain("Staff reference", html);
        }
        var lines = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]!.AsArray();
        Assert.Equal("STAFF-01", Assert.Single(lines)!["staffRef"]!.GetValue<string>());
    }

    /// <summary>
    /// A staff member claimed past a full day is told the time as the pages show it, in days when it is a whole hundredth of
    /// a day and in hours otherwise: it said "1 day 2 h 30 min".
    /// </summary>
    [Fact]
    public async Task AStaffDayRefusal_TellsTheTimeAsThePagesShowIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"); // a full day
        var refused = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "teacher", activity = "training",
            date = "2026-10-05", hours = "2.5",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "staff-day-exceeded").Json["detail"]!.GetValue<string>();
        Assert.Contains("would be claimed for 10 hours on 5 Oct 2026, more than a full working day (7.5 hours): 7.5 hours is already claimed", refused);
        Assert.DoesNotContain(" h ", refused);
    }

    /// <summary>
    /// A claim's ledger entries say what happened to it in one tense, "submitted", "approved", "returned": they read
    /// "Claim CLM-000021 approve: …" beside "…submitted: …", in the journal and in its hledger and Beancount exports.
    /// </summary>
    [Fact]
    public async Task AClaimsLedgerEntries_SayWhatHappenedInThePastTense()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var approved = await w.UnderReviewAsync("STAFF-01", "2026-10-05");
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var returned = await w.UnderReviewAsync("STAFF-02", "2026-10-06");
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Add the invoice" })).Expect(HttpStatusCode.OK);

        async Task<List<string>> Descriptions(long claim)
        {
            await using var cmd = Db.DataSource.CreateCommand(
                "SELECT description FROM journal_entry WHERE cause_type = 'claim' AND cause_id = $1 ORDER BY id");
            cmd.Parameters.AddWithValue(claim);
            var list = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) list.Add(r.GetString(0));
            return list;
        }
        Assert.Collection(await Descriptions(approved),
            d => Assert.StartsWith($"Claim CLM-{approved:000000} submitted: ", d),
            d => Assert.StartsWith($"Claim CLM-{approved:000000} approved: ", d));
        Assert.Collection(await Descriptions(returned),
            d => Assert.StartsWith($"Claim CLM-{returned:000000} submitted: ", d),
            d => Assert.StartsWith($"Claim CLM-{returned:000000} returned: hold released: ", d));
        // the half-term with its year: "Autumn 1" alone was either year's in a journal that holds two
        Assert.All((await Descriptions(approved)).Concat(await Descriptions(returned)), d => Assert.EndsWith($"({w.S.Schools[0].Urn}), Autumn 1 2026-27", d));
    }
}

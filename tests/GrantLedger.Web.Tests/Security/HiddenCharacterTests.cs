using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// Free text is stored as typed and shown to others, so it may hold only characters that show as they are stored. A
/// right-to-left override (U+202E) in a supplier, a reason or a payee reference made a reviewer read one thing where
/// another was stored; zero-width characters made two names that look alike differ. Every free-text field refuses
/// them, by one rule (Core's FreeText): the API naming the field and the character, the pages inline, the CSV imports
/// by row and column; and PostgreSQL refuses them in the columns that say who someone is or where money goes.
/// </summary>
public sealed class HiddenCharacterTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string Override = "\u202E";

    private sealed record Field(string Name, Func<string, Task<Answer>> Send);

    /// <summary>Every free-text field of the API, each given text with a right-to-left override in it.</summary>
    [Fact]
    public async Task EveryFreeTextField_RefusesAHiddenCharacter_NamingTheFieldAndTheCharacter_AndWritesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var s = w.S;
        var p = $"/api/v1/programmes/{s.ProgrammeId}";
        var draft = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory Ltd"))).Expect(HttpStatusCode.Created).Id;
        var review = await w.UnderReviewAsync("STAFF-09", s.On("10-08"));
        var reviewLine = (await w.Lead.GetAsync($"/api/v1/claims/{review}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        var funded = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "1.00", reference = "grant", valueDate = s.On("09-02") }))
            .Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        var plan = (await w.School.GetAsync($"/api/v1/action-plans?schoolId={s.Schools[0].Id}")).Json.AsArray().Single()!["id"]!.GetValue<long>();
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        var finance = await s.FinanceAsync(Db);
        var approved = await w.UnderReviewAsync("STAFF-08", s.On("10-08"));
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var run = (await finance.PostAsync($"{p}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        var planBody = (string? summary, string description) => new
        {
            programmeYearId = s.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = s.On("09-20"), summary,
            actions = new[] { new { theme = "learning", description, periodId = w.Periods["aut1"], estimatedCost = "300.00" } },
        };
        var user = (string? userName, string displayName, string? email) => new
        {
            userName, displayName, email, password = "a-long-password-2026", role = Roles.SchoolBusinessManager, schoolId = s.Schools[1].Id,
        };
        var school = (string name, string phase, string? la, string? payee) =>
            new { urn = "700001", name, phase, localAuthority = la, areaId = s.AreaIds[0], payeeReference = payee };

        Field[] fields =
        [
            new("name", t => s.Root.PostAsync("/api/v1/programmes", new { code = "spoof", name = t, funder = "Funder" })),
            new("funder", t => s.Root.PostAsync("/api/v1/programmes", new { code = "spoof", name = "Name", funder = t })),
            new("name", t => s.Root.SendAsync(HttpMethod.Patch, p, new { name = t })),
            new("funder", t => s.Root.SendAsync(HttpMethod.Patch, p, new { funder = t })),
            new("name", t => s.Root.PostAsync($"{p}/areas", new { code = "spoof", name = t })),
            new("name", t => s.Root.PostAsync($"{p}/categories", new { code = "spoof", name = t, kind = "staff-cover" })),
            new("name", t => s.Root.PostAsync($"{p}/schools", school(t, "Primary", null, null))),
            new("phase", t => s.Root.PostAsync($"{p}/schools", school("School", t, null, null))),
            new("localAuthority", t => s.Root.PostAsync($"{p}/schools", school("School", "Primary", t, null))),
            new("payeeReference", t => s.Root.PostAsync($"{p}/schools", school("School", "Primary", null, t))),
            new("payeeReference", t => s.Root.PutAsync($"/api/v1/schools/{s.Schools[0].Id}/payee-reference", new { payeeReference = t })),
            new("userName", t => s.Root.PostAsync("/api/v1/users", user(t, "Name", null))),
            new("displayName", t => s.Root.PostAsync("/api/v1/users", user("spoof", t, null))),
            new("email", t => s.Root.PostAsync("/api/v1/users", user("spoof", "Name", t))),
            new("name", t => w.School.PostAsync("/api/v1/me/tokens", new { name = t })),
            new("tokenName", async t => await Answer.ReadAsync(await Db.Factory.CreateClient().PostAsJsonAsync("/api/v1/auth/token",
                new { userName = w.School.UserName, password = DatabaseFixture.Password, tokenName = t }))),
            new("reference", t => s.Root.PostAsync($"{s.Year}/funding", new { amount = "1.00", reference = t, valueDate = s.On("09-02") })),
            new("description", t => s.Root.PostAsync($"{s.Year}/allocations", new
            {
                valueDate = s.On("09-02"), description = t, lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "1.00" } },
            })),
            new("reason", t => s.Root.PostAsync($"{s.Year}/virements", new
            {
                from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
                to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] }, amount = "1.00", reason = t,
            })),
            new("reason", t => s.Root.PostAsync($"/api/v1/journal-entries/{funded}/reversal", new { reason = t })),
            new("name", t => s.Root.PostAsync($"{p}/rates", new { code = "spoof-day", name = t, basis = "day", amount = "1.00", effectiveFrom = s.On("09-01") })),
            new("description", t => w.School.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut1"], description = t })),
            new("description", t => w.School.SendAsync(HttpMethod.Patch, $"/api/v1/claims/{draft}", new { description = t })),
            new("supplier", t => w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, t))),
            new("invoiceRef", t => w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory Ltd", t))),
            new("description", t => w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory Ltd", description: t))),
            new("supplier", t => w.School.PutAsync($"/api/v1/claims/{draft}/lines/{line}", ActionPlanLine(w, t))),
            new("reason", t => w.Lead.PostAsync($"/api/v1/claims/{review}/return", new { reason = t })),
            new("reason", t => w.Lead.PostAsync($"/api/v1/claims/{review}/reject", new { reason = t })),
            new("lines[0].reason", t => w.Lead.PostAsync($"/api/v1/claims/{review}/approve", new { lines = new[] { new { lineId = reviewLine, amount = "1.00", reason = t } } })),
            new("summary", t => w.OtherSchool.PostAsync("/api/v1/action-plans", planBody(t, "Sensory room kit"))),
            new("actions[0].description", t => w.OtherSchool.PostAsync("/api/v1/action-plans", planBody(null, t))),
            new("feedback", t => w.Lead.PostAsync($"/api/v1/action-plans/{revision}/return", new { feedback = t })),
            new("reason", t => finance.PostAsync($"/api/v1/payment-runs/{run}/cancel", new { reason = t })),
        ];

        var written = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        foreach (var field in fields)
        {
            var refused = (await field.Send($"£10{Override}00 Sensory Ltd")).ExpectProblem(HttpStatusCode.UnprocessableEntity, field.Name);
            var message = refused.Json["errors"]![field.Name]![0]!.GetValue<string>();
            Assert.StartsWith("must not contain a hidden or direction-changing character (U+202E RIGHT-TO-LEFT OVERRIDE at character 4)", message);
        }
        Assert.Equal(written, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE reason IS NOT NULL"));
    }

    private static object ActionPlanLine(ClaimWorld w, string supplier, string invoiceRef = "INV-1", string? description = null) => new
    {
        kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier, invoiceRef, amount = "120.00", description,
    };

    /// <summary>A reason, a description or a note keeps its line breaks; a supplier, an invoice number or a name is one line.</summary>
    [Fact]
    public async Task TextOfManyLines_KeepsItsLineBreaks_WhileANameOrAReferenceIsOneLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory\nLtd")))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "supplier");
        var refused = (await w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory Ltd", "INV\t1"))).Json;
        Assert.Equal("must be one line: it contains a tab (U+0009 TAB at character 4)", refused["errors"]!["invoiceRef"]![0]!.GetValue<string>());

        var review = await w.UnderReviewAsync();
        const string reason = "Two things:\r\n1. the timesheet is unsigned\r\n2. the date is a Saturday";
        var returned = (await w.Lead.PostAsync($"/api/v1/claims/{review}/return", new { reason })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(reason, returned["reason"]!.GetValue<string>());
    }

    /// <summary>A CSV's refusals name the row and the column, and nothing of the file is added.</summary>
    [Fact]
    public async Task ACsvOfLines_WithAHiddenCharacter_IsRefusedNamingItsRowAndColumn()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var csv = $"""
            kind,categoryId,actionId,supplier,invoiceRef,amount,description
            action-plan,{w.Category("action-plan")},{w.Actions[0]},Sensory Ltd,INV-1,120.00,"Ear defenders, two pairs"
            action-plan,{w.Category("action-plan")},{w.Actions[0]},Sensory{"\u200B"} Ltd,INV-2,80.00,
            """;
        var refused = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "line 3, supplier").Json;
        Assert.Equal(["line 3, supplier"], refused["errors"]!.AsObject().Select(e => e.Key));
        Assert.StartsWith("Line 3: the supplier must not contain a hidden or direction-changing character (U+200B ZERO WIDTH SPACE at character 8)",
            refused["errors"]!["line 3, supplier"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));

        // the schools' import reports each refused row, naming its column
        var schools = $"URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n700001,St Mary{Override}s,Primary,Camden\n700002,Ysgol Bro,Primary,Came\u2066n\n";
        var report = (await w.S.Root.PostBytesAsync($"/api/v1/programmes/{w.S.ProgrammeId}/schools/import?areaId={w.S.AreaIds[0]}",
            Encoding.UTF8.GetBytes(schools), "text/csv")).Expect(HttpStatusCode.OK).Json;
        var reasons = report["rejections"]!.AsArray().Select(r => (r!["line"]!.GetValue<int>(), r["reason"]!.GetValue<string>())).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.Equal(2, reasons[0].Item1);
        Assert.StartsWith("the school's name (EstablishmentName) must not contain a hidden or direction-changing character (U+202E", reasons[0].Item2);
        Assert.Equal(3, reasons[1].Item1);
        Assert.StartsWith("the local authority ('LA (name)') must not contain a hidden or direction-changing character (U+2066", reasons[1].Item2);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM school WHERE urn LIKE '7000%'"));
    }

    /// <summary>A page's form shows the refusal beside the field, and keeps what was typed.</summary>
    [Fact]
    public async Task APageForm_WithAHiddenCharacter_ShowsItBesideTheField_AndAddsNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var path = $"/school/claims/{id}/line?kind=action-plan";
        var form = await page.GetStringAsync(path);
        using var answer = await page.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(form), ["kind"] = "action-plan", ["categoryId"] = w.Category("action-plan").ToString(),
            ["actionId"] = w.Actions[0].ToString(), ["supplier"] = $"Sensory{Override}dtL", ["invoiceRef"] = "INV-1", ["amount"] = "120.00",
        }));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = await answer.Content.ReadAsStringAsync();
        Assert.Contains("govuk-error-summary", html);
        Assert.Matches("id=\"supplier-error\" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> The supplier must not contain a hidden or direction-changing character \\(U\\+202E", html);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    /// <summary>
    /// PostgreSQL refuses the same characters in the names and references a script could write (a school's name and
    /// payee reference, a claim line's supplier), whichever the way in.
    /// </summary>
    [Fact]
    public async Task TheDatabase_RefusesAHiddenCharacterInANameOrAReference()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{draft}/lines", ActionPlanLine(w, "Sensory Ltd"))).Expect(HttpStatusCode.Created).Id;
        foreach (var (sql, constraint) in new[]
                 {
                     ($"UPDATE school SET name = 'St Mary{Override}s' WHERE id = {w.S.Schools[0].Id}", "school_name_plain"),
                     ($"UPDATE school SET payee_reference = 'SUP-{"\u200B"}1' WHERE id = {w.S.Schools[0].Id}", "school_payee_reference_keyboard"), // 0067's, checked before 0066's (by name), refuses every character a keyboard does not type
                     ($"UPDATE app_user SET display_name = 'Area lead{"\u2067"}' WHERE id = {w.Lead.UserId}", "app_user_display_name_plain"),
                     ($"UPDATE claim_line SET supplier = 'Sensory{Override}Ltd' WHERE id = {line}", "claim_line_supplier_plain"),
                     ($"UPDATE claim_line SET invoice_ref = 'INV-1{"\n"}' WHERE id = {line}", "claim_line_invoice_ref_plain"),
                 })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Db.DataSource.ExecuteAsync(sql));
            Assert.Equal((PostgresErrorCodes.CheckViolation, constraint), (refused.SqlState, refused.ConstraintName));
        }
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM pg_constraint WHERE conname LIKE '%\\_plain' AND NOT convalidated"));
    }

    /// <summary>The database's list of characters is the service's: the same verdict for every code point of Unicode.</summary>
    [Fact]
    public async Task TheDatabasesRule_AgreesWithTheServices_ForEveryCodePoint()
    {
        var refusedThere = new HashSet<int>();
        await using (var cmd = Db.DataSource.CreateCommand("""
            SELECT i FROM generate_series(1, 1114111) i WHERE i NOT BETWEEN 55296 AND 57343 AND NOT plain_line(chr(i))
            """))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) refusedThere.Add(reader.GetInt32(0));
        var disagree = Enumerable.Range(1, 0x10FFFF).Where(i => i is < 0xD800 or > 0xDFFF)
            .Where(i => (FreeText.CharacterProblem(char.ConvertFromUtf32(i)) is not null) != refusedThere.Contains(i))
            .Select(i => $"U+{i:X4}").ToList();
        Assert.True(disagree.Count == 0, "PostgreSQL and the service disagree on " + string.Join(", ", disagree.Take(40)));
        Assert.Contains(0x202E, refusedThere);
    }
}

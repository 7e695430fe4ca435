using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Infrastructure;

public sealed class MalformedInputTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Theory]
    [InlineData("{\"code\": \"dm\", ", "body")]
    [InlineData("not json at all", "body")]
    [InlineData("{\"code\": 42, \"name\": \"x\", \"funder\": \"y\"}", "code")]
    [InlineData("{\"code\": \"dm\", \"name\": \"x\", \"funder\": \"y\", \"secondApprovalThreshold\": \"12.345\"}", "secondApprovalThreshold")]
    [InlineData("{\"code\": \"dm\", \"name\": \"x\", \"funder\": \"y\", \"secondApprovalThreshold\": 1e5}", "secondApprovalThreshold")]
    [InlineData("", "body")]
    public async Task MalformedJson_Returns400NamingTheField_AndWritesNothing(string body, string field)
    {
        var root = await Db.UserAsync("root", GrantLedger.Web.Access.Roles.ProgrammeAdmin);
        (await root.PostRawAsync("/api/v1/programmes", body)).ExpectProblem(HttpStatusCode.BadRequest, field);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme"));
    }

    /// <summary>
    /// A field the request does not have is refused, 400 naming it as it was sent (a list's item by its path), and nothing is
    /// done, as the OpenAPI document says of every body (additionalProperties: false). It was dropped without a word: a lead
    /// who wrote "line" for "lines" approved the claim in full, and a misspelt "descripton" started a claim without one.
    /// </summary>
    [Fact]
    public async Task AFieldTheRequestDoesNotHave_IsRefusedNamingIt_AndNothingIsDone()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        var answer = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { line = new[] { new { lineId = lines[0], amount = "100.00", reason = "half" } } }))
            .ExpectProblem(HttpStatusCode.BadRequest, "line");
        Assert.Contains("not a field of this request", answer.Json["errors"]!["line"]![0]!.GetValue<string>());
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId = lines[0], amount = "100.00", reasn = "half" } } }))
            .ExpectProblem(HttpStatusCode.BadRequest, "lines[0].reasn");
        Assert.Equal("under-review", (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["state"]!.GetValue<string>());

        var claims = await Db.ScalarAsync("SELECT count(*) FROM claim");
        (await w.School.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut1"], descripton = "Autumn cover" }))
            .ExpectProblem(HttpStatusCode.BadRequest, "descripton");
        Assert.Equal(claims, await Db.ScalarAsync("SELECT count(*) FROM claim"));
    }

    [Fact]
    public async Task AmountAsAJsonNumber_IsReadFromItsDigits_NotThroughFloatingPoint()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.PostRawAsync($"{s.Year}/funding", "{\"amount\": 0.29, \"reference\": \"r\", \"valueDate\": \"2026-09-01\"}")).Expect(HttpStatusCode.Created);
        Assert.Equal(29, await Db.ScalarAsync("SELECT amount FROM funding"));
    }

    [Fact]
    public async Task UnknownIds_Return404Problems()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.GetAsync("/api/v1/programmes/424242")).ExpectProblem(HttpStatusCode.NotFound);
        (await s.Root.PostAsync("/api/v1/programmes/424242/years/1/funding", new { amount = "1.00", reference = "r" })).ExpectProblem(HttpStatusCode.NotFound);
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years/424242/funding", new { amount = "1.00", reference = "r" })).ExpectProblem(HttpStatusCode.NotFound);
        (await s.Root.GetAsync("/api/v1/journal-entries/424242")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task HugeAndOddStrings_AreRefusedAsFields_NotAsServerErrors()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "ok", name = new string('x', 5000) }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "name");
        // NUL is refused as the JSON is read, in every field of every request (PostgreSQL's text cannot hold it).
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "ok", name = "bad\u0000name" }))
            .ExpectProblem(HttpStatusCode.BadRequest, "name");
        (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "99999999999999999999.00", reference = "r" }))
            .ExpectProblem(HttpStatusCode.BadRequest, "amount");
        (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "-5.00", reference = "r" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
    }

    /// <summary>
    /// NUL in a query's parameter (PostgreSQL's text cannot hold it) is refused before it reaches a statement, naming the
    /// parameter; it was a 500 where the parameter went into a query. A page answers 400 with a page of its own instead
    /// (SecurityTests.ErrorsOnPages_…); here the auditors' ledger page, asked by a program, says 400 as well.
    /// </summary>
    [Fact]
    public async Task NulInAQueryParameter_Is400NamingIt_NotAServerError()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        foreach (var (path, parameter) in new[]
                 {
                     ($"/api/v1/audit/journal?programmeId={s.ProgrammeId}&accountPrefix=tp%00", "accountPrefix"),
                     ("/api/v1/audit/events?action=claim.%00", "action"),
                     ($"/api/v1/audit/programmes/{s.ProgrammeId}/balances?asOf=2026-09-30&prefix=%00", "prefix"),
                 })
            (await auditor.GetAsync(path)).ExpectProblem(HttpStatusCode.BadRequest, parameter);
        (await auditor.GetAsync("/ledger?prefix=tp%00")).Expect(HttpStatusCode.BadRequest);
    }

    /// <summary>
    /// A query's value the service cannot read is answered as the query's fault, not the body's, and a date that does not
    /// exist says so: "?from=2026-02-30" was "The request body is not valid JSON…" with "The value … is not valid".
    /// </summary>
    [Fact]
    public async Task AQueryValueItCannotRead_IsTheQuerysFault_AndANonDateSaysSo()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        var date = (await auditor.GetAsync($"/api/v1/audit/programmes/{s.ProgrammeId}/balances?asOf=2026-02-30")).ExpectProblem(HttpStatusCode.BadRequest, "asOf");
        Assert.Equal("The request's query is not valid.", date.Json["detail"]!.GetValue<string>());
        Assert.Contains("a date that exists", date.Json["errors"]!["asOf"]![0]!.GetValue<string>());
        var number = (await auditor.GetAsync("/api/v1/audit/journal?programmeId=abc")).ExpectProblem(HttpStatusCode.BadRequest, "programmeId");
        Assert.Equal("The request's query is not valid.", number.Json["detail"]!.GetValue<string>());
    }

    /// <summary>
    /// A query parameter given twice is refused, 400 naming it, in whatever case each was written: the claims list read
    /// ?programmeId=1&amp;programmeId=2 and ?limit=1&amp;limit=2 by their first value, 200, the other dropped without a word.
    /// </summary>
    [Fact]
    public async Task AQueryParameterGivenTwice_IsRefusedNamingIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var programme = w.S.ProgrammeId;
        foreach (var (query, parameter) in new[]
                 {
                     ($"programmeId={programme}&programmeId={programme + 1}", "programmeId"),
                     ($"programmeId={programme}&limit=1&limit=2", "limit"),
                     ($"programmeId={programme}&limit=1&Limit=1", "limit"),
                 })
        {
            var answer = (await w.Admin.GetAsync($"/api/v1/claims?{query}")).ExpectProblem(HttpStatusCode.BadRequest, parameter);
            Assert.Equal("is given 2 times: give it once", answer.Json["errors"]![parameter]![0]!.GetValue<string>());
            Assert.StartsWith("The request's query gives a parameter more than once.", answer.Json["detail"]!.GetValue<string>());
        }
        (await w.Admin.GetAsync($"/api/v1/claims?programmeId={programme}&limit=1")).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// A query value that cannot be read is named as the client sends it and says what it must be, as the service's other
    /// refusals do: "?after=abc" was "The value 'abc' is not valid for After.", and "?on=bad" and "?recordedBy=garbage"
    /// "The value 'bad' is not valid.".
    /// </summary>
    [Fact]
    public async Task AQueryValueItCannotRead_IsNamedAsSent_AndSaysWhatItMustBe()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        var admin = await s.ProgrammeAdminAsync(Db);
        const string Whole = "must be a whole number";
        const string Date = "must be a date that exists, as YYYY-MM-DD (2026-10-05)";
        foreach (var (client, path, field, says) in new[]
                 {
                     (auditor, "/api/v1/audit/events?after=abc", "after", Whole),
                     (auditor, "/api/v1/audit/events?limit=ten", "limit", Whole),
                     (auditor, "/api/v1/audit/events?from=someday", "from",
                         "must be a date, as YYYY-MM-DD (2026-10-05), or a date and time, as ISO 8601 (2026-10-05T09:30:00Z)"),
                     (auditor, $"/api/v1/audit/journal?programmeId={s.ProgrammeId}&recordedBy=garbage", "recordedBy",
                         "must be a date and time, as ISO 8601 (2026-10-05T09:30:00Z)"),
                     (admin, $"/api/v1/programmes/{s.ProgrammeId}/rates?on=bad", "on", Date),
                     (admin, $"/api/v1/programmes/{s.ProgrammeId}/trial-balance?recordedBy=garbage", "recordedBy",
                         "must be a date and time, as ISO 8601 (2026-10-05T09:30:00Z)"),
                     (admin, $"/api/v1/programmes/{s.ProgrammeId}/trial-balance?depth=2.5", "depth", Whole),
                     (admin, $"/api/v1/claims?programmeId={s.ProgrammeId}&before=99999999999999999999", "before", Whole),
                 })
        {
            var problem = (await client.GetAsync(path)).ExpectProblem(HttpStatusCode.BadRequest, field).Json;
            Assert.Equal("The request's query is not valid.", problem["detail"]!.GetValue<string>());
            Assert.Equal([field], problem["errors"]!.AsObject().Select(e => e.Key));
            Assert.Equal([says], problem["errors"]![field]!.AsArray().Select(m => m!.GetValue<string>()));
        }
    }
}

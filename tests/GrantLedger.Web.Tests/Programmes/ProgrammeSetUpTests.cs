using System.Net;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Programmes;

public sealed class ProgrammeSetUpTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// Every 201 gives the created record's own address, relative, and reading it answers that record: reversals, users and
    /// schools gave an absolute one (http://127.0.0.1:5611/…) where claims gave a relative one, and a year, an area, a category
    /// and a rate gave their programme's list, where there was no address of their own to read them by.
    /// </summary>
    [Fact]
    public async Task EveryCreatedRecord_IsAnsweredWithItsOwnRelativeAddress_WhichReadsIt()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var p = $"/api/v1/programmes/{s.ProgrammeId}";
        var funding = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "100.00", reference = "grant", valueDate = s.On("09-01") }))
            .Expect(HttpStatusCode.Created);
        var created = new (string Address, Answer Answer)[]
        {
            ("/api/v1/programmes/{id}", await s.Root.PostAsync("/api/v1/programmes", new { code = "lx", name = "Located", funder = "Funder" })),
            ($"{p}/years/{{id}}", await s.Root.PostAsync($"{p}/years", new { code = "2027-28" })),
            ("/api/v1/areas/{id}", await s.Root.PostAsync($"{p}/areas", new { code = "area-9", name = "Area 9" })),
            ("/api/v1/categories/{id}", await s.Root.PostAsync($"{p}/categories", new { code = "extra", name = "Extra", kind = "staff-cover" })),
            ("/api/v1/schools/{id}", await s.Root.PostAsync($"{p}/schools", new { urn = "199999", name = "Located School", phase = "Primary", areaId = s.AreaIds[0] })),
            ("/api/v1/rates/{id}", await s.Root.PostAsync($"{p}/rates", new { code = "cover-day", name = "Cover", basis = "day", amount = "200.00", effectiveFrom = s.On("09-01") })),
            ("/api/v1/users/{id}", await s.Root.PostAsync("/api/v1/users",
                new { userName = "located-lead", displayName = "Lead", password = "a-long-enough-password", role = "area_lead", areaId = s.AreaIds[0] })),
            ("/api/v1/journal-entries/{id}", await s.Root.PostAsync($"/api/v1/journal-entries/{funding.Json["entryId"]}/reversal", new { reason = "sent twice" })),
        };
        foreach (var (address, answer) in created)
        {
            var id = answer.Expect(HttpStatusCode.Created).Id;
            Assert.Equal(address.Replace("{id}", id.ToString()), answer.Headers.Location!.OriginalString);
            Assert.Equal(id, (await s.Root.GetAsync(answer.Headers.Location.OriginalString)).Expect(HttpStatusCode.OK).Id);
        }
        Assert.Equal($"/api/v1/journal-entries/{funding.Json["entryId"]}", funding.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task CreateProgramme_ByAdminOfAllProgrammes_Returns201AndIsListed()
    {
        var root = await Db.UserAsync("root", Roles.ProgrammeAdmin);
        var created = (await root.PostAsync("/api/v1/programmes", new { code = "dm", name = "Difference Matters", funder = "VRU", secondApprovalThreshold = "5000" }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal("5000.00", created["secondApprovalThreshold"]!.GetValue<string>());
        var list = (await root.GetAsync("/api/v1/programmes")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal("dm", Assert.Single(list)!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateProgramme_WithTakenCode_Returns409NamingCode()
    {
        var root = await Db.UserAsync("root", Roles.ProgrammeAdmin);
        await root.PostAsync("/api/v1/programmes", new { code = "dm", name = "A", funder = "VRU" });
        (await root.PostAsync("/api/v1/programmes", new { code = "dm", name = "B", funder = "VRU" }))
            .ExpectProblem(HttpStatusCode.Conflict, "code", "programme-code-taken");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM programme"));
    }

    [Fact]
    public async Task CreateProgramme_WithInvalidFields_Returns422NamingEachField()
    {
        var root = await Db.UserAsync("root", Roles.ProgrammeAdmin);
        var problem = (await root.PostAsync("/api/v1/programmes", new { code = "Bad Code", name = "", areaKind = "county" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.True(problem.ContainsKey("code"));
        Assert.True(problem.ContainsKey("name"));
        Assert.True(problem.ContainsKey("funder"));
        Assert.True(problem.ContainsKey("areaKind"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM programme"));
    }

    /// <summary>
    /// A year whose code is not an academic year is refused on its code, 9999-00 among them (it would end in the year 10000,
    /// which a date cannot hold: the use case answered 500), and no year is added.
    /// </summary>
    [Theory]
    [InlineData("9999-00")]
    [InlineData("2027-29")]
    [InlineData("27-28")]
    public async Task AYearCodeThatIsNoAcademicYear_IsRefusedOnItsCode_AndAddsNoYear(string code)
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "code");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM programme_year"));
    }

    /// <summary>
    /// A code ending in a newline is refused naming its field, as PostgreSQL's CHECK would refuse it: .NET's $ matched
    /// before the newline, so the service took it and the table refused it (422 naming a constraint, not the field).
    /// </summary>
    [Fact]
    public async Task ACodeEndingInANewline_IsRefusedNamingItsField()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await s.Root.PostAsync("/api/v1/programmes", new { code = "newline\n", name = "N", funder = "F", areaKind = "borough" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "code");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "north\n", name = "North" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "code");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/categories", new { code = "kit\n", name = "Kit", kind = "action-plan" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "code");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools", new { urn = "123456\n", name = "A school", phase = "Primary", areaId = s.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "urn");
        Assert.Equal((1, 1), (await Db.ScalarAsync("SELECT count(*) FROM programme"), await Db.ScalarAsync("SELECT count(*) FROM area")));
    }

    [Fact]
    public async Task CreateProgramme_ByAdminOfOneProgramme_Returns403()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        (await admin.PostAsync("/api/v1/programmes", new { code = "other", name = "Other", funder = "F" })).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AnyEndpoint_WithoutCredentials_Returns401Problem()
    {
        var anonymous = new ApiClient(Db.Factory.CreateClient(), null, 0, "anonymous");
        (await anonymous.GetAsync("/api/v1/programmes")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/programmes", new { code = "x" })).ExpectProblem(HttpStatusCode.Unauthorized);
        var badToken = new ApiClient(Db.Factory.CreateClient(), "glt_not-a-real-token", 0, "anonymous");
        (await badToken.GetAsync("/api/v1/programmes")).ExpectProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AddYear_WithoutPeriods_GetsSixContiguousHalfTermsCoveringTheYear()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var year = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray().Single()!;
        var periods = year["periods"]!.AsArray().Select(p => (Code: p!["code"]!.GetValue<string>(),
            Start: DateOnly.Parse(p["startsOn"]!.GetValue<string>()), End: DateOnly.Parse(p["endsOn"]!.GetValue<string>()))).ToList();
        Assert.Equal(["aut1", "aut2", "spr1", "spr2", "sum1", "sum2"], periods.Select(p => p.Code));
        Assert.Equal(new DateOnly(2026, 9, 1), periods[0].Start);
        Assert.Equal(new DateOnly(2027, 8, 31), periods[^1].End);
        for (var i = 1; i < periods.Count; i++) Assert.Equal(periods[i - 1].End.AddDays(1), periods[i].Start);
        Assert.Equal(new DateOnly(2027, 2, 28), periods[2].End);
    }

    [Fact]
    public async Task AddYear_WithGapBetweenHalfTerms_Returns422NamingThePeriod()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var periods = new object[]
        {
            new { code = "aut1", startsOn = "2027-09-01", endsOn = "2027-10-20" },
            new { code = "aut2", startsOn = "2027-11-01", endsOn = "2027-12-31" },
            new { code = "spr1", startsOn = "2028-01-01", endsOn = "2028-02-29" },
            new { code = "spr2", startsOn = "2028-03-01", endsOn = "2028-04-30" },
            new { code = "sum1", startsOn = "2028-05-01", endsOn = "2028-05-31" },
            new { code = "sum2", startsOn = "2028-06-01", endsOn = "2028-08-31" },
        };
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2027-28", periods }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "periods[1].startsOn");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2027-29" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "code");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years", new { code = "2026-27" }))
            .ExpectProblem(HttpStatusCode.Conflict, "code");
    }

    [Fact]
    public async Task AddCategory_TimeAllowance_IsCountedInMinutes_AndMoneyKindsInPounds()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var categories = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/categories")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal("MIN", categories.Single(c => c!["code"]!.GetValue<string>() == "contact-time")!["unit"]!.GetValue<string>());
        Assert.Equal("GBP", categories.Single(c => c!["code"]!.GetValue<string>() == "staff-cover")!["unit"]!.GetValue<string>());
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/categories", new { code = "odd", name = "Odd", kind = "time-allowance", unit = "GBP" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "unit");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/categories", new { code = "staff-cover", name = "Again", kind = "staff-cover" }))
            .ExpectProblem(HttpStatusCode.Conflict, "code");
        // names are what pages and imports choose by: another's name, case and spaces aside, or another's code, is refused
        // naming name (a pot named " STAFF-cover " was taken beside staff-cover, and an import naming either found neither)
        foreach (var name in new[] { " STAFF-cover ", "Contact-Time", "action-plan" })
            (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/categories", new { code = "pot", name, kind = "programme-pot" }))
                .ExpectProblem(HttpStatusCode.Conflict, "name", "category-exists");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "area-9", name = "  area   1" }))
            .ExpectProblem(HttpStatusCode.Conflict, "name", "area-exists");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "area-1", name = "Elsewhere" }))
            .ExpectProblem(HttpStatusCode.Conflict, "code", "area-exists");
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM budget_category WHERE programme_id = $1", s.ProgrammeId));
    }

    [Fact]
    public async Task SetUp_ByAreaLeadOrFinance_Returns403AndWritesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var lead = await s.AreaLeadAsync(Db);
        var finance = await s.FinanceAsync(Db);
        (await lead.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "x", name = "X" })).ExpectProblem(HttpStatusCode.Forbidden);
        (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "x", name = "X" })).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM area"));
    }

    /// <summary>
    /// The schools list, by URN, is read a page at a time when a client asks for one (limit, 1 to 5000; the next page after the
    /// last URN), and whole without a limit, as before: it had no paging, and PINS's 1,680 schools, or every school in England,
    /// came in one answer or not at all.
    /// </summary>
    [Fact]
    public async Task TheSchoolsList_IsReadAPageAtATime_ByURN_OrWhole()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var admin = await s.ProgrammeAdminAsync(Db);
        var list = $"/api/v1/programmes/{s.ProgrammeId}/schools";
        string[] Urns(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(x => x!["urn"]!.GetValue<string>()).ToArray();
        var all = s.Schools.Select(x => x.Urn).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(all, Urns(await admin.GetAsync(list)));
        var page = Urns(await admin.GetAsync($"{list}?limit=3"));
        Assert.Equal(all[..3], page);
        Assert.Equal(all[3..], Urns(await admin.GetAsync($"{list}?limit=3&after={page[^1]}")));
        Assert.Equal(s.Schools.Where(x => x.AreaId == s.AreaIds[1] && string.CompareOrdinal(x.Urn, all[0]) > 0).Select(x => x.Urn).Order(StringComparer.Ordinal),
            Urns(await admin.GetAsync($"{list}?areaId={s.AreaIds[1]}&after={all[0]}")));
        (await admin.GetAsync($"{list}?limit=5001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    [Fact]
    public async Task Schools_AreVisibleByScope_ASchoolSeesOnlyItself()
    {
        var s = await Scenario.CreateAsync(Db, 2, 2);
        var school = await s.SchoolUserAsync(Db, 0);
        var lead = await s.AreaLeadAsync(Db, 1);
        var mine = (await school.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/schools")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(s.Schools[0].Id, Assert.Single(mine)!["id"]!.GetValue<long>());
        var area = (await lead.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/schools")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.All(area, x => Assert.Equal(s.AreaIds[1], x!["areaId"]!.GetValue<long>()));
        Assert.Equal(2, area.Count);
        (await school.GetAsync($"/api/v1/schools/{s.Schools[1].Id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await lead.GetAsync($"/api/v1/schools/{s.Schools[0].Id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await school.GetAsync("/api/v1/schools/999999")).ExpectProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AddSchool_WithBadUrnOrForeignArea_Returns422_AndDuplicateUrn409()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var other = await Scenario.CreateAsync(Db, 1, 1, "op", s.Root);
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools", new { urn = "12345", name = "X", phase = "Primary", areaId = s.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "urn");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools", new { urn = "123456", name = "X", phase = "Primary", areaId = other.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools", new { urn = s.Schools[0].Urn, name = "X", phase = "Primary", areaId = s.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.Conflict, "urn");
    }

    [Fact]
    public async Task ChangeProgramme_SetsAndClearsTheSecondApprovalThreshold_ByItsAdminOnly()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var admin = await s.ProgrammeAdminAsync(Db);
        var set = (await admin.SendAsync(HttpMethod.Patch, $"/api/v1/programmes/{s.ProgrammeId}", new { secondApprovalThreshold = "2500" })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("2500.00", set["secondApprovalThreshold"]!.GetValue<string>());
        var cleared = (await admin.SendAsync(HttpMethod.Patch, $"/api/v1/programmes/{s.ProgrammeId}", new { clearSecondApprovalThreshold = true })).Expect(HttpStatusCode.OK).Json;
        Assert.Null(cleared["secondApprovalThreshold"]);
        (await admin.SendAsync(HttpMethod.Patch, $"/api/v1/programmes/{s.ProgrammeId}", new { secondApprovalThreshold = "0" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "secondApprovalThreshold");
        (await (await s.FinanceAsync(Db)).SendAsync(HttpMethod.Patch, $"/api/v1/programmes/{s.ProgrammeId}", new { name = "x" })).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'programme.changed' AND details->'before'->>'secondApprovalThreshold' IS NULL"));
    }
}

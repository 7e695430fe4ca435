using System.Net;
using GrantLedger.Web.Access;

namespace GrantLedger.Web.Tests.Support;

public sealed record SchoolRow(long Id, string Urn, long AreaId);

/// <summary>
/// A small programme set up through the API as a programme admin would: one year (2026-27 unless
/// another is given, e.g. a year that has ended, to close it), areas, schools, money categories
/// (staff-cover, action-plan) and a staff-time allowance.
/// </summary>
public sealed class Scenario
{
    public required ApiClient Root { get; init; }
    public required long ProgrammeId { get; init; }
    public required long YearId { get; init; }
    public required IReadOnlyList<long> AreaIds { get; init; }
    public required IReadOnlyList<SchoolRow> Schools { get; init; }
    public required IReadOnlyDictionary<string, long> Categories { get; init; }
    public required string Code { get; init; }
    public string YearCode { get; init; } = "2026-27";

    public string Year => $"/api/v1/programmes/{ProgrammeId}/years/{YearId}";

    /// <summary>A date of the year by its month and day ("10-05"): September to December in its first calendar year.</summary>
    public string On(string monthDay)
    {
        var first = int.Parse(YearCode[..4]);
        return $"{(int.Parse(monthDay[..2]) >= 9 ? first : first + 1)}-{monthDay}";
    }

    public static async Task<Scenario> CreateAsync(DatabaseFixture db, int areas = 2, int schoolsPerArea = 2, string code = "tp",
        ApiClient? root = null, string year = "2026-27")
    {
        root ??= await db.UserAsync($"root-{code}", Roles.ProgrammeAdmin);
        var programmeId = (await root.PostAsync("/api/v1/programmes", new { code, name = $"Test programme {code}", funder = "Test funder" }))
            .Expect(HttpStatusCode.Created).Id;
        var yearId = (await root.PostAsync($"/api/v1/programmes/{programmeId}/years", new { code = year })).Expect(HttpStatusCode.Created).Id;
        var areaIds = new List<long>();
        for (var a = 0; a < areas; a++)
            areaIds.Add((await root.PostAsync($"/api/v1/programmes/{programmeId}/areas", new { code = $"area-{a + 1}", name = $"Area {a + 1}" }))
                .Expect(HttpStatusCode.Created).Id);
        var categories = new Dictionary<string, long>();
        foreach (var (c, kind) in new[] { ("staff-cover", "staff-cover"), ("action-plan", "action-plan"), ("contact-time", "time-allowance") })
            categories[c] = (await root.PostAsync($"/api/v1/programmes/{programmeId}/categories", new { code = c, name = c, kind }))
                .Expect(HttpStatusCode.Created).Id;
        var schools = new List<SchoolRow>();
        var urnBase = 100000 + (int)(programmeId % 90) * 1000;
        foreach (var areaId in areaIds)
            for (var s = 0; s < schoolsPerArea; s++)
            {
                var urn = (urnBase + schools.Count + 1).ToString();
                var id = (await root.PostAsync($"/api/v1/programmes/{programmeId}/schools",
                    new { urn, name = $"School {urn}", phase = "Primary", areaId })).Expect(HttpStatusCode.Created).Id;
                schools.Add(new SchoolRow(id, urn, areaId));
            }
        return new Scenario
        {
            Root = root, ProgrammeId = programmeId, YearId = yearId, AreaIds = areaIds, Schools = schools, Categories = categories, Code = code, YearCode = year,
        };
    }

    public async Task FundAsync(string amount, long? minutes = null)
    {
        (await Root.PostAsync($"{Year}/funding", new { amount, reference = "grant", valueDate = On("09-01") })).Expect(HttpStatusCode.Created);
        if (minutes is { } m)
            (await Root.PostAsync($"{Year}/funding", new { unit = "MIN", minutes = m, reference = "time", valueDate = On("09-01") }))
                .Expect(HttpStatusCode.Created);
    }

    /// <summary>The same amount of a money category to every school.</summary>
    public async Task AllocateEachAsync(string category, string amount) =>
        (await Root.PostAsync($"{Year}/allocations", new
        {
            valueDate = On("09-01"),
            each = new { categoryId = Categories[category], amount, allSchools = true },
        })).Expect(HttpStatusCode.Created);

    public Task<ApiClient> SchoolUserAsync(DatabaseFixture db, int school = 0) =>
        db.UserAsync($"sbm-{Code}-{school}", Roles.SchoolBusinessManager, ProgrammeId, schoolId: Schools[school].Id);

    public Task<ApiClient> AreaLeadAsync(DatabaseFixture db, int area = 0) =>
        db.UserAsync($"lead-{Code}-{area}", Roles.AreaLead, ProgrammeId, areaId: AreaIds[area]);

    public Task<ApiClient> ProgrammeAdminAsync(DatabaseFixture db) =>
        db.UserAsync($"admin-{Code}", Roles.ProgrammeAdmin, ProgrammeId);

    public Task<ApiClient> FinanceAsync(DatabaseFixture db, string name = "finance") =>
        db.UserAsync($"{name}-{Code}", Roles.FunderFinance, ProgrammeId);

    public Task<ApiClient> AuditorAsync(DatabaseFixture db) => db.UserAsync($"auditor-{Code}", Roles.Auditor);

    /// <summary>An account's view by code (as the root admin sees it).</summary>
    public async Task<System.Text.Json.Nodes.JsonNode> AccountAsync(string code, string unit = "GBP")
    {
        var list = (await Root.GetAsync($"/api/v1/programmes/{ProgrammeId}/accounts?unit={unit}&prefix={Uri.EscapeDataString(code)}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        return list.Single(a => a!["code"]!.GetValue<string>() == code)!;
    }

    public string SchoolAccount(int school, string category, string leaf) => $"{Code}:{YearCode}:school:{Schools[school].Urn}:{category}:{leaf}";
}

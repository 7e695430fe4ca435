using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;
using static GrantLedger.Web.Tests.Security.AccessMatrix;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// Records to put in request paths: the caller's own (school 0 of area 0 in programme "tp": its
/// claim, line, evidence, plan, account, an entry, a payment run, a user and token to act on), and
/// records outside each role's scope (a school of the other area; another programme, with a user and their token).
/// </summary>
public sealed partial class ScopedRecords
{
    /// <summary>A signed-in user of each role: school 0's business manager, area 0's lead, the programme's admin and finance, an auditor.</summary>
    public required Dictionary<string, ApiClient> Users { get; init; }
    public required Dictionary<string, long> Own { get; init; }
    /// <summary>For the school and the area lead: the school of the other area, in the same programme.</summary>
    public required Dictionary<string, long> OtherSchool { get; init; }
    /// <summary>For programme-scoped roles: another programme.</summary>
    public required Dictionary<string, long> OtherProgramme { get; init; }

    private Dictionary<string, long> Other(string role) => role is S or L ? OtherSchool : OtherProgramme;

    private static IEnumerable<string> Names(string path) => Param().Matches(path).Select(m => m.Groups[1].Value);

    /// <summary>Only where every id of the path has an out-of-scope value, and at least one.</summary>
    public bool HasOther(string path, string role) => role != U && Names(path).Any() && Names(path).All(Other(role).ContainsKey);

    public string Fill(string path, string scope, string role) =>
        Param().Replace(path, m => (scope == "other" ? Other(role) : Own)[m.Groups[1].Value].ToString());

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Param();

    public static async Task<ScopedRecords> CreateAsync(DatabaseFixture db, ClaimWorld w)
    {
        var s = w.S;
        var school2 = await s.SchoolUserAsync(db, 2); // area 1
        async Task<(long Claim, long Line, long Evidence)> DraftAsync(ApiClient school, string staff)
        {
            var claim = await w.NewClaimAsync(school);
            var line = (await w.AddStaffTimeAsync(claim, staff, school: school))["id"]!.GetValue<long>();
            var evidence = (await w.AttachAsync(claim, ClaimWorld.Pdf(staff), "e.pdf", line, school)).Expect(HttpStatusCode.Created).Id;
            return (claim, line, evidence);
        }
        var own = await DraftAsync(w.School, "M-01");
        var other = await DraftAsync(school2, "M-02");
        var submitted2 = await w.NewClaimAsync(school2);
        await w.AddStaffTimeAsync(submitted2, "M-04", school: school2);
        (await w.SubmitAsync(submitted2, school2)).Expect(HttpStatusCode.OK);
        var plan0 = (await w.School.GetAsync("/api/v1/action-plans")).Expect(HttpStatusCode.OK).Json.AsArray()[0]!["id"]!.GetValue<long>();
        var plan2 = (await school2.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = s.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = "2026-09-20",
            actions = new[] { new { theme = "learning", description = "Kit", periodId = w.Periods["aut1"], estimatedCost = "10.00" } },
        })).Expect(HttpStatusCode.Created).Id;

        // An approved claim of school 0 in a payment run.
        var approved = await w.UnderReviewAsync("M-03", "2026-10-08");
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var finance = await s.FinanceAsync(db, "maker");
        var job = (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/exports", new { kind = "csv" })).Expect(HttpStatusCode.Accepted).Id;
        var run = (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        var checkRun = (await finance.PostAsync($"/api/v1/audit/programmes/{s.ProgrammeId}/check-runs", new { })).Expect(HttpStatusCode.Accepted).Id;

        Task<long> AccountOf(int school) => db.ScalarAsync("SELECT id FROM account WHERE code = $1 AND unit = 'GBP'", s.SchoolAccount(school, "staff-cover", "available"));
        Task<long> EntryOf(long account) => db.ScalarAsync("SELECT min(entry_id) FROM transfer WHERE debit_account_id = $1", account);
        long account0 = await AccountOf(0), entry0 = await EntryOf(account0), account2 = await AccountOf(2), entry2 = await EntryOf(account2);
        var victim = await s.SchoolUserAsync(db, 3);
        var token = await db.ScalarAsync("SELECT max(id) FROM api_token WHERE user_id = $1", victim.UserId);

        // Another programme, funded, with its own school.
        var b = await Scenario.CreateAsync(db, 1, 1, code: "tb", root: s.Root);
        await b.FundAsync("100.00");
        var bFunding = await db.ScalarAsync("SELECT id FROM account WHERE code = 'tb:2026-27:funding' AND unit = 'GBP'");
        var bYears = (await s.Root.GetAsync($"/api/v1/programmes/{b.ProgrammeId}/years")).Json.AsArray();
        var bUser = await b.SchoolUserAsync(db);
        var bToken = await db.ScalarAsync("SELECT max(id) FROM api_token WHERE user_id = $1", bUser.UserId);
        var bRate = (await s.Root.PostAsync($"/api/v1/programmes/{b.ProgrammeId}/rates",
            new { code = "tb-day", name = "Day", basis = "day", amount = "100.00", effectiveFrom = b.On("09-01") })).Expect(HttpStatusCode.Created).Id;

        return new ScopedRecords
        {
            Users = new()
            {
                [S] = w.School, [L] = w.Lead, [A] = w.Admin, [F] = await s.FinanceAsync(db),
                [U] = await s.AuditorAsync(db), // auditors see every programme: no record is outside their scope
            },
            Own = new()
            {
                ["programmeId"] = s.ProgrammeId, ["yearId"] = s.YearId, ["periodId"] = w.Periods["aut1"], ["schoolId"] = s.Schools[0].Id,
                ["areaId"] = s.AreaIds[0], ["categoryId"] = s.Categories["staff-cover"],
                ["claimId"] = own.Claim, ["lineId"] = own.Line, ["evidenceId"] = own.Evidence, ["planId"] = plan0,
                ["accountId"] = account0, ["entryId"] = entry0, ["runId"] = run, ["jobId"] = job, ["checkRunId"] = checkRun, ["userId"] = victim.UserId, ["id"] = token,
                ["rateId"] = await db.ScalarAsync("SELECT min(id) FROM rate WHERE programme_id = $1", s.ProgrammeId),
            },
            OtherSchool = new()
            {
                ["schoolId"] = s.Schools[2].Id, ["claimId"] = other.Claim, ["lineId"] = other.Line, ["evidenceId"] = other.Evidence,
                ["planId"] = plan2, ["accountId"] = account2, ["entryId"] = entry2,
            },
            OtherProgramme = new()
            {
                ["programmeId"] = b.ProgrammeId, ["yearId"] = b.YearId, ["periodId"] = bYears[0]!["periods"]![0]!["id"]!.GetValue<long>(),
                ["schoolId"] = b.Schools[0].Id, ["areaId"] = b.AreaIds[0], ["categoryId"] = b.Categories.Values.First(),
                ["accountId"] = bFunding, ["entryId"] = await db.ScalarAsync("SELECT min(entry_id) FROM transfer WHERE debit_account_id = $1", bFunding),
                ["userId"] = bUser.UserId, ["id"] = bToken, ["rateId"] = bRate,
                ["checkRunId"] = (await b.Root.PostAsync($"/api/v1/audit/programmes/{b.ProgrammeId}/check-runs", new { })).Expect(HttpStatusCode.Accepted).Id,
            },
        };
    }
}

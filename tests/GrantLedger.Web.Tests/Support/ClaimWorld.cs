using System.Net;
using System.Text.Json.Nodes;

namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// A programme ready for claims: 2 areas of 2 schools; each school allocated £1,000 staff cover,
/// £500 TLR/admin, £500 action-plan and 5 days (2,250 minutes) of contact time; a rate card
/// (teacher cover £250 a day, £300 from 15 October; support staff £18 an hour; TLR3 £300 a
/// half-term; specialist £450 a day); school 0 with an agreed action plan of two actions. The year
/// is 2026-27 unless another is given (a year that has ended, to close it); the dates move with it.
/// </summary>
public sealed class ClaimWorld
{
    public required Scenario S { get; init; }
    public required ApiClient School { get; init; }       // school 0's business manager (area 0)
    public required ApiClient OtherSchool { get; init; }  // school 1 (area 0)
    public required ApiClient Lead { get; init; }         // area 0's lead
    public required ApiClient OtherLead { get; init; }    // area 1's lead
    public required ApiClient Admin { get; init; }        // the programme's admin
    public required IReadOnlyDictionary<string, long> Periods { get; init; }
    public required long[] Actions { get; init; }         // school 0's agreed plan's actions

    public static async Task<ClaimWorld> CreateAsync(DatabaseFixture db, string year = "2026-27")
    {
        var s = await Scenario.CreateAsync(db, 2, 2, year: year);
        await db.ScalarAsync("INSERT INTO budget_category (programme_id, code, name, unit, kind) VALUES ($1, 'tlr-admin', 'TLR and admin', 'GBP', 'tlr-admin') RETURNING id", s.ProgrammeId);
        var categories = new Dictionary<string, long>(s.Categories)
        {
            ["tlr-admin"] = await db.ScalarAsync("SELECT id FROM budget_category WHERE programme_id = $1 AND code = 'tlr-admin'", s.ProgrammeId),
        };
        var world = new Scenario
        {
            Root = s.Root, ProgrammeId = s.ProgrammeId, YearId = s.YearId, AreaIds = s.AreaIds, Schools = s.Schools, Categories = categories, Code = s.Code, YearCode = s.YearCode,
        };
        await world.FundAsync("10000.00", minutes: 4 * 2250);
        await world.AllocateEachAsync("staff-cover", "1000.00");
        await world.AllocateEachAsync("tlr-admin", "500.00");
        await world.AllocateEachAsync("action-plan", "500.00");
        (await world.Root.PostAsync($"{world.Year}/allocations", new { each = new { categoryId = categories["contact-time"], minutes = 2250, allSchools = true } }))
            .Expect(HttpStatusCode.Created);

        var years = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json.AsArray();
        var periods = years[0]!["periods"]!.AsArray().ToDictionary(p => p!["code"]!.GetValue<string>(), p => p!["id"]!.GetValue<long>());

        var admin = await world.ProgrammeAdminAsync(db);
        foreach (var (code, basis, amount, from) in new[]
                 {
                     ("teacher-cover-day", "day", "250.00", s.On("09-01")), ("teacher-cover-day", "day", "300.00", s.On("10-15")),
                     ("support-staff-hour", "hour", "18.00", s.On("09-01")), ("tlr3-period", "period", "300.00", s.On("09-01")),
                     ("specialist-day", "day", "450.00", s.On("09-01")),
                 })
            (await admin.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/rates", new { code, name = code, basis, amount, effectiveFrom = from }))
                .Expect(HttpStatusCode.Created);

        var school = await world.SchoolUserAsync(db, 0);
        var lead = await world.AreaLeadAsync(db, 0);
        var (_, actions) = await AgreedPlanOfTwoActionsAsync(world, school, lead, periods);

        return new ClaimWorld
        {
            S = world, School = school, OtherSchool = await world.SchoolUserAsync(db, 1),
            Lead = lead, OtherLead = await world.AreaLeadAsync(db, 1), Admin = admin,
            Periods = periods, Actions = actions,
        };
    }

    /// <summary>A plan of two actions (1: sensory room kit, £300, Autumn 1; 2: staff training, £200, Autumn 2) sent and agreed.</summary>
    private static async Task<(long Plan, long[] Actions)> AgreedPlanOfTwoActionsAsync(Scenario s, ApiClient school, ApiClient lead,
        IReadOnlyDictionary<string, long> periods)
    {
        var plan = (await school.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = s.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = s.On("09-20"),
            actions = new object[]
            {
                new { theme = "learning", description = "Sensory room kit", periodId = periods["aut1"], estimatedCost = "300.00" },
                new { theme = "support", description = "Staff training", periodId = periods["aut2"], estimatedCost = "200.00" },
            },
        })).Expect(HttpStatusCode.Created);
        (await school.PostAsync($"/api/v1/action-plans/{plan.Id}/submit", null)).Expect(HttpStatusCode.OK);
        var agreed = (await lead.PostAsync($"/api/v1/action-plans/{plan.Id}/agree", null)).Expect(HttpStatusCode.OK).Json;
        return (plan.Id, agreed["actions"]!.AsArray().OrderBy(a => a!["ref"]!.GetValue<int>()).Select(a => a!["id"]!.GetValue<long>()).ToArray());
    }

    /// <summary>School 1's plan of two actions (kit £10, training £20, both Autumn 1), a draft not yet sent: its id.</summary>
    public async Task<long> OtherSchoolsDraftPlanAsync() =>
        (await OtherSchool.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = S.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = S.On("09-20"),
            actions = new[]
            {
                new { theme = "learning", description = "Kit", periodId = Periods["aut1"], estimatedCost = "10.00" },
                new { theme = "support", description = "Training", periodId = Periods["aut1"], estimatedCost = "20.00" },
            },
        })).Expect(HttpStatusCode.Created).Id;

    /// <summary>School 1 given the same plan as school 0's, agreed by the area lead: its id and its actions' ids (action 1, action 2).</summary>
    public Task<(long Plan, long[] Actions)> OtherSchoolsAgreedPlanAsync() => AgreedPlanOfTwoActionsAsync(S, OtherSchool, Lead, Periods);

    /// <summary>School 0's version of its plan now agreed.</summary>
    public async Task<long> AgreedPlanAsync() =>
        (await School.GetAsync($"/api/v1/action-plans?schoolId={S.Schools[0].Id}")).Json.AsArray()
            .Single(p => p!["state"]!.GetValue<string>() == "agreed")!["id"]!.GetValue<long>();

    /// <summary>A draft with one action-plan line of £10 on the action (supplier Sensory Ltd, the invoice given), its invoice attached.</summary>
    public async Task<long> DraftOnActionAsync(long actionId, string invoice, ApiClient? school = null)
    {
        var id = await NewClaimAsync(school);
        var line = (await (school ?? School).PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "action-plan", categoryId = Category("action-plan"), actionId, supplier = "Sensory Ltd", invoiceRef = invoice, amount = "10.00",
        })).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await AttachAsync(id, Pdf(invoice), $"{invoice}.pdf", line, school)).Expect(HttpStatusCode.Created);
        return id;
    }

    /// <summary>
    /// What a script would send to submit a draft as its creator, past every check of the service, written as the service
    /// writes a submission: the history row naming the entry (its id taken first), the state, then the entry holding each
    /// line's money (a pending transfer from the category's available account to its payable one, opened if need be) and the
    /// lines' holds. Staff time is not held. The database's own rules are what must refuse it. Written as
    /// <paramref name="actor"/> instead of the creator when given.
    /// </summary>
    public static string SubmittedByScript(long claimId, long? actor = null) => SubmittedByScript(claimId, actor?.ToString() ?? "created_by");

    private static string SubmittedByScript(long claimId, string actor) => $"""
        INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id)
        SELECT id, 'submit', 'draft', 'submitted', {actor}, 'school_business_manager', nextval('journal_entry_id_seq') FROM claim WHERE id = {claimId};
        UPDATE claim SET state = 'submitted', submitted_by = {actor}, submitted_at = now() WHERE id = {claimId};
        INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id)
        SELECT DISTINCT a.programme_id, a.unit, regexp_replace(a.code, ':available$', ':payable'), 'Payable', 'credit', 'debits_within_credits',
               a.programme_year_id, a.school_id, a.category_id
          FROM claim c JOIN claim_line l ON l.claim_id = c.id
          JOIN account a ON a.school_id = c.school_id AND a.programme_year_id = c.programme_year_id AND a.category_id = l.category_id
                        AND a.unit = 'GBP' AND a.code LIKE '%:available'
         WHERE c.id = {claimId} AND l.amount_pence > 0
        ON CONFLICT (unit, code) DO NOTHING;
        WITH hold AS MATERIALIZED (
            SELECT nextval('transfer_id_seq') AS id, l.id AS line_id, av.id AS debit, pa.id AS credit, l.amount_pence AS amount
              FROM claim c JOIN claim_line l ON l.claim_id = c.id
              JOIN account av ON av.school_id = c.school_id AND av.programme_year_id = c.programme_year_id AND av.category_id = l.category_id
                             AND av.unit = 'GBP' AND av.code LIKE '%:available'
              JOIN account pa ON pa.unit = 'GBP' AND pa.code = regexp_replace(av.code, ':available$', ':payable')
             WHERE c.id = {claimId} AND l.amount_pence > 0),
        entry AS (
            INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id)
            OVERRIDING SYSTEM VALUE
            SELECT currval('journal_entry_id_seq'), programme_id, current_date, 'Claim submitted by a script', {actor}, 'claim', id
              FROM claim WHERE id = {claimId}
            RETURNING id, programme_id, value_date, recorded_at),
        held AS (
            INSERT INTO transfer (id, entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            OVERRIDING SYSTEM VALUE
            SELECT hold.id, entry.id, entry.programme_id, 'GBP', hold.debit, hold.credit, hold.amount, 'pending', entry.value_date, entry.recorded_at
              FROM hold, entry
            RETURNING id)
        UPDATE claim_line l SET money_hold_id = hold.id FROM hold WHERE l.id = hold.line_id
        """;

    /// <summary>
    /// A draft moved to submitted with its history row and nothing else, no entry holding its money: what the database refuses
    /// (migration 0086) unless its checks are off (<see cref="DataSourceScalars.TamperAsync"/>), for a test that needs many
    /// submitted claims and reads only their state.
    /// </summary>
    public static string SubmittedWithoutItsEntry(long claimId) => $"""
        INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
        SELECT id, 'submit', 'draft', 'submitted', created_by, 'school_business_manager' FROM claim WHERE id = {claimId};
        UPDATE claim SET state = 'submitted', submitted_by = created_by, submitted_at = now() WHERE id = {claimId}
        """;

    public long Category(string code) => S.Categories[code];

    public async Task<long> NewClaimAsync(ApiClient? school = null, string period = "aut1") =>
        (await (school ?? School).PostAsync("/api/v1/claims", new { periodId = Periods[period], description = "test claim" })).Expect(HttpStatusCode.Created).Id;

    public async Task<JsonNode> AddStaffTimeAsync(long claimId, string staff = "STAFF-01", string? date = null, string? days = "1", string? hours = null,
        ApiClient? school = null, bool allowance = true) =>
        (await (school ?? School).PostAsync($"/api/v1/claims/{claimId}/lines", new
        {
            kind = "staff-time", categoryId = Category("staff-cover"), allowanceCategoryId = allowance ? Category("contact-time") : (long?)null,
            staffRef = staff, role = "leader", activity = "training", date = date ?? S.On("10-05"), days = days is null ? null : (object)decimal.Parse(days), hours = hours is null ? null : (object)decimal.Parse(hours),
        })).Expect(HttpStatusCode.Created).Json;

    /// <summary>A line of staff time alone: an occupational therapist's day from the school's contact-time allowance, no money (£0.00).</summary>
    public async Task<JsonNode> AddSpecialistDayAsync(long claimId, string? date = null) =>
        (await School.PostAsync($"/api/v1/claims/{claimId}/lines", new
        {
            kind = "specialist-days", allowanceCategoryId = Category("contact-time"), specialist = "occupational-therapist", date = date ?? S.On("10-05"), days = 1,
        })).Expect(HttpStatusCode.Created).Json;

    /// <summary>A claim of one specialist's day (<see cref="AddSpecialistDayAsync"/>), submitted and approved by the lead: time alone, nothing to pay.</summary>
    public async Task<long> ApprovedSpecialistDayAsync(string? date = null)
    {
        var id = await NewClaimAsync();
        await AddSpecialistDayAsync(id, date);
        (await SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        (await Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        return id;
    }

    public Task<Answer> SubmitAsync(long claimId, ApiClient? school = null) =>
        (school ?? School).PostAsync($"/api/v1/claims/{claimId}/submit", new { declaration = true });

    /// <summary>A claim with one day of staff time (£250 at the September rate), submitted and under review.</summary>
    public async Task<long> UnderReviewAsync(string staff = "STAFF-01", string? date = null)
    {
        var id = await NewClaimAsync();
        await AddStaffTimeAsync(id, staff, date);
        (await SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        return id;
    }

    /// <summary>
    /// A claim of two lines of staff time (STAFF-01 for a day on 5 October; STAFF-02 on 6 October, for a day or for
    /// <paramref name="secondHours"/> hours), submitted and under review, with its lines' ids in their order.
    /// </summary>
    public async Task<(long Id, long[] Lines)> TwoLinesUnderReviewAsync(string? secondHours = null)
    {
        var id = await NewClaimAsync();
        await AddStaffTimeAsync(id, "STAFF-01", "2026-10-05");
        await AddStaffTimeAsync(id, "STAFF-02", "2026-10-06", days: secondHours is null ? "1" : null, hours: secondHours);
        (await SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        var lines = (await Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]!.AsArray().Select(l => l!["id"]!.GetValue<long>()).ToArray();
        return (id, lines);
    }

    public async Task<JsonNode> AccountAsync(int school, string category, string leaf, string unit = "GBP") =>
        await S.AccountAsync(S.SchoolAccount(school, category, leaf), unit);

    public static byte[] Png(int seed = 0) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. BitConverter.GetBytes(seed), 1, 2, 3];
    public static byte[] Pdf(string text = "invoice") => [.. "%PDF-1.4\n"u8.ToArray(), .. System.Text.Encoding.ASCII.GetBytes(text)];

    public async Task<Answer> AttachAsync(long claimId, byte[] content, string name, long? lineId = null, ApiClient? school = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", name);
        if (lineId is not null) form.Add(new StringContent(lineId.Value.ToString()), "lineId");
        using var response = await (school ?? School).Http.PostAsync($"/api/v1/claims/{claimId}/evidence", form);
        return await Answer.ReadAsync(response);
    }
}

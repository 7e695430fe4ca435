using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// What a claim line takes, and how much: the fields of its kind and no others, at most a working day of time, at most the
/// most a line may cost. Each refusal is a 422 naming the field, by the API, the import and the line form alike, and
/// nothing is written.
/// </summary>
public sealed class LineFieldsTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// Fields a kind does not take were dropped or overwritten without a word (only a stray amount was refused): a
    /// support-hours line's role and activity became support-staff and programme-admin, a TLR's hours and days and an
    /// action-plan line's date, staff reference and hours were dropped, and a specialist's staff reference too.
    /// </summary>
    [Fact]
    public async Task AFieldTheKindDoesNotTake_IsRefusedNamingIt_ForEveryKind_AndNothingIsWritten()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        async Task RefusedAsync(object line, params string[] fields)
        {
            var errors = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", line)).ExpectProblem(HttpStatusCode.UnprocessableEntity)
                .Json["errors"]!.AsObject();
            Assert.Equal(fields.Order(), errors.Select(e => e.Key).Order());
        }
        await RefusedAsync(new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", role = "leader", activity = "training",
            date = w.S.On("10-05"), hours = 2,
        }, "role", "activity");
        await RefusedAsync(new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T11", hours = 3, days = 2 }, "hours", "days");
        await RefusedAsync(new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1",
            amount = "120.00", date = w.S.On("10-05"), staffRef = "STAFF-01", hours = 2,
        }, "date", "staffRef", "hours");
        var specialist = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "specialist-days", allowanceCategoryId = w.Category("contact-time"), specialist = "occupational-therapist",
            date = w.S.On("10-05"), days = 1, staffRef = "STAFF-01",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "staffRef");
        Assert.Contains("takes no staffRef", specialist.Body);
        await RefusedAsync(new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "leader", activity = "training",
            date = w.S.On("10-05"), days = 1, specialist = "other", supplier = "Acme",
        }, "specialist", "supplier");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));

        // left out or empty is none: a client or form that sends every field, blank, is not refused
        var added = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", date = w.S.On("10-05"), hours = 2,
            supplier = "", invoiceRef = " ", days = (decimal?)null, actionId = (long?)null,
        })).Expect(HttpStatusCode.Created).Json["lines"]![0]!;
        Assert.Equal(("support-staff", "programme-admin"), (added["role"]!.GetValue<string>(), added["activity"]!.GetValue<string>()));

        // a line changed is checked as one added
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{added["id"]!.GetValue<long>()}", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", date = w.S.On("10-05"), hours = 3, role = "teacher",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "role");
        Assert.Equal(120, await Db.ScalarAsync("SELECT minutes FROM claim_line WHERE claim_id = $1", id));

        // the import names the row and the column; cells left empty for other kinds' columns are none
        var csv = $"""
            kind,categoryId,staffRef,role,activity,date,hours,days,specialist
            support-hours,tlr-admin,S02,,,{w.S.On("10-06")},2,,
            tlr,tlr-admin,T11,,,,,2,
            specialist-days,,STAFF-09,,,{w.S.On("10-06")},,1,other
            """;
        var errors = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity)
            .Json["errors"]!.AsObject();
        Assert.Equal(["line 3, days", "line 4, allowanceCategoryId", "line 4, staffRef"], errors.Select(e => e.Key).Order());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
    }

    /// <summary>
    /// A line is dated on one day, and is at most a working day of time, whatever its kind: a specialist's line is one
    /// specialist's work on its date. 99,999 days on one date were taken, and 9,999,999,999 reached the database, which
    /// refused them naming no field and its own CHECK's name.
    /// </summary>
    [Fact]
    public async Task ALinesTime_IsAtMostOneWorkingDay_RefusedByTheServiceNamingTheField_NotByTheDatabase()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        object Specialist(object days) => new
        {
            kind = "specialist-days", allowanceCategoryId = w.Category("contact-time"), specialist = "occupational-therapist", date = w.S.On("10-05"), days,
        };
        foreach (var days in new object[] { 9999999999, 99999, 1.2m })
        {
            var refused = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Specialist(days))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "days");
            Assert.Contains("one specialist's work on its date", refused.Body);
            Assert.DoesNotContain("claim_line_minutes_check", refused.Body);
        }
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", date = w.S.On("10-05"), hours = 7.75m,
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "hours");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
        Assert.Equal(450, (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Specialist(1))).Expect(HttpStatusCode.Created)
            .Json["lines"]![0]!["minutes"]!.GetValue<long>());
    }

    /// <summary>
    /// A priced line costs at most what any amount can be (£10,000,000,000.00): a specialist's day rate of £10bn by 30,000
    /// days overflowed in pricing (a 500). Past it, the line is refused naming its time; a rate that would price a draft's
    /// line past it is refused, the draft left as it was.
    /// </summary>
    [Fact]
    public async Task ALineThatWouldCostMoreThanTheMost_IsRefusedNamingItsTime_NotA500()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.Admin.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/rates", new
        {
            code = "specialist-day", name = "x", basis = "day", amount = "10000000000.00", effectiveFrom = w.S.On("10-01"),
        })).Expect(HttpStatusCode.Created);
        object Specialist(object days) => new
        {
            kind = "specialist-days", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            specialist = "occupational-therapist", date = w.S.On("10-05"), days,
        };
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Specialist(30000))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "days");
        Assert.Equal("10000000000.00", (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Specialist(1))).Expect(HttpStatusCode.Created)
            .Json["lines"]![0]!["amount"]!.GetValue<string>()); // the most there is

        // an hour rate of £10bn: two hours would be £20bn
        var other = await w.NewClaimAsync();
        object Hours(string date) => new { kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", date, hours = 2 };
        var line = (await w.School.PostAsync($"/api/v1/claims/{other}/lines", Hours(w.S.On("10-05")))).Expect(HttpStatusCode.Created)
            .Json["lines"]![0]!["id"]!.GetValue<long>();
        var rate = (await w.Admin.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/rates", new
        {
            code = "support-staff-hour", name = "x", basis = "hour", amount = "10000000000.00", effectiveFrom = w.S.On("10-01"),
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
        Assert.Contains("more than the most a line may cost", rate.Body);
        Assert.Equal(3600L, await Db.ScalarAsync("SELECT amount_pence FROM claim_line WHERE id = $1", line)); // £36.00, as it was
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM rate WHERE code = 'support-staff-hour' AND amount_pence > 1800"));

        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'support-staff-hour', 'x', 'hour', 1000000000000, $2) RETURNING id",
            w.S.ProgrammeId, DateOnly.Parse(w.S.On("10-16")));
        var refused = (await w.School.PostAsync($"/api/v1/claims/{other}/lines", Hours(w.S.On("10-16")))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "hours");
        Assert.Contains("more than the most a line may cost (£10,000,000,000.00)", refused.Body);
        Assert.Contains("at £10,000,000,000.00 an hour would come to", refused.Body); // "a hour", where the pages say "an hour"
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", other));
    }

    /// <summary>
    /// A submission prices each line by the rate in force on its date: one recorded behind the service's back (a script)
    /// that would price a line past the most a line may cost refuses the submission naming the line, the claim left a draft.
    /// </summary>
    [Fact]
    public async Task ASubmissionRepricingALinePastTheMost_IsRefusedNamingTheLine_NotA500()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = "S01", date = w.S.On("10-05"), hours = 2,
        })).Expect(HttpStatusCode.Created);
        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'support-staff-hour', 'x', 'hour', 1000000000000, $2) RETURNING id",
            w.S.ProgrammeId, DateOnly.Parse(w.S.On("10-01")));
        var refused = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].amount");
        Assert.Contains("more than the most a line may cost", refused.Body);
        Assert.Contains("(£10,000,000,000.00 an hour)", refused.Body);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
    }

    /// <summary>
    /// A new rate reprices a draft's lines each within the most a line may cost, but two of them together past the most a
    /// claim can be (£6bn and £6bn): the rate is refused naming the claim, as adding such a line is, and the draft keeps its
    /// prices; a rate recorded behind the service's back refuses the submission the same way (found in a review of the API).
    /// </summary>
    [Fact]
    public async Task ARateRepricingADraftsTotalPastTheMost_IsRefused_AsIsTheSubmission_TheDraftKeepingItsPrices()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        foreach (var staff in new[] { "S01", "S02" })
            (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
            {
                kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = staff, date = w.S.On("10-05"), hours = 2,
            })).Expect(HttpStatusCode.Created);
        var refused = (await w.Admin.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/rates", new
        {
            code = "support-staff-hour", name = "x", basis = "hour", amount = "3000000000.00", effectiveFrom = w.S.On("10-01"),
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount").Body;
        Assert.Contains($"would take draft claim CLM-{id:000000}'s total to £12,000,000,000.00, past the most a claim can be", refused);
        Assert.Equal(7200L, await Db.ScalarAsync("SELECT sum(amount_pence) FROM claim_line WHERE claim_id = $1", id)); // £72.00, as it was

        await Db.ScalarAsync("INSERT INTO rate (programme_id, code, name, basis, amount_pence, effective_from) VALUES ($1, 'support-staff-hour', 'x', 'hour', 300000000000, $2) RETURNING id",
            w.S.ProgrammeId, DateOnly.Parse(w.S.On("10-01")));
        Assert.Contains("the claim's lines would come to £12,000,000,000.00, past the most a claim can be",
            (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines").Body);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal(7200L, await Db.ScalarAsync("SELECT sum(amount_pence) FROM claim_line WHERE claim_id = $1", id));
    }
}

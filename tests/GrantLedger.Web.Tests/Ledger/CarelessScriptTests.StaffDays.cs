using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>
/// What the review acting as a careless script found PostgreSQL still let through around staff days, TLRs and the year end
/// (7 December), refused since migration 0087.
/// </summary>
public sealed partial class CarelessScriptTests
{
    /// <summary>
    /// A staff day is what the school's claims hold of that person on that date: a script set one to 0 (or deleted it) and
    /// the same person could be claimed for the day again. Now only a claim's own move writes it.
    /// </summary>
    [Fact]
    public async Task AStaffDay_CannotBeEditedDeletedOrBookedByAScript_SoNoOneIsClaimedTwiceForADay()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (programme, school, date) = (w.S.ProgrammeId, w.S.Schools[0].Id, w.S.On("10-05"));
        var first = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(first, "STAFF-01", date);
        var second = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(second, "STAFF-01", date);
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);
        const string Day = "SELECT minutes FROM staff_day WHERE school_id = $1 AND staff_ref = 'STAFF1' AND work_date = $2::date";
        Assert.Equal(450, await Db.ScalarAsync(Day, school, date));

        foreach (var sql in new[]
                 {
                     "UPDATE staff_day SET minutes = 0",
                     "DELETE FROM staff_day",
                     "TRUNCATE staff_day",
                     $"INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes) VALUES ({programme}, {school}, 'STAFF02', '{date}', 0)",
                     $"SELECT staff_day_book({programme}, {school}, 'STAFF-02', '{date}', 60)",
                 })
            Assert.Equal("GL002", (await RefusedAsync(sql)).SqlState);
        Assert.Equal(450, await Db.ScalarAsync(Day, school, date));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM staff_day"));

        // the second claim of that day is refused, by the service and by the database whoever submits it
        (await w.SubmitAsync(second)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines", "staff-day-exceeded");
        await using (var script = Db.DataSource.CreateCommand(ClaimWorld.SubmittedByScript(second)))
            Assert.Equal("GL009", (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync())).SqlState);
        Assert.Equal("draft", await Db.TextAsync("SELECT state FROM claim WHERE id = $1", second));

        // the claims' own moves write it: withdrawn, the first releases its day, and the second takes it
        (await w.School.PostAsync($"/api/v1/claims/{first}/withdraw", new { reason = "entered twice" })).Expect(HttpStatusCode.OK);
        Assert.Equal(0, await Db.ScalarAsync(Day, school, date));
        (await w.SubmitAsync(second)).Expect(HttpStatusCode.OK);
        Assert.Equal(450, await Db.ScalarAsync(Day, school, date));
    }

    /// <summary>
    /// A staff reference's hyphen and its number's leading zeros are optional (^[A-Z]{1,10}-?[0-9]{1,6}$): T-01 and T01 are
    /// one person (migration 0087), and T01 and T1 (migration 0092, decision 27), whose TLR is paid once per half-term and who
    /// is claimed for at most a full day. Both rules had compared the references as text, then without the hyphen alone.
    /// </summary>
    [Theory]
    [InlineData("T-01", "T01")]
    [InlineData("T01", "T1")]
    [InlineData("T-1", "T001")]
    public async Task OneStaffMember_UnderTwoFormsOfTheirReference_IsOnePerson_ToTheTlrOncePerHalfTerm_AndToTheFullDay(string before, string after)
    {
        var w = await ClaimWorld.CreateAsync(Db);
        object Tlr(string staffRef) => new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef };
        var first = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{first}/lines", Tlr(before))).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);

        var second = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{second}/lines", Tlr(after))).Expect(HttpStatusCode.Created).Json["lines"]![0]!;
        Assert.Equal(after, line["staffRef"]!.GetValue<string>()); // kept as typed
        var refused = (await w.SubmitAsync(second)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].staffRef");
        Assert.Contains($"{after}'s TLR for Autumn 1 is already claimed (as {before}): it is paid once per half-term", refused.Body);
        await using (var script = Db.DataSource.CreateCommand(ClaimWorld.SubmittedByScript(second)))
        {
            var byScript = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync());
            Assert.Equal("GL011", byScript.SqlState);
            Assert.Contains($"(as {before})", byScript.MessageText);
        }
        Assert.Equal("draft", await Db.TextAsync("SELECT state FROM claim WHERE id = $1", second));
        // twice on one claim, as it is added
        (await w.School.PostAsync($"/api/v1/claims/{second}/lines", Tlr(before)))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "staffRef");

        // a full day of the first form's, then the second's on that day
        var date = w.S.On("10-06");
        var day = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(day, before, date);
        var again = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(again, after, date, days: null, hours: "1");
        (await w.SubmitAsync(day)).Expect(HttpStatusCode.OK);
        Assert.Contains($"{after} would be claimed for", (await w.SubmitAsync(again)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines", "staff-day-exceeded").Body);
        (await w.School.PostAsync($"/api/v1/claims/{again}/lines", new
        {
            kind = "support-hours", categoryId = w.Category("tlr-admin"), staffRef = after, date, hours = 1,
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "staff-day-exceeded");
        Assert.Equal("T1:450", await Db.TextAsync("SELECT string_agg(staff_ref || ':' || minutes, ' ') FROM staff_day WHERE work_date = $1::date", date));
    }

    /// <summary>
    /// A closed half-term refuses entries dated in it; the year's close alone may post there, its entry dated the year's
    /// last day. Any entry with cause year_end was let through: a script posted one into a closed Autumn 1 of a year still open.
    /// </summary>
    [Fact]
    public async Task AYearEndEntry_IsTakenOnlyAsItsYearsCloseWritesIt()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var finance = await w.S.FinanceAsync(Db);
        foreach (var period in new[] { "aut1", "aut2", "spr1", "spr2", "sum1", "sum2" })
            (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods[period]}/close", null))
                .Expect(HttpStatusCode.OK);
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        string YearEnd(string date, long yearId) => $"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type, cause_id)
                       VALUES ({w.S.ProgrammeId}, '{date}', 'Year end by hand', 'year_end', {yearId}) RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', f.id, u.id, 1, 'posted', e.value_date, e.recorded_at
              FROM e, account f, account u
             WHERE f.programme_id = e.programme_id AND f.code LIKE '%:funding' AND f.unit = 'GBP'
               AND u.programme_id = e.programme_id AND u.code LIKE '%:unallocated' AND u.unit = 'GBP'
            """;

        // in a closed half-term of the year, not its last day
        var inAutumn = await RefusedAsync(YearEnd("2025-10-01", w.S.YearId));
        Assert.Equal("GL003", inAutumn.SqlState);
        Assert.Contains("Autumn 1", inAutumn.MessageText);
        // on its last day, naming another year
        Assert.Equal("GL003", (await RefusedAsync(YearEnd("2026-08-31", w.S.YearId + 1000))).SqlState);
        // on its last day, naming it, with the year left open
        var open = await RefusedAsync(YearEnd("2026-08-31", w.S.YearId));
        Assert.Equal("GL003", open.SqlState);
        Assert.Contains("a year-end entry is posted only by closing its year", open.MessageText);
        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));

        // the year's close posts its own, dated its last day
        var rules = new[] { "staff-cover", "tlr-admin", "action-plan", "contact-time" }.Select(c => new { categoryId = w.Category(c), treatment = "lapse" });
        var entryId = (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/close", new { rules }))
            .Expect(HttpStatusCode.OK).Json["entryId"]!.GetValue<long>();
        Assert.Equal("2026-08-31", await Db.TextAsync("SELECT value_date::text FROM journal_entry WHERE id = $1 AND cause_type = 'year_end'", entryId));
    }

    /// <summary>A claim's submission as a script wrote one before migration 0086 asked it for its entry.</summary>
    private static string Submitted(int claim) => $"""
        INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role)
        VALUES ({claim}, 'submit', 'draft', 'submitted', 1, 'school_business_manager');
        UPDATE claim SET state = 'submitted', submitted_by = 1, submitted_at = now() WHERE id = {claim};
        """;

    private const string Days = "SELECT string_agg(concat_ws(':', school_id, staff_ref, work_date, minutes), ' ' ORDER BY staff_ref) FROM staff_day";

    /// <summary>
    /// A database before migration 0086 (which asks a submission for its entry) with three claims of one school: claims 1 and 2
    /// submitted, each with five hours of staff time on 5 October and a TLR in Autumn 1, under the references
    /// <paramref name="first"/> and <paramref name="second"/>; claim 3, a draft, an hour of <paramref name="third"/> on that day.
    /// </summary>
    private async Task<Npgsql.NpgsqlDataSource> TwoFormsSubmittedAsync(string first, string second, string third,
        [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var data = await BeforeMigrationAsync(86, test);
        await data.ExecuteAsync($"""
            INSERT INTO budget_category (programme_id, code, name, unit, kind)
            VALUES (1, 'staff-cover', 'Staff cover', 'GBP', 'staff-cover'), (1, 'tlr-admin', 'TLR and admin', 'GBP', 'tlr-admin');
            INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by) SELECT 1, 1, 1, 1, 1 FROM generate_series(1, 3);
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, minutes, staff_ref, staff_role, activity, work_date)
            VALUES (1, 1, 'staff-time', 1, 100, 300, '{first}', 'leader', 'training', '2026-10-05'),
                   (2, 1, 'staff-time', 1, 100, 300, '{second}', 'leader', 'training', '2026-10-05'),
                   (3, 1, 'staff-time', 1, 100, 60, '{third}', 'leader', 'training', '2026-10-05');
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, staff_ref, work_date)
            VALUES (1, 2, 'tlr', 2, 30000, '{first}', '2026-09-01'), (2, 2, 'tlr', 2, 30000, '{second}', '2026-09-01');
            """);
        await data.ExecuteAsync(Submitted(1));
        await data.ExecuteAsync(Submitted(2));
        return data;
    }

    /// <summary>
    /// On a database that already holds both forms of a reference, the migration rebuilds the staff days from the claims by
    /// the reference's key: a day a script had written is dropped, and a day T-01 and T01 were each booked for (the two forms
    /// taken for two people) is kept as the claims hold it, past a full day, taking nothing more. The TLRs claimed by both
    /// forms stay claimed.
    /// </summary>
    [Fact]
    public async Task TheMigration_RebuildsStaffDaysByTheReferencesKey_KeepingADayBothFormsHeldAsItIs()
    {
        await using var data = await TwoFormsSubmittedAsync("T-01", "T01", "T01");
        // the days as the service booked them before 0087, one per form, and one a script wrote
        await data.ExecuteAsync("""
            INSERT INTO staff_day (programme_id, school_id, staff_ref, work_date, minutes)
            VALUES (1, 1, 'T-01', '2026-10-05', 300), (1, 1, 'T01', '2026-10-05', 300), (1, 1, 'T09', '2026-10-06', 450)
            """);

        Assert.Contains("0087_staff_days_tlrs_and_year_ends_a_script_cannot_rewrite.sql", // up to 0092, which keys T01 as T1
            await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!,
                GrantLedger.Web.Infrastructure.Migrator.Embedded().Where(m => m.Version < 92).ToList()));
        Assert.Equal("1:T01:2026-10-05:600", await data.TextAsync(Days));
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.ExecuteAsync(Submitted(3)));
        Assert.Equal("GL009", refused.SqlState);
        Assert.Equal("1:T01:2026-10-05:600", await data.TextAsync(Days));
        Assert.Equal(2, await data.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'submitted'"));
    }

    /// <summary>
    /// On a database where T01 and T1 were each booked on one day and each claimed a TLR in one half-term (two people until
    /// migration 0092), the migration rebuilds the staff days by the new key: the day is kept as the claims hold it, past a
    /// full day, named in a WARNING, and takes nothing more; the TLRs stay claimed.
    /// </summary>
    [Fact]
    public async Task TheMigration_KeysStaffDaysByTheReferencesNumber_KeepingADayTwoFormsHeldAsItIs()
    {
        await using var data = await TwoFormsSubmittedAsync("T01", "T1", "T-001");
        await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!,
            GrantLedger.Web.Infrastructure.Migrator.Embedded().Where(m => m.Version < 92).ToList());
        Assert.Equal("1:T01:2026-10-05:300 1:T1:2026-10-05:300", await data.TextAsync(Days)); // two people before 0092

        var warnings = await MigrationWarningsAsync(data, 92);
        Assert.Equal("staff days held past a full day by one staff member's references with and without leading zeros, kept as the claims hold them: "
                     + "school 1, T1 on 2026-10-05: 600 minutes", Assert.Single(warnings));
        Assert.Equal("1:T1:2026-10-05:600", await data.TextAsync(Days));
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.ExecuteAsync(Submitted(3)));
        Assert.Equal("GL009", refused.SqlState);
        Assert.Contains("T-001 would be claimed for more than a full day on 2026-10-05: 600 minutes are booked, 60 more asked", refused.MessageText);
        Assert.Equal("1:T1:2026-10-05:600", await data.TextAsync(Days));
        Assert.Equal(2, await data.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'submitted'"));
    }

    /// <summary>The service and PostgreSQL key a reference alike (ClaimLines.StaffKey, staff_key): the rules of each compare those keys.</summary>
    [Fact]
    public async Task TheServiceAndPostgreSQL_KeyEveryFormOfAReferenceAlike()
    {
        var references = (from letters in new[] { "T", "STAFF", "AB" }
                          from hyphen in new[] { "", "-" }
                          from number in new[] { "0", "00", "000", "1", "01", "001", "10", "010", "100", "0100", "999999", "000001" }
                          select letters + hyphen + number).ToArray();
        await using var cmd = Db.DataSource.CreateCommand("SELECT array_agg(staff_key(r) ORDER BY n) FROM unnest($1::text[]) WITH ORDINALITY AS u(r, n)");
        cmd.Parameters.Add(new() { Value = references });
        var keys = (string[])(await cmd.ExecuteScalarAsync())!;
        Assert.Equal(references.Select(GrantLedger.Core.Claims.ClaimLines.StaffKey), keys);
        Assert.Equal(3 * 5, keys.Distinct().Count()); // each letters' five numbers, 0, 1, 10, 100 and 999999, typed in two to eight ways
    }
}

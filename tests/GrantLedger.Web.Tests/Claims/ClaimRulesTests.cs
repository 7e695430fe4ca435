using System.Net;
using GrantLedger.Web.Claims;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

public sealed class ClaimRulesTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AStaffReference_CannotBeClaimedForMoreThanAFullDayOnOneDate_AcrossClaims()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(first, "STAFF-01", "2026-10-05", days: null, hours: "5");
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);

        var second = await w.NewClaimAsync();
        var problem = (await w.School.PostAsync($"/api/v1/claims/{second}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "staff-01", role = "leader", activity = "training",
            date = "2026-10-05", hours = 3,
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "staff-day-exceeded").Json;
        Assert.Equal(30, problem["overByMinutes"]!.GetValue<int>());
        await w.AddStaffTimeAsync(second, "STAFF-01", "2026-10-05", days: null, hours: "2.5");
        (await w.SubmitAsync(second)).Expect(HttpStatusCode.OK);
        Assert.Equal(450, await Db.ScalarAsync("SELECT minutes FROM staff_day"));
    }

    [Fact]
    public async Task TwoClaimsForTheSameStaffDay_SubmittedAtOnce_OneIsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var a = await w.NewClaimAsync();
        var b = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(a, "STAFF-01", "2026-10-05", days: null, hours: "5");
        await w.AddStaffTimeAsync(b, "STAFF-01", "2026-10-05", days: null, hours: "5");
        var answers = await Task.WhenAll(w.SubmitAsync(a), w.SubmitAsync(b));
        Assert.True(answers.Count(x => x.Status == HttpStatusCode.OK) == 1, string.Join("\n", answers.Select(x => $"{x.Status}: {x.Body[..Math.Min(400, x.Body.Length)]}")));
        var refused = Assert.Single(answers, x => x.Status == HttpStatusCode.UnprocessableEntity)
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "staff-day-exceeded").Json;
        Assert.Equal(300, refused["alreadyClaimedMinutes"]!.GetValue<long>()); // what the other claim booked first
        Assert.Equal(300, refused["askedMinutes"]!.GetValue<long>());
        Assert.Equal(300, await Db.ScalarAsync("SELECT minutes FROM staff_day"));
        // the refused day stopped the rest of its submission's statements: one claim submitted, one history row,
        // one audit event, one hold, and the other claim still a draft
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'submitted'"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'draft'"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'claim.submit'"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'claim'"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE money_hold_id IS NOT NULL"));
    }

    [Fact]
    public async Task TlrIsPaidOncePerStaffMemberPerHalfTerm()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var tlr = new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7" };
        var first = await w.NewClaimAsync();
        var priced = (await w.School.PostAsync($"/api/v1/claims/{first}/lines", tlr)).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("300.00", priced["lines"]![0]!["amount"]!.GetValue<string>());
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);
        var second = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{second}/lines", tlr)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(second)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].staffRef");
    }

    /// <summary>
    /// A submission's refusal names a line by its place in the claim's lines as GET returns them: with line 1 deleted, line 3
    /// is lines[1] (it was keyed lines[2], by its number, which named no line or the wrong one).
    /// </summary>
    [Fact]
    public async Task ASubmissionsRefusal_NamesALineByItsPlaceInTheClaimsLines_AfterALineWasDeleted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{first}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T41" }))
            .Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(first)).Expect(HttpStatusCode.OK);

        var id = await w.NewClaimAsync();
        var gone = (await w.AddStaffTimeAsync(id, "STAFF-01"))["lines"]![0]!["id"]!.GetValue<long>();
        await w.AddStaffTimeAsync(id, "STAFF-02");
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T41" }))
            .Expect(HttpStatusCode.Created);
        (await w.School.DeleteAsync($"/api/v1/claims/{id}/lines/{gone}")).Expect(HttpStatusCode.OK);

        var lines = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray();
        Assert.Equal([2, 3], lines.Select(l => l!["lineNo"]!.GetValue<int>()));
        var refused = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[1].staffRef");
        Assert.Equal("T41", lines[1]!["staffRef"]!.GetValue<string>());
        Assert.DoesNotContain("lines[2]", refused.Body);
    }

    /// <summary>
    /// A TLR is the half-term's sum: a date sent with it was replaced by the half-term's first day without a word, even one in
    /// another half-term (20 September on an Autumn 2 claim: 201). A date outside the claim's half-term is refused, as a
    /// staff-time line's is; one inside it is taken.
    /// </summary>
    [Fact]
    public async Task ATlrDatedOutsideTheClaimsHalfTerm_IsRefusedNamingDate()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var outside = (await w.School.PostAsync($"/api/v1/claims/{id}/lines",
                new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T44", date = w.S.On("12-01") }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "date");
        Assert.Contains("must fall in the claim's half-term", outside.Body);
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
        var inside = (await w.School.PostAsync($"/api/v1/claims/{id}/lines",
                new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T44", date = w.S.On("10-05") }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal("300.00", inside["lines"]![0]!["amount"]!.GetValue<string>());
    }

    /// <summary>
    /// A TLR is paid for a half-term once it has begun: on 3 December 2026 a Summer 2 claim (June to August 2027) took a TLR
    /// line, was submitted and approved, payable at once. Staff time dated after today was refused; a TLR for a half-term
    /// not yet begun is refused too, naming date, as it is added and (a line added before this rule) at submission.
    /// </summary>
    [Fact]
    public async Task ATlrForAHalfTermNotYetBegun_IsRefusedNamingDate_WhenAddedAndWhenSubmitted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        Assert.True(DateOnly.Parse(w.S.On("06-01")) > GrantLedger.Core.Ledger.UkTime.Today, "the world's Summer 2 must not have begun");
        var tlr = new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T44" };
        var id = await w.NewClaimAsync(period: "sum2");
        var refused = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", tlr)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "date");
        Assert.Contains("Summer 2 has not begun", refused.Body);
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());

        // a line taken before: copied from a begun half-term's TLR into the Summer 2 draft, refused at submission
        var now = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{now}/lines", tlr)).Expect(HttpStatusCode.Created);
        await Db.ScalarAsync($"""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, staff_ref, work_date, rate_id, rate_pence, rate_basis)
            SELECT {id}, 1, kind, category_id, amount_pence, staff_ref, (SELECT starts_on FROM period p JOIN claim c ON c.period_id = p.id WHERE c.id = {id}),
                   rate_id, rate_pence, rate_basis FROM claim_line WHERE claim_id = {now} RETURNING id
            """);
        var atSubmission = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].date");
        Assert.Contains("Summer 2 has not begun", atSubmission.Body);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        (await w.SubmitAsync(now)).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// A priced line's amount is the rate card's: an amount sent with a TLR or a staff-time line was dropped without a word
    /// (201, priced at £300.00 whatever was sent). It is refused by the API and by the import, naming amount.
    /// </summary>
    [Fact]
    public async Task AnAmountSentForAPricedLine_IsRefusedNamingAmount_NotSilentlyDropped()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var tlr = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T11", amount = "100.33" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
        Assert.Contains("A TLR line's amount is set by the rate card; leave it out", tlr.Body);
        var staffTime = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            staffRef = "STAFF-01", role = "leader", activity = "training", date = w.S.On("10-05"), days = 1, amount = "180.00",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount");
        Assert.Contains("A staff-time line's amount is set by the rate card; leave it out", staffTime.Body);

        var csv = """
            kind,categoryId,staffRef,amount
            tlr,tlr-admin,TQ1,150.00
            """;
        var errors = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity)
            .Json["errors"]!.AsObject();
        Assert.Equal(["line 2, amount"], errors.Select(e => e.Key));
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
    }

    /// <summary>One staff member's TLR twice on one claim is refused as it is added (it was taken, and refused only at submission).</summary>
    [Fact]
    public async Task ATlrTwiceOnOneClaim_IsRefusedAsItIsAdded()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var tlr = new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7" };
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", tlr)).Expect(HttpStatusCode.Created);
        Assert.Contains("already on this claim", (await w.School.PostAsync($"/api/v1/claims/{id}/lines", tlr)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "staffRef").Body);
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", tlr with { staffRef = "T8" })).Expect(HttpStatusCode.Created);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    [Fact]
    public async Task TwoClaimsForOneTlr_SubmittedAtOnce_OneIsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.S.AllocateEachAsync("tlr-admin", "500.00"); // £1,000: two £300 TLRs fit, so only the TLR rule can refuse one
        var tlr = new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7" };
        for (var round = 0; round < 10; round++)
        {
            var a = await w.NewClaimAsync();
            var b = await w.NewClaimAsync();
            (await w.School.PostAsync($"/api/v1/claims/{a}/lines", tlr)).Expect(HttpStatusCode.Created);
            (await w.School.PostAsync($"/api/v1/claims/{b}/lines", tlr)).Expect(HttpStatusCode.Created);
            var answers = await Task.WhenAll(w.SubmitAsync(a), w.SubmitAsync(b));
            Assert.True(answers.Count(x => x.Status == HttpStatusCode.OK) == (round == 0 ? 1 : 0),
                $"round {round}: " + string.Join("\n", answers.Select(x => $"{x.Status}: {x.Body[..Math.Min(400, x.Body.Length)]}")));
            foreach (var refused in answers.Where(x => x.Status != HttpStatusCode.OK))
                Assert.Contains("T7's TLR for Autumn 1 is already claimed", refused.ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].staffRef").Body);
            Assert.Equal(1L, await Db.ScalarAsync("""
                SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id
                 WHERE l.kind = 'tlr' AND l.staff_ref = 'T7' AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
                """));
        }
        // a script cannot claim it again either: the database refuses the state change itself
        var draft = await Db.ScalarAsync("""
            SELECT max(c.id) FROM claim c JOIN claim_line l ON l.claim_id = c.id WHERE c.state = 'draft' AND l.kind = 'tlr'
            """);
        await using var script = Db.DataSource.CreateCommand(ClaimWorld.SubmittedByScript(draft));
        var refusal = await Assert.ThrowsAsync<PostgresException>(() => script.ExecuteNonQueryAsync());
        Assert.Equal("GL011", refusal.SqlState);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {draft}"));
    }

    [Fact]
    public async Task TwoReviewersActingOnOneClaimAtOnce_ExactlyOneWins_TheOtherGets409()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var secondLead = await Db.UserAsync("lead-two", GrantLedger.Web.Access.Roles.AreaLead, w.S.ProgrammeId, areaId: w.S.AreaIds[0]);
        var answers = await Task.WhenAll(
            w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null),
            secondLead.PostAsync($"/api/v1/claims/{id}/reject", new { reason = "duplicate" }));
        Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.Single(answers, a => a.Status == HttpStatusCode.Conflict).ExpectProblem(HttpStatusCode.Conflict, rule: "illegal-transition");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE trigger IN ('approve', 'reject')"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_pending) FROM account"));
    }

    [Fact]
    public async Task FiftyClaimsSubmittedAtOnce_AgainstOneSchoolsRemainingAllocation_NeverExceedIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        // £1,000 of staff cover: 50 claims of half a day (£125) each; 8 fit.
        var ids = new List<long>();
        for (var i = 0; i < 50; i++)
        {
            var id = await w.NewClaimAsync();
            await w.AddStaffTimeAsync(id, $"S{i + 1}", "2026-10-05", days: "0.5", allowance: false);
            ids.Add(id);
        }
        var answers = await Task.WhenAll(ids.Select(id => w.SubmitAsync(id)));
        Assert.Equal(8, answers.Count(a => a.Status == HttpStatusCode.OK));
        var refused = answers.Where(a => a.Status != HttpStatusCode.OK).ToList();
        Assert.All(refused, a => a.ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "claim-exceeds-available"));
        Assert.All(refused, a => Assert.Equal("125.00", a.Json["shortfall"]!.GetValue<string>()));
        var available = await w.AccountAsync(0, "staff-cover", "available");
        Assert.Equal("1000.00", available["debitsPending"]!.GetValue<string>());
        Assert.Equal("0.00", available["available"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) + sum(debits_pending - credits_pending) FROM account"));
        // a refused claim's own rows, written before the ledger refused its entry, went with it
        Assert.Equal(42L, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'draft'"));
        Assert.Equal(8L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE money_hold_id IS NOT NULL"));
        Assert.Equal(8L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE trigger = 'submit'"));
        Assert.Equal(8L, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'claim.submit'"));
        Assert.Equal(0L, await Db.ScalarAsync("""
            SELECT count(*) FROM claim_line l JOIN claim_transition h ON h.claim_id = l.claim_id AND h.trigger = 'submit'
             WHERE NOT EXISTS (SELECT 1 FROM transfer t WHERE t.id = l.money_hold_id AND t.entry_id = h.entry_id AND t.kind = 'pending')
            """));
    }

    [Fact]
    public async Task ManySubmissionsAtOnce_AreWrittenInGroups_EachClaimWithItsOwnRows_ByItsOwnSubmitter()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        // two schools' business managers, twelve claims each of an hour's cover (a fraction of their £1,000): every one fits
        var mine = new List<long>();
        var theirs = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var a = await w.NewClaimAsync();
            await w.AddStaffTimeAsync(a, $"A{i + 1}", "2026-10-05", days: null, hours: "1", allowance: false);
            mine.Add(a);
            var b = await w.NewClaimAsync(w.OtherSchool);
            await w.AddStaffTimeAsync(b, $"B{i + 1}", "2026-10-05", days: null, hours: "1", school: w.OtherSchool, allowance: false);
            theirs.Add(b);
        }
        var groups = Db.Factory.Services.GetRequiredService<SubmissionGroups>();
        using var metrics = new MeterReadings(Db.Factory.Services, SubmissionGroups.MeterName);
        var before = groups.Grouped;
        var answers = await Task.WhenAll(mine.Select(id => w.SubmitAsync(id)).Concat(theirs.Select(id => w.SubmitAsync(id, w.OtherSchool))));
        Assert.All(answers, a => Assert.Equal("submitted", a.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>()));
        Assert.True(groups.Grouped - before >= 2, $"no submissions were written together ({groups.Grouped - before})");
        // whoever runs the service reads the same on its meter: claims written together, in how many commits, none left waiting
        Assert.Equal(groups.Grouped - before, metrics["grantledger.submissions.grouped"]);
        Assert.InRange(metrics["grantledger.submissions.groups"], 1, metrics["grantledger.submissions.grouped"] / 2);
        Assert.Equal(0, metrics["grantledger.submissions.waiting"]);

        // each claim: submitted by its school's manager, one history row and one audit event naming them, one hold of its
        // own amount on its own school's account, in its own entry
        Assert.Equal(0L, await Db.ScalarAsync("""
            SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id JOIN app_user u ON u.id = c.submitted_by
              LEFT JOIN transfer t ON t.id = l.money_hold_id LEFT JOIN account a ON a.id = t.debit_account_id
             WHERE c.id = ANY ($1)
               AND (c.state <> 'submitted' OR u.school_id <> c.school_id OR a.school_id IS DISTINCT FROM c.school_id
                    OR t.amount IS DISTINCT FROM l.amount_pence OR t.kind <> 'pending'
                    OR (SELECT count(*) FROM claim_transition h WHERE h.claim_id = c.id AND h.actor_id = u.id AND h.entry_id = t.entry_id) <> 1
                    OR (SELECT count(*) FROM audit_event e WHERE e.record_type = 'claim' AND e.record_id = c.id AND e.action = 'claim.submit'
                                                          AND e.user_id = u.id AND e.user_name = u.user_name) <> 1
                    OR (SELECT count(*) FROM journal_entry j WHERE j.id = t.entry_id AND j.cause_id = c.id) <> 1)
            """, mine.Concat(theirs).ToArray()));
        Assert.Equal(24L, await Db.ScalarAsync("SELECT count(DISTINCT t.entry_id) FROM claim_line l JOIN transfer t ON t.id = l.money_hold_id"));
        // each school's account holds exactly its own claims' amounts
        Assert.Equal(0L, await Db.ScalarAsync("""
            SELECT count(*) FROM account a
             WHERE a.code LIKE '%:staff-cover:available'
               AND a.debits_pending <> (SELECT coalesce(sum(l.amount_pence), 0) FROM claim c JOIN claim_line l ON l.claim_id = c.id
                                         WHERE c.school_id = a.school_id AND c.state = 'submitted')
            """));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) + sum(debits_pending - credits_pending) FROM account"));
    }

    [Fact]
    public async Task AGroupWithRefusedSubmissions_AnswersEachAsIfAlone_AndWritesTheRestTogether()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var groups = Db.Factory.Services.GetRequiredService<SubmissionGroups>();
        Task<long> ClaimAsync(string staff, ApiClient? school = null) => DraftAsync(w, staff, school);
        // in claim order, the refused ones between the accepted: each is read, checked and left out where it stands
        var good = new List<long> { await ClaimAsync("G1") };
        var stale = await ClaimAsync("S1");
        var staleTag = (await w.School.GetAsync($"/api/v1/claims/{stale}")).Headers.ETag!.Tag;
        await w.AddStaffTimeAsync(stale, "S2", "2026-10-06", days: null, hours: "1", allowance: false);
        good.Add(await ClaimAsync("G2"));
        var discarded = await ClaimAsync("D1");
        (await w.School.DeleteAsync($"/api/v1/claims/{discarded}")).Expect(HttpStatusCode.NoContent);
        good.Add(await ClaimAsync("G3"));
        var theirs = await ClaimAsync("T1", w.OtherSchool);
        var undeclared = await ClaimAsync("U1");
        good.Add(await ClaimAsync("G4"));

        // every account held by another transaction: the first submissions take every writer and wait on it, the rest queue
        var before = groups.Grouped;
        await using var held = await HoldUpWritersAsync(w, groups);
        var together = good.Select(id => w.SubmitAsync(id)).ToList();
        var staleAnswer = w.School.SendAsync(HttpMethod.Post, $"/api/v1/claims/{stale}/submit", new { declaration = true }, ifMatch: staleTag);
        var discardedAnswer = w.SubmitAsync(discarded);
        var theirsAnswer = w.SubmitAsync(theirs); // by this school's manager
        var undeclaredAnswer = w.School.PostAsync($"/api/v1/claims/{undeclared}/submit", new { declaration = false });
        await UntilAsync(() => Task.FromResult(groups.WaitingNow == 8));
        await held.LetGoAsync();

        Assert.All(await Task.WhenAll(held.Writing.Concat(together)), a => Assert.Equal("submitted", a.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>()));
        (await staleAnswer).ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");
        (await discardedAnswer).ExpectProblem(HttpStatusCode.NotFound);
        (await theirsAnswer).ExpectProblem(HttpStatusCode.Forbidden);
        (await undeclaredAnswer).ExpectProblem(HttpStatusCode.UnprocessableEntity, field: "declaration");
        Assert.Equal(4, groups.Grouped - before);

        // the four accepted in one transaction, each with its own history row and hold; the refused ones untouched
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(DISTINCT xmin::text) FROM claim_transition WHERE claim_id = ANY ($1)", good.ToArray()));
        Assert.Equal(4L, await Db.ScalarAsync("""
            SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id JOIN transfer t ON t.id = l.money_hold_id
             WHERE c.id = ANY ($1) AND c.state = 'submitted' AND t.amount = l.amount_pence AND t.kind = 'pending'
               AND (SELECT count(*) FROM claim_transition h WHERE h.claim_id = c.id AND h.entry_id = t.entry_id) = 1
            """, good.ToArray()));
        long[] refused = [stale, theirs, undeclared];
        Assert.Equal(3L, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = ANY ($1) AND state = 'draft' AND submitted_by IS NULL", refused));
        Assert.Equal(0L, await Db.ScalarAsync("""
            SELECT (SELECT count(*) FROM claim_transition WHERE claim_id = ANY ($1))
                 + (SELECT count(*) FROM claim_line WHERE claim_id = ANY ($1) AND (money_hold_id IS NOT NULL OR time_hold_id IS NOT NULL))
                 + (SELECT count(*) FROM audit_event WHERE record_type = 'claim' AND record_id = ANY ($1) AND action = 'claim.submit')
            """, refused));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) + sum(debits_pending - credits_pending) FROM account"));
    }

    [Fact]
    public async Task ASubmissionWaitingOnWritersHeldUpByALock_IsWrittenAloneOnceItsPatienceRunsOut()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        // the test fixture waits a minute (its tests make groups when they choose); here a fifth of a second
        await using var patient = PatientService(200);
        var groups = patient.Services.GetRequiredService<SubmissionGroups>();
        using var metrics = new MeterReadings(patient.Services, SubmissionGroups.MeterName);
        var (school, other) = (patient.Through(w.School), patient.Through(w.OtherSchool));
        var first = new List<long>();
        for (var i = 0; i < groups.Writers; i++) first.Add(await DraftAsync(w, $"F{i + 1}"));
        var theirs = await DraftAsync(w, "T1", w.OtherSchool);

        // the first school's budget held by another transaction (a long allocation, say): its submissions take every writer and wait
        await using var hold = await HoldSchoolBudgetAsync(first[0]);
        var writing = first.Select(id => w.SubmitAsync(id, school)).ToList();
        await UntilAsync(async () => await WaitingOnLocksAsync() == groups.Writers);

        // the other school's submission waits its patience for a writer, then is written alone while the lock still holds
        var outwaited = groups.Outwaited;
        var answer = await other.PostAsync($"/api/v1/claims/{theirs}/submit", new { declaration = true }).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("submitted", answer.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
        Assert.Equal(outwaited + 1, groups.Outwaited);
        Assert.Equal((1, 0), (metrics["grantledger.submissions.outwaited"], metrics["grantledger.submissions.waiting"]));
        Assert.All(writing, t => Assert.False(t.IsCompleted));

        await hold.LetGoAsync();
        Assert.All(await Task.WhenAll(writing), a => Assert.Equal("submitted", a.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>()));
        Assert.Equal(groups.Writers + 1L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE trigger = 'submit'"));
    }

    /// <summary>
    /// A submission whose patience runs out after a group has taken it is the group's: its request waits for the group's
    /// commit, however long, and is answered with what the group wrote. Written alone as well, it would queue behind the
    /// group's lock on its claim and then find it submitted already: a 409 for a claim that this very request submitted.
    /// </summary>
    [Fact]
    public async Task ASubmissionTakenIntoAGroup_WaitsForTheGroupPastItsPatience_AndIsAnsweredWithWhatTheGroupWrote()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var patience = TimeSpan.FromSeconds(4); // long enough for a writer to free and take the two, even on a loaded machine
        await using var patient = PatientService((int)patience.TotalMilliseconds);
        var groups = patient.Services.GetRequiredService<SubmissionGroups>();
        var (school, other) = (patient.Through(w.School), patient.Through(w.OtherSchool));
        var first = new List<long>();
        for (var i = 0; i < groups.Writers; i++) first.Add(await DraftAsync(w, $"F{i + 1}", w.OtherSchool));
        long[] grouped = [await DraftAsync(w, "G1"), await DraftAsync(w, "G2")];

        // the other school's submissions take every writer and wait on its budget; the school's two queue behind them
        await using var firstHold = await HoldSchoolBudgetAsync(first[0]);
        await using var groupHold = await HoldSchoolBudgetAsync(grouped[0]);
        var writing = first.Select(id => w.SubmitAsync(id, other)).ToList();
        await UntilAsync(async () => await WaitingOnLocksAsync() == groups.Writers);
        var outwaited = groups.Outwaited;
        var waiting = grouped.Select(id => w.SubmitAsync(id, school)).ToList();
        await UntilAsync(() => Task.FromResult(groups.WaitingNow == 2));

        // a writer frees: the two are taken as a group, whose writes wait on the school's budget past both patiences
        await firstHold.LetGoAsync();
        Assert.All(await Task.WhenAll(writing), a => a.Expect(HttpStatusCode.OK));
        await UntilAsync(async () => groups.WaitingNow == 0 && await WaitingOnLocksAsync() == 1);
        await Task.Delay(patience + TimeSpan.FromSeconds(1));
        Assert.All(waiting, t => Assert.False(t.IsCompleted));

        await groupHold.LetGoAsync();
        Assert.All(await Task.WhenAll(waiting), a => Assert.Equal("submitted", a.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>()));
        // written once each, together, by the group
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(DISTINCT xmin::text) FROM claim_transition WHERE claim_id = ANY ($1)", grouped));
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE claim_id = ANY ($1)", grouped));
        Assert.Equal(outwaited, groups.Outwaited);
    }

    /// <summary>
    /// A submission waiting for a writer has not locked its claim: the school may still change it (a line added), and the
    /// claim is submitted as it is when the writer takes it, every line held, not as it was when the request came. (A
    /// submission decided on a read taken before it waits, tried in docs/performance.md section 17, would need the writer
    /// to check the claim is still the version read: without that check this test saw one line of two held.)
    /// </summary>
    [Fact]
    public async Task AClaimChangedWhileItsSubmissionWaitsForAWriter_IsSubmittedAsItNowIs()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var groups = Db.Factory.Services.GetRequiredService<SubmissionGroups>();
        var (changed, beside) = (await DraftAsync(w, "C1"), await DraftAsync(w, "B1"));

        // every account held: the first submissions take every writer and wait on it; two more queue
        await using var held = await HoldUpWritersAsync(w, groups);
        var waiting = new[] { changed, beside }.Select(id => w.SubmitAsync(id)).ToList();
        await UntilAsync(() => Task.FromResult(groups.WaitingNow == 2));

        // the school adds a line to the waiting claim: its row is not locked until a writer takes it
        await w.AddStaffTimeAsync(changed, "C2", "2026-10-06", days: null, hours: "2", allowance: false);
        await held.LetGoAsync();

        Assert.All(await Task.WhenAll(held.Writing.Concat(waiting)), a => Assert.Equal("submitted", a.Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>()));
        var answer = (await w.School.GetAsync($"/api/v1/claims/{changed}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, answer["lines"]!.AsArray().Count);
        // both lines hold their minutes, each by the claim's one submission entry
        Assert.Equal(2L, await Db.ScalarAsync("""
            SELECT count(*) FROM claim_line l JOIN transfer t ON t.id = l.money_hold_id
             WHERE l.claim_id = $1 AND t.kind = 'pending' AND t.amount = l.amount_pence
               AND t.entry_id = (SELECT entry_id FROM claim_transition WHERE claim_id = $1 AND trigger = 'submit')
            """, changed));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE claim_id = $1", changed));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE claim_id = $1", beside));
    }

    /// <summary>
    /// A business manager's double click: the same claim submitted twice at once, both requests waiting for a writer. The
    /// claim is submitted once — one history row, one journal entry holding its amount — and the other request is
    /// answered 409 as a second submission alone would be, not written into the same group as a second hold on the budget.
    /// </summary>
    [Fact]
    public async Task TheSameClaimSubmittedTwiceWhileWritersAreBusy_IsSubmittedOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var groups = Db.Factory.Services.GetRequiredService<SubmissionGroups>();
        var twice = await DraftAsync(w, "T1");

        await using var held = await HoldUpWritersAsync(w, groups);
        var clicks = new[] { w.SubmitAsync(twice), w.SubmitAsync(twice) };
        await UntilAsync(() => Task.FromResult(groups.WaitingNow == 2));
        await held.LetGoAsync();

        Assert.All(await Task.WhenAll(held.Writing), a => a.Expect(HttpStatusCode.OK));
        var answers = await Task.WhenAll(clicks);
        Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.Single(answers, a => a.Status == HttpStatusCode.Conflict);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE claim_id = $1", twice));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'claim' AND cause_id = $1", twice));
        Assert.Equal(60L, await Db.ScalarAsync(
            "SELECT sum(minutes) FROM staff_day WHERE staff_ref = 'T1' AND programme_id = (SELECT programme_id FROM claim WHERE id = $1)", twice));
    }

    /// <summary>A draft of the school's (or <paramref name="school"/>'s) with one hour of <paramref name="staff"/>'s time: ready to submit.</summary>
    private static async Task<long> DraftAsync(ClaimWorld w, string staff, ApiClient? school = null)
    {
        var id = await w.NewClaimAsync(school);
        await w.AddStaffTimeAsync(id, staff, "2026-10-05", days: null, hours: "1", school: school, allowance: false);
        return id;
    }

    /// <summary>
    /// Every budget account held by a transaction of the test's, and a draft's submission per writer (staff F1, F2 …)
    /// taking every writer and waiting on the hold: a submission made now waits for a writer. Let go (the hold rolled
    /// back) with <see cref="WritersHeldUp.LetGoAsync"/>, or when disposed.
    /// </summary>
    private async Task<WritersHeldUp> HoldUpWritersAsync(ClaimWorld w, SubmissionGroups groups)
    {
        var first = new List<long>();
        for (var i = 0; i < groups.Writers; i++) first.Add(await DraftAsync(w, $"F{i + 1}"));
        var hold = await HoldAsync("SELECT count(*) FROM (SELECT 1 FROM account FOR UPDATE) a");
        await UntilAsync(() => Task.FromResult(!groups.Alone)); // another test's refused group is past
        var writing = first.Select(id => w.SubmitAsync(id)).ToList();
        await UntilAsync(async () => await WaitingOnLocksAsync() == groups.Writers);
        return new WritersHeldUp(hold, writing);
    }

    private sealed record WritersHeldUp(Held Hold, List<Task<Answer>> Writing) : IAsyncDisposable
    {
        public Task LetGoAsync() => Hold.LetGoAsync();

        public ValueTask DisposeAsync() => Hold.DisposeAsync();
    }

    /// <summary>A second service on the test database whose submissions wait <paramref name="patienceMs"/> for a writer.</summary>
    private PatientFactory PatientService(int patienceMs) =>
        new(Db.Factory.WithWebHostBuilder(b => b.UseSetting("GrantLedger:SubmissionPatienceMs", patienceMs.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private sealed class PatientFactory(WebApplicationFactory<Program> factory) : IAsyncDisposable
    {
        public IServiceProvider Services => factory.Services;

        /// <summary>The user, through this service.</summary>
        public ApiClient Through(ApiClient user)
        {
            var http = factory.CreateClient();
            http.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;
            return new ApiClient(http, null, user.UserId, user.UserName);
        }

        public ValueTask DisposeAsync() => factory.DisposeAsync();
    }

    /// <summary>The claim's school's budget accounts held by a transaction of the test's (a long allocation, say), until let go.</summary>
    private Task<Held> HoldSchoolBudgetAsync(long claimId) =>
        HoldAsync("SELECT count(*) FROM (SELECT 1 FROM account WHERE school_id = (SELECT school_id FROM claim WHERE id = $1) FOR UPDATE) a", claimId);

    /// <summary>The rows <paramref name="lockingSql"/> locks, held by a transaction of the test's until let go.</summary>
    private async Task<Held> HoldAsync(string lockingSql, params object[] args)
    {
        var holder = await Db.DataSource.OpenConnectionAsync();
        var hold = await holder.BeginTransactionAsync();
        await using var lockThem = new NpgsqlCommand(lockingSql, holder, hold);
        foreach (var arg in args) lockThem.Parameters.Add(new NpgsqlParameter { Value = arg });
        await lockThem.ExecuteScalarAsync();
        return new Held(holder, hold);
    }

    private sealed record Held(NpgsqlConnection Holder, NpgsqlTransaction Hold) : IAsyncDisposable
    {
        public Task LetGoAsync() => Hold.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await Hold.DisposeAsync();
            await Holder.DisposeAsync();
        }
    }

    private Task<long> WaitingOnLocksAsync() =>
        Db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    private static async Task UntilAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, "what the test waits for did not happen within 30 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AClaimsHoldAndHistory_NamingNoTransferOrEntry_AreRefusedAtCommit()
    {
        // a transition writes its rows before its entry (ids taken beforehand), so these keys are checked at commit
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var refused = async (string sql) =>
        {
            await using var cmd = Db.DataSource.CreateCommand($"BEGIN; {sql}; COMMIT;");
            return await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        };
        var hold = await refused($"UPDATE claim_line SET money_hold_id = 999999999 WHERE claim_id = {id}");
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, hold.SqlState);
        var history = await refused($"""
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id)
            SELECT claim_id, 'submit', 'draft', 'submitted', actor_id, actor_role, 999999999 FROM claim_transition WHERE claim_id = {id}
            """);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, history.SqlState);
        Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM claim_transition WHERE claim_id = {id}"));
        Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM claim_line l JOIN transfer t ON t.id = l.money_hold_id WHERE l.claim_id = {id}"));
    }

    [Fact]
    public async Task Submit_WithAnIdempotencyKey_RetriedAtOnce_HoldsOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => w.School.PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true }, "submit-once")));
        Assert.All(answers, a => a.Expect(HttpStatusCode.OK));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'claim'"));
        Assert.Equal("250.00", (await w.AccountAsync(0, "staff-cover", "available"))["debitsPending"]!.GetValue<string>());
    }
}

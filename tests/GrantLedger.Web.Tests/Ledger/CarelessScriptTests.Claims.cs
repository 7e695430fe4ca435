using System.Net;
using System.Text;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>
/// What a careless script could write around claims (the review of 7 December): a move of the lifecycle with no journal
/// entry, by the claim's own submitter or its first approver, marked paid with no payment confirmed, and an approved line's
/// sanction changed. PostgreSQL refuses each (migration 0086); the service's own flows still go through.
/// </summary>
public sealed partial class CarelessScriptTests
{
    /// <summary>A move by a script as the service writes one: the history row, then the claim's state (and more columns).</summary>
    private static string MovedByScript(long claim, string trigger, string from, string to, long actor, string role, string set = "", string entry = "NULL",
        long? run = null, string reason = "NULL") => $"""
        INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id, reason, details)
        VALUES ({claim}, '{trigger}', '{from}', '{to}', {actor}, '{role}', {entry}, {reason},
                {(run is null ? "'{}'::jsonb" : $"jsonb_build_object('paymentRunId', {run})")});
        UPDATE claim SET state = '{to}'{set} WHERE id = {claim};
        """;

    /// <summary>
    /// Where the migration tests' scripts start, on a database of <see cref="BeforeMigrationAsync"/>: the programme's action-plan
    /// category (1) and a draft claim (1) of its school, for the lines the test writes.
    /// </summary>
    private const string AnActionPlanClaim = """
        INSERT INTO budget_category (programme_id, code, name, unit, kind) VALUES (1, 'action-plan', 'Action plan', 'GBP', 'action-plan');
        INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by) VALUES (1, 1, 1, 1, 1);

        """;

    private async Task<Npgsql.PostgresException> ScriptRefusedAtCommitAsync(string sql)
    {
        var refused = await RefusedAsync(sql);
        Assert.Equal("GL010", refused.SqlState);
        return refused;
    }

    [Fact]
    public async Task TheDatabasesListOfMoves_SaysEachMovesRole_ItsEntry_AndItsSeparationOfDuties_AsTheLifecycleDoes()
    {
        var kept = await Db.TextAsync("""
            SELECT string_agg(m, '; ' ORDER BY m COLLATE "C")
              FROM (SELECT trigger || ': ' || from_state || ' > ' || to_state || ' by ' || role || ', entry of ' || coalesce(entry_cause, 'nothing')
                           || ', ' || coalesce(separation, 'no separation') AS m FROM claim_lifecycle) l
            """);
        static string Cause(LedgerEffect effect) => effect switch
        {
            LedgerEffect.None => "nothing",
            LedgerEffect.PostPayment => "payment_run",
            _ => "claim",
        };
        var lifecycle = ClaimWorkflow.Lifecycle.Rows
            .Select(r => $"{Kebab.Of(r.Trigger)}: {Kebab.Of(r.From)} > {Kebab.Of(r.To)} by {r.Roles.Single()}, entry of {Cause(r.Effect)}, "
                         + (r.Guards.Select(g => g.Name).SingleOrDefault(n => n is "reviewer-not-submitter" or "second-approver-independent") ?? "no separation"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(14, lifecycle.Count);
        Assert.Equal(string.Join("; ", lifecycle), kept);
        Assert.Equal("GL010", (await RefusedAsync("UPDATE claim_lifecycle SET role = 'auditor' WHERE trigger = 'approve'")).SqlState);
    }

    /// <summary>
    /// A move that moves money names its own journal entry, of the claim, written with it: a script approved a claim under
    /// review with no entry (its money still held, the claim approved), or naming the claim's submission's entry; a move that
    /// moves none names no entry.
    /// </summary>
    [Fact]
    public async Task AnApproval_WithNoEntry_OrAnotherMovesEntry_IsRefusedAtCommit_AndTheLeadsApprovalPostsItsOwn()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var lead = w.Lead.UserId;
        var approved = $", first_approved_by = {lead}, decided_by = {lead}, decided_at = now()";

        var none = await ScriptRefusedAtCommitAsync(MovedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved));
        Assert.Contains($"claim {id} cannot approve without its journal entry: the move names none, not an entry of the claim {id} written with it", none.MessageText);
        var submissions = $"(SELECT entry_id FROM claim_transition WHERE claim_id = {id} AND trigger = 'submit')";
        var earlier = await ScriptRefusedAtCommitAsync(MovedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved, submissions));
        Assert.Contains($"claim {id} cannot approve without its journal entry: the move names entry", earlier.MessageText);
        Assert.Equal("under-review", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));

        // a move that posts nothing names no entry: a second claim's review started naming the first's submission
        var other = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(other, "STAFF-07", "2026-10-08");
        (await w.SubmitAsync(other)).Expect(HttpStatusCode.OK);
        var named = await ScriptRefusedAtCommitAsync(MovedByScript(other, "start-review", "submitted", "under-review", lead, "area_lead", entry: submissions));
        Assert.Contains($"claim {other} cannot start-review with journal entry", named.MessageText);
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM claim WHERE id = {other}"));

        // the service's: the lead's approval names the entry that posted the claim's hold
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal(1, await Db.ScalarAsync($"""
            SELECT count(*) FROM claim_transition t JOIN journal_entry e ON e.id = t.entry_id
             WHERE t.claim_id = {id} AND t.trigger = 'approve' AND e.cause_type = 'claim' AND e.cause_id = {id}
            """));
    }

    /// <summary>
    /// A submission is taken by a business manager of the claim's school (migration 0089): a script wrote one, its entry
    /// holding the school's money, as another school's business manager, and as a lead or an admin under the business
    /// manager's role name. Its own school's manager's is taken, by a script as by the service.
    /// </summary>
    [Fact]
    public async Task ASubmission_ByAnotherSchoolsManager_OrByAUserOfAnotherRole_IsRefusedAtCommit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-03", "2026-10-07");
        foreach (var (who, actor) in new[] { ("another school's manager", w.OtherSchool.UserId), ("the area's lead", w.Lead.UserId), ("the admin", w.Admin.UserId) })
        {
            var refused = await ScriptRefusedAtCommitAsync(ClaimWorld.SubmittedByScript(id, actor));
            Assert.Contains($"claim {id} cannot submit by user {actor}: only a user of role school_business_manager whose scope reaches the claim takes that move",
                refused.MessageText);
            Assert.Equal((who, "draft", 0L), (who, await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"),
                await Db.ScalarAsync($"SELECT count(*) FROM journal_entry WHERE cause_type = 'claim' AND cause_id = {id}")));
        }

        await Db.DataSource.ExecuteAsync(ClaimWorld.SubmittedByScript(id)); // as its creator, the school's manager
        Assert.Equal("submitted", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal(w.School.UserId, await Db.ScalarAsync($"SELECT actor_id FROM claim_transition WHERE claim_id = {id} AND trigger = 'submit'"));
        var other = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(other, "STAFF-04", "2026-10-08");
        (await w.SubmitAsync(other)).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// Who takes a move, as the lifecycle says (docs/security.md): nobody approves a claim they submitted, even made an area
    /// lead since; a second approval is not by the first approver, even made a programme admin since; and a move is taken by
    /// a user of its role whose scope reaches the claim, and written as that role.
    /// </summary>
    [Fact]
    public async Task AnApproval_ByItsSubmitter_ASecondApprovalByItsFirstApprover_OrByAnotherRoleOrArea_IsRefusedAtCommit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var lead = w.Lead.UserId;
        // the claim's row written as the approval's own actor's, as the service writes it (migration 0088 holds that apart)
        static string ApprovedBy(long actor) => $", first_approved_by = {actor}, decided_by = {actor}, decided_at = now()";

        // the claim's submitter, made the area's lead since, approving it
        var submitter = await Db.UserAsync("sbm-two", GrantLedger.Web.Access.Roles.SchoolBusinessManager, w.S.ProgrammeId, schoolId: w.S.Schools[0].Id);
        var own = await w.NewClaimAsync(submitter);
        await w.AddStaffTimeAsync(own, "STAFF-05", "2026-10-09", school: submitter);
        (await w.SubmitAsync(own, submitter)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{own}/start-review", null)).Expect(HttpStatusCode.OK);
        await Db.DataSource.ExecuteAsync("UPDATE app_user SET role = 'area_lead', school_id = NULL, area_id = $1 WHERE id = $2", w.S.AreaIds[0], submitter.UserId);
        var byItsSubmitter = await ScriptRefusedAtCommitAsync(MovedByScript(own, "approve", "under-review", "approved", submitter.UserId, "area_lead", ApprovedBy(submitter.UserId)));
        Assert.Contains($"claim {own} cannot approve by user {submitter.UserId}, who created or submitted it", byItsSubmitter.MessageText);

        // another area's lead, the school's business manager written as a lead, and a lead's move written as the school's
        var id = await w.UnderReviewAsync("STAFF-02", "2026-10-06");
        var otherArea = await ScriptRefusedAtCommitAsync(MovedByScript(id, "approve", "under-review", "approved", w.OtherLead.UserId, "area_lead", ApprovedBy(w.OtherLead.UserId)));
        Assert.Contains($"claim {id} cannot approve by user {w.OtherLead.UserId}: only a user of role area_lead whose scope reaches the claim", otherArea.MessageText);
        var notALead = await ScriptRefusedAtCommitAsync(MovedByScript(id, "approve", "under-review", "approved", w.School.UserId, "area_lead", ApprovedBy(w.School.UserId)));
        Assert.Contains($"by user {w.School.UserId}: only a user of role area_lead", notALead.MessageText);
        var writtenAs = await ScriptRefusedAtCommitAsync(MovedByScript(id, "approve", "under-review", "approved", lead, "school_business_manager", ApprovedBy(lead)));
        Assert.Contains($"claim {id} cannot approve as school_business_manager: only role area_lead takes that move", writtenAs.MessageText);
        Assert.Equal("under-review", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));

        // a second approval by the first approver, made a programme admin since; then the programme admin's, by the service
        await Db.DataSource.ExecuteAsync("UPDATE programme SET second_approval_threshold_pence = 20000 WHERE id = $1", w.S.ProgrammeId);
        var big = await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        Assert.Equal("awaiting-second-approval",
            (await w.Lead.PostAsync($"/api/v1/claims/{big}/approve", null)).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
        await Db.DataSource.ExecuteAsync("UPDATE app_user SET role = 'programme_admin', area_id = NULL WHERE id = $1", lead);
        var byTheFirst = await ScriptRefusedAtCommitAsync(MovedByScript(big, "second-approve", "awaiting-second-approval", "approved", lead, "programme_admin",
            $", decided_by = {lead}, decided_at = now()"));
        Assert.Contains($"claim {big} cannot second-approve by user {lead}, its first approver", byTheFirst.MessageText);
        Assert.Equal("approved",
            (await w.Admin.PostAsync($"/api/v1/claims/{big}/second-approve", null)).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
    }

    /// <summary>
    /// Who submitted and decided a claim, when, why, and the run it is in, are what its history says (migration 0088): the
    /// claim's row is what its pages, the review queue, the payment runs and the auditors' <c>audit.claims</c> read, and a
    /// script had rewritten its deciders and kept a claim returned as unpaid in its run. A move writes on the row what its
    /// history row says and leaves the rest; nothing else changes those columns.
    /// </summary>
    [Fact]
    public async Task AClaimsSubmitterDecidersAndRun_AreWhatItsHistorySays_AndChangeOnlyWithAMove()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var lead = w.Lead.UserId;
        var id = await w.UnderReviewAsync();
        var submitter = await Db.ScalarAsync($"SELECT submitted_by FROM claim WHERE id = {id}");
        string Approval(string set) => MovedByScript(id, "approve", "under-review", "approved", lead, "area_lead", set);

        // the lead's approval, written naming another as its decider, at another time, or without its first approver
        var another = await ScriptRefusedAtCommitAsync(Approval($", first_approved_by = {lead}, decided_by = {w.Admin.UserId}, decided_at = now()"));
        Assert.Contains($"claim {id}'s decided_by cannot be {w.Admin.UserId}: its approve by user {lead} at ", another.MessageText);
        Assert.EndsWith($"makes it {lead} (a claim's row says what its history does)", another.MessageText);
        Assert.Contains($"claim {id}'s decided_at cannot be ",
            (await ScriptRefusedAtCommitAsync(Approval($", first_approved_by = {lead}, decided_by = {lead}, decided_at = now() - interval '1 hour'"))).MessageText);
        Assert.Contains($"claim {id}'s first_approved_by cannot be empty",
            (await ScriptRefusedAtCommitAsync(Approval($", decided_by = {lead}, decided_at = now()"))).MessageText);
        Assert.Contains($"claim {id}'s submitted_by cannot be {lead}",
            (await ScriptRefusedAtCommitAsync(Approval($", submitted_by = {lead}, first_approved_by = {lead}, decided_by = {lead}, decided_at = now()"))).MessageText);
        Assert.Equal("under-review", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));

        // the service's approval: the row says what the history does, and so does the auditors' view
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal($"{submitter} {lead} {lead} decided as approved", await Db.TextAsync($"""
            SELECT c.submitted_by || ' ' || c.first_approved_by || ' ' || c.decided_by || CASE WHEN c.decided_at = t.occurred_at THEN ' decided as approved' END
              FROM audit.claims c JOIN claim_transition t ON t.claim_id = c.claim_id AND t.trigger = 'approve' WHERE c.claim_id = {id}
            """));

        // rewritten with no move, column by column: refused, the row as it was
        var before = await Db.TextAsync($"SELECT row_to_json(c)::text FROM claim c WHERE id = {id}");
        foreach (var set in new[]
                 {
                     $"submitted_by = {lead}", "submitted_at = submitted_at - interval '1 day'", $"first_approved_by = {w.Admin.UserId}",
                     $"decided_by = {w.Admin.UserId}", "decided_at = NULL", "reason = 'approved as a favour', updated_at = now()",
                 })
        {
            var refused = await RefusedAsync($"UPDATE claim SET {set} WHERE id = {id}");
            Assert.Equal((set, "GL007"), (set, refused.SqlState));
            Assert.Contains($"claim {id} is approved: who submitted and decided it, when, why and its payment run change only with a move", refused.MessageText);
        }
        Assert.Equal(before, await Db.TextAsync($"SELECT row_to_json(c)::text FROM claim c WHERE id = {id}"));

        // in a run: a return as unpaid written by a script that leaves the claim in its run, and an addition to a run whose
        // history names another run than the one the claim is put in
        await Db.DataSource.ExecuteAsync("UPDATE school SET payee_reference = 'SUP-' || urn WHERE programme_id = $1", w.S.ProgrammeId);
        var maker = await w.S.FinanceAsync(Db, "maker");
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        Assert.Equal(run, await Db.ScalarAsync($"SELECT payment_run_id FROM claim WHERE id = {id}"));
        var kept = await ScriptRefusedAtCommitAsync(MovedByScript(id, "payment-failed", "in-payment-run", "approved", maker.UserId, "funder_finance", run: run));
        Assert.Contains($"claim {id}'s payment_run_id cannot be {run}: its payment-failed by user {maker.UserId} at ", kept.MessageText);
        Assert.Contains("makes it empty", kept.MessageText);
        Assert.Equal("GL007", (await RefusedAsync($"UPDATE claim SET payment_run_id = NULL WHERE id = {id}")).SqlState);
        Assert.Equal(run, await Db.ScalarAsync($"SELECT payment_run_id FROM claim WHERE id = {id} AND state = 'in-payment-run'"));

        var second = await w.UnderReviewAsync("STAFF-02", "2026-10-06");
        (await w.Lead.PostAsync($"/api/v1/claims/{second}/approve", null)).Expect(HttpStatusCode.OK);
        var elsewhere = await ScriptRefusedAtCommitAsync(MovedByScript(second, "add-to-payment-run", "approved", "in-payment-run", maker.UserId, "funder_finance",
            $", payment_run_id = {run}", run: run + 1000));
        Assert.Contains($"claim {second}'s payment_run_id cannot be {run}: its add-to-payment-run by user {maker.UserId} at ", elsewhere.MessageText);
        Assert.Contains($"makes it {run + 1000}", elsewhere.MessageText);
        Assert.Equal("approved", await Db.TextAsync($"SELECT state FROM claim WHERE id = {second}"));
    }

    /// <summary>A claim is created as a draft that nobody has submitted or decided, in no run (migrations 0052, 0088).</summary>
    [Fact]
    public async Task AClaimCreatedAsADraft_ThatSaysItWasSubmittedOrDecided_IsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        var copy = $"INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by{{0}}) SELECT programme_id, programme_year_id, period_id, school_id, created_by{{1}} FROM claim WHERE id = {draft}";
        foreach (var (column, value) in new[] { ("submitted_by", "created_by"), ("submitted_at", "now()"), ("decided_by", $"{w.Lead.UserId}"), ("reason", "'approved'") })
        {
            var refused = await RefusedAsync(string.Format(copy, ", " + column, ", " + value));
            Assert.Equal((column, "GL010"), (column, refused.SqlState));
            Assert.Contains("a claim is created as a draft that nobody has submitted or decided, in no payment run", refused.MessageText);
        }
        await Db.DataSource.ExecuteAsync(string.Format(copy, "", "")); // as the service creates one
        Assert.Equal(2, await Db.ScalarAsync($"SELECT count(*) FROM claim WHERE school_id = (SELECT school_id FROM claim WHERE id = {draft})"));
    }

    /// <summary>
    /// A claim is marked paid only when the finance system confirmed its school's payment in the run, by an imported
    /// confirmation, and with the payment's entry: a script marked one paid with none of these. A failed payment needs its
    /// confirmation too, and a claim leaves an exported run by no other step.
    /// </summary>
    [Fact]
    public async Task AClaimMarkedPaid_WithoutAConfirmedPaymentAndItsEntry_IsRefusedAtCommit_AndTheConfirmationsImportPaysIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.DataSource.ExecuteAsync("UPDATE school SET payee_reference = 'SUP-' || urn WHERE programme_id = $1", w.S.ProgrammeId);
        var (maker, checker) = (await w.S.FinanceAsync(Db, "maker"), await w.S.FinanceAsync(Db, "checker"));
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        (await checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        (await maker.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
        var paid = MovedByScript(id, "mark-paid", "in-payment-run", "paid", maker.UserId, "funder_finance", run: run);

        var unconfirmed = await ScriptRefusedAtCommitAsync(paid);
        Assert.Contains($"claim {id} cannot be marked paid: its school's payment in payment run {run} is not confirmed paid", unconfirmed.MessageText);
        var payeePaid = $"UPDATE payment_run_payee SET status = 'paid', paid_on = current_date, confirmed_at = now() WHERE payment_run_id = {run};";
        Assert.Contains("is not confirmed paid by an imported confirmation", (await ScriptRefusedAtCommitAsync(payeePaid + paid)).MessageText);
        var confirmedByHand = $"""
            WITH i AS (INSERT INTO payment_confirmation_import (programme_id, file_name, file_sha256, imported_by, paid, failed, unchanged, mismatched, report)
                       VALUES ({w.S.ProgrammeId}, 'by-hand.csv', sha256('by hand'::bytea), {maker.UserId}, 1, 0, 0, 0, '[]') RETURNING id)
            UPDATE payment_run_payee p SET status = 'paid', paid_on = current_date, confirmed_at = now(), confirmation_id = i.id FROM i WHERE p.payment_run_id = {run};
            """;
        Assert.Contains($"claim {id} cannot mark-paid without its journal entry: the move names none, not an entry of its payment run {run}",
            (await ScriptRefusedAtCommitAsync(confirmedByHand + paid)).MessageText);
        var back = ", payment_run_id = NULL";
        Assert.Contains($"claim {id} cannot be returned as unpaid",
            (await ScriptRefusedAtCommitAsync(MovedByScript(id, "payment-failed", "in-payment-run", "approved", maker.UserId, "funder_finance", back, run: run))).MessageText);
        Assert.Contains($"claim {id} cannot leave payment run {run}: a claim leaves its run only when the run is cancelled",
            (await ScriptRefusedAtCommitAsync(MovedByScript(id, "remove-from-payment-run", "in-payment-run", "approved", maker.UserId, "funder_finance", back, run: run))).MessageText);
        Assert.Equal("in-payment-run", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal("pending", await Db.TextAsync($"SELECT status FROM payment_run_payee WHERE payment_run_id = {run}"));

        // the service's: the finance system's confirmation imported marks it paid, naming the payment's entry
        using var form = new MultipartFormDataContent();
        var reference = await Db.TextAsync($"SELECT remittance_reference FROM payment_run_payee WHERE payment_run_id = {run}");
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(
            $"remittance_reference,amount,date,status\n{reference},250.00,{GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd},paid\n")), "file", "confirmations.csv");
        using (var response = await maker.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form))
            Assert.Equal(1, (await Answer.ReadAsync(response)).Expect(HttpStatusCode.OK).Json["paid"]!.GetValue<int>());
        Assert.Equal("paid", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal(1, await Db.ScalarAsync($"""
            SELECT count(*) FROM claim_transition t JOIN journal_entry e ON e.id = t.entry_id
             WHERE t.claim_id = {id} AND t.trigger = 'mark-paid' AND e.cause_type = 'payment_run' AND e.cause_id = {run}
            """));
    }

    /// <summary>
    /// An approved claim's lines keep the sanction and holds its approval gave them, which a payment run pays: a script had
    /// undone an approved line's reduction. No line is added or taken away either.
    /// </summary>
    [Fact]
    public async Task AnApprovedClaimsLines_KeepTheirSanctionsAndHolds_AndNoLineIsAddedOrDeleted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId = lines[1], amount = "100.00", reason = "half a day evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        Assert.Equal(10000, await Db.ScalarAsync($"SELECT sanctioned_pence FROM claim_line WHERE id = {lines[1]}")); // set by the approval itself
        var before = await Db.TextAsync($"SELECT string_agg(row_to_json(l)::text, ';' ORDER BY id) FROM claim_line l WHERE claim_id = {id}");

        foreach (var sql in new[]
                 {
                     $"UPDATE claim_line SET sanctioned_pence = NULL, sanction_reason = NULL WHERE id = {lines[1]}",
                     $"UPDATE claim_line SET sanctioned_pence = 0, sanction_reason = 'not evidenced' WHERE id = {lines[0]}",
                     $"UPDATE claim_line SET sanction_reason = 'a better reason' WHERE id = {lines[1]}",
                     $"UPDATE claim_line SET money_hold_id = NULL WHERE claim_id = {id}",
                     $"UPDATE claim_line SET money_hold_id = time_hold_id, time_hold_id = money_hold_id WHERE id = {lines[0]}",
                     $"DELETE FROM claim_line WHERE id = {lines[1]}",
                     $"INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence) SELECT claim_id, 9, kind, category_id, 1 FROM claim_line WHERE id = {lines[0]}",
                 })
            Assert.Equal((sql, "GL007"), (sql, (await RefusedAsync(sql)).SqlState));
        Assert.Contains($"claim {id} is approved: line 2's sanctioned amount and holds are fixed once it is approved",
            (await RefusedAsync($"UPDATE claim_line SET sanctioned_pence = 20000 WHERE id = {lines[1]}")).MessageText);
        await Db.DataSource.ExecuteAsync($"UPDATE claim_line SET sanctioned_pence = sanctioned_pence WHERE claim_id = {id}"); // nothing changed: taken
        Assert.Equal(before, await Db.TextAsync($"SELECT string_agg(row_to_json(l)::text, ';' ORDER BY id) FROM claim_line l WHERE claim_id = {id}"));
    }

    /// <summary>
    /// A line holds only what it has to hold (migration 0090): a line of an approved claim that held nothing (no amount, no
    /// minutes) and was approved in full had been given a hold by a script, naming another line's transfer, past 0086's
    /// trigger, which a submission's own hold does not call. Refused in any state, as are holds on a line with no such category.
    /// </summary>
    [Fact]
    public async Task ALineWithNothingToHold_IsGivenNoHold_ByAScript()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        // a line with nothing to hold, approved in full with its claim (written past the rules that keep lines to drafts)
        await Db.DataSource.TamperAsync($"""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description)
            SELECT claim_id, 3, 'action-plan', category_id, 0, 'nothing' FROM claim_line WHERE id = {lines[0]}
            """);
        var nothing = await Db.ScalarAsync($"SELECT id FROM claim_line WHERE claim_id = {id} AND line_no = 3");
        var held = await Db.ScalarAsync($"SELECT money_hold_id FROM claim_line WHERE id = {lines[0]}");
        foreach (var (sql, constraint) in new[]
                 {
                     ($"UPDATE claim_line SET money_hold_id = {held} WHERE id = {nothing}", "claim_line_money_hold_on_an_amount"),
                     ($"UPDATE claim_line SET time_hold_id = {held} WHERE id = {nothing}", "claim_line_time_hold_on_minutes"),
                 })
        {
            var refused = await RefusedAsync(sql);
            Assert.Equal((sql, "23514", constraint), (sql, refused.SqlState, refused.ConstraintName));
        }
        Assert.Equal(0, await Db.ScalarAsync($"SELECT count(*) FROM claim_line WHERE id = {nothing} AND (money_hold_id IS NOT NULL OR time_hold_id IS NOT NULL)"));

        // a draft's line that has an amount but no budget category holds no money either
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft, "STAFF-09", "2026-10-12");
        var refusedDraft = await RefusedAsync($"UPDATE claim_line SET category_id = NULL, money_hold_id = {held} WHERE claim_id = {draft}");
        Assert.Equal("23514", refusedDraft.SqlState);
    }

    /// <summary>
    /// On a database where a script had already given such a line a hold, migration 0090 names the line in a WARNING and
    /// holds the rule for every row written from then on, so that the service still starts there.
    /// </summary>
    [Fact]
    public async Task TheMigration_NamesALineAlreadyHoldingWhatItHasNothingToHold_AndHoldsTheRuleFromThenOn()
    {
        await using var data = await BeforeMigrationAsync(90);
        await data.TamperAsync(AnActionPlanClaim + """
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description, money_hold_id)
            VALUES (1, 1, 'action-plan', 1, 0, 'nothing', NULL), (1, 2, 'action-plan', 1, 500, 'books', NULL);
            UPDATE claim_line SET money_hold_id = 42 WHERE line_no = 1;
            """);
        var warnings = await MigrationWarningsAsync(data, 90);
        Assert.Equal("claim lines holding what they have nothing to hold, kept as they are (the rule holds from now on): claim 1 line 1", Assert.Single(warnings));
        Assert.Equal(0, await data.ScalarAsync("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'claim_line_%_hold_on_%' AND convalidated"));
        // a line written from now on, even behind the triggers, is held to the rule
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.TamperAsync(
            "INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description, money_hold_id) VALUES (1, 3, 'action-plan', 1, 0, 'more nothing', 43)"));
        Assert.Equal(("23514", "claim_line_money_hold_on_an_amount"), (refused.SqlState, refused.ConstraintName));
        Assert.Equal(1, await data.ScalarAsync("SELECT count(*) FROM claim_line WHERE money_hold_id = 42"));
    }

    /// <summary>
    /// A line's hold is the pending transfer its claim's submission wrote for it (migration 0091). Before the claim's first
    /// approval a script pointed a submitted line's hold at another claim's hold, at another of its own claim's holds written
    /// earlier, at its own hold of the other unit, and at a transfer it wrote then for the claim, once for another amount and
    /// once into the year's unallocated budget: each is refused at commit, as is a draft's new line naming another claim's hold. The lines
    /// keep their holds, and the approval posts them.
    /// </summary>
    [Fact]
    public async Task ALinesHold_IsThePendingTransferItsClaimsSubmissionWroteForIt_RefusedOtherwiseAtCommit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        var other = await w.UnderReviewAsync("STAFF-03", "2026-10-07");
        var holds = await Db.TextAsync($"SELECT string_agg(money_hold_id || ',' || time_hold_id, ';' ORDER BY line_no) FROM claim_line WHERE claim_id = {id}");
        long Hold(string column, long line) => Db.ScalarAsync($"SELECT {column} FROM claim_line WHERE id = {line}").GetAwaiter().GetResult();
        var (money, time, secondMoney) = (Hold("money_hold_id", lines[0]), Hold("time_hold_id", lines[0]), Hold("money_hold_id", lines[1]));
        var othersMoney = await Db.ScalarAsync($"SELECT money_hold_id FROM claim_line WHERE claim_id = {other}");
        string WrittenNow(string debit, string credit, string amount) => $"""
            WITH e AS (
                INSERT INTO journal_entry (programme_id, value_date, description, cause_type, cause_id)
                SELECT h.programme_id, h.value_date, 'Claim held again by a script', 'claim', {id} FROM transfer h WHERE h.id = {money}
                RETURNING id, programme_id, value_date, recorded_at),
            t AS (
                INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
                SELECT e.id, e.programme_id, h.unit, {debit}, {credit}, {amount}, 'pending', e.value_date, e.recorded_at
                  FROM e, transfer h WHERE h.id = {money}
                RETURNING id)
            UPDATE claim_line SET money_hold_id = (SELECT id FROM t) WHERE id = {lines[0]}
            """;
        foreach (var (what, sql) in new[]
                 {
                     ("another claim's hold", $"UPDATE claim_line SET money_hold_id = {othersMoney} WHERE id = {lines[0]}"),
                     ("its claim's hold of another line, written before", $"UPDATE claim_line SET money_hold_id = {secondMoney} WHERE id = {lines[0]}"),
                     ("its own hold of the other unit", $"UPDATE claim_line SET time_hold_id = {money} WHERE id = {lines[0]}"),
                     ("a hold written now for another amount", WrittenNow("h.debit_account_id", "h.credit_account_id", "h.amount - 1")),
                     ("a hold written now into the year's unallocated budget", WrittenNow("h.debit_account_id",
                         "(SELECT u.id FROM account u JOIN account a ON a.id = h.debit_account_id WHERE u.programme_year_id = a.programme_year_id AND u.unit = 'GBP' AND u.code LIKE '%:unallocated')",
                         "h.amount")),
                 })
        {
            var refused = await RefusedAsync(sql);
            Assert.Equal((what, "GL021"), (what, refused.SqlState));
            Assert.StartsWith($"claim {id} line 1 cannot hold transfer ", refused.MessageText);
            Assert.Equal((what, holds), (what, await Db.TextAsync($"SELECT string_agg(money_hold_id || ',' || time_hold_id, ';' ORDER BY line_no) FROM claim_line WHERE claim_id = {id}")));
        }
        Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM journal_entry WHERE cause_type = 'claim' AND cause_id = {id}"));

        // a draft's line written with another claim's hold
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft, "STAFF-09", "2026-10-12");
        var inserted = await RefusedAsync($"""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, allowance_category_id, minutes, rate_basis, rate_id, rate_pence,
                                    staff_ref, staff_role, activity, work_date, description, money_hold_id)
            SELECT claim_id, 2, kind, category_id, amount_pence, allowance_category_id, minutes, rate_basis, rate_id, rate_pence,
                   'STAFF-10', staff_role, activity, work_date, description, {othersMoney}
              FROM claim_line WHERE claim_id = {draft}
            """);
        Assert.Equal("GL021", inserted.SqlState);
        Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM claim_line WHERE claim_id = {draft}"));

        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal(4L, await Db.ScalarAsync($"""
            SELECT count(*) FROM transfer WHERE kind = 'post_pending'
               AND pending_id IN (SELECT money_hold_id FROM claim_line WHERE claim_id = {id} UNION ALL SELECT time_hold_id FROM claim_line WHERE claim_id = {id})
            """));
        Assert.Equal(time, Hold("time_hold_id", lines[0]));
    }

    /// <summary>
    /// On a database where a script had already pointed a line's hold at a transfer that is not its claim's hold for it,
    /// migration 0091 names the line in a WARNING and holds the rule for every hold given from then on.
    /// </summary>
    [Fact]
    public async Task TheMigration_NamesALineHoldingATransferNotItsOwn_AndHoldsTheRuleFromThenOn()
    {
        await using var data = await BeforeMigrationAsync(91);
        await data.TamperAsync(AnActionPlanClaim + """
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description, money_hold_id)
            VALUES (1, 1, 'action-plan', 1, 500, 'books', 42), (1, 2, 'action-plan', 1, 700, 'paper', NULL);
            INSERT INTO account (programme_id, unit, code, name, normal_side) VALUES (1, 'GBP', 'dm:from', 'From', 'debit'), (1, 'GBP', 'dm:to', 'To', 'credit');
            INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES (1, '2026-09-01', 'Funding', 'funding');
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, 1, 'GBP', 1, 2, 700, 'pending', value_date, recorded_at FROM journal_entry;
            """);
        var warnings = await MigrationWarningsAsync(data, 91);
        Assert.Equal("claim lines holding a transfer that is not their claim's hold for them, kept as they are (the rule holds from now on): "
                     + "claim 1 line 1 (money hold, transfer 42)", Assert.Single(warnings));
        // a hold given from now on is held to the rule, and the line named keeps its hold
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => data.ExecuteAsync("UPDATE claim_line SET money_hold_id = 1 WHERE line_no = 2"));
        Assert.Equal("GL021", refused.SqlState);
        Assert.Equal("42,", await data.TextAsync("SELECT string_agg(coalesce(money_hold_id::text, ''), ',' ORDER BY line_no) FROM claim_line"));
    }

    /// <summary>
    /// A hold is one line's (migration 0095): a script submitting a claim of two lines alike (one category, one amount) gave
    /// the second line the first line's hold too, leaving the second's own transfer held by no line. Refused at commit,
    /// naming the line that holds it; the claim stays a draft with no entry. The same script without that is taken.
    /// </summary>
    [Fact]
    public async Task TwoLinesOfAClaim_CannotHoldOneTransfer_RefusedAtCommit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft, "STAFF-09", "2026-10-12");
        await w.AddStaffTimeAsync(draft, "STAFF-10", "2026-10-12");
        Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(DISTINCT (category_id, amount_pence)) FROM claim_line WHERE claim_id = {draft}"));
        var state = $"SELECT state || ', ' || (SELECT count(*) FROM journal_entry WHERE cause_type = 'claim' AND cause_id = {draft}) FROM claim WHERE id = {draft}";

        var refused = await RefusedAsync(ClaimWorld.SubmittedByScript(draft) + $"""
            ;
            UPDATE claim_line SET money_hold_id = (SELECT money_hold_id FROM claim_line WHERE claim_id = {draft} AND line_no = 1)
             WHERE claim_id = {draft} AND line_no = 2
            """);
        Assert.Equal("GL021", refused.SqlState);
        Assert.Matches($@"^claim {draft} line ([12]) cannot hold transfer \d+: line (?!\1)[12] of the claim holds it, and a hold is one line's$", refused.MessageText);
        Assert.Equal("draft, 0", await Db.TextAsync(state));

        await Db.DataSource.ExecuteAsync(ClaimWorld.SubmittedByScript(draft));
        Assert.Equal("submitted, 1", await Db.TextAsync(state));
        Assert.Equal(2L, await Db.ScalarAsync($"SELECT count(DISTINCT money_hold_id) FROM claim_line WHERE claim_id = {draft}"));
    }

    /// <summary>
    /// On a database where a script had already given two lines of a claim one hold, migration 0095 names them in a WARNING
    /// and keeps them as they are.
    /// </summary>
    [Fact]
    public async Task TheMigration_NamesLinesSharingAHold_AndKeepsThem()
    {
        await using var data = await BeforeMigrationAsync(95);
        await data.TamperAsync(AnActionPlanClaim + """
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description, money_hold_id)
            VALUES (1, 1, 'action-plan', 1, 500, 'books', 42), (1, 2, 'action-plan', 1, 500, 'more books', 42), (1, 3, 'action-plan', 1, 500, 'paper', 43);
            """);
        var warnings = await MigrationWarningsAsync(data, 95);
        Assert.Equal("claim lines sharing a hold, kept as they are (the rule holds from now on): claim 1 lines 1 and 2 (money hold, transfer 42)",
            Assert.Single(warnings));
        Assert.Equal("42,42,43", await data.TextAsync("SELECT string_agg(money_hold_id::text, ',' ORDER BY line_no) FROM claim_line"));
    }

    /// <summary>
    /// A decision by a script, as the service writes one: its entry resolving each of the claim's holds (<paramref name="resolved"/>
    /// picks them, <paramref name="kind"/> and <paramref name="amount"/> say how, over the hold h and its line l), then its move.
    /// </summary>
    private static string DecidedByScript(long claim, string trigger, string from, string to, long actor, string role, string set,
        string kind, string amount = "h.amount", string resolved = "true", string reason = "NULL") => $"""
        WITH e AS (
            INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id)
            OVERRIDING SYSTEM VALUE
            SELECT nextval('journal_entry_id_seq'), programme_id, current_date, 'Claim decided by a script', {actor}, 'claim', id
              FROM claim WHERE id = {claim}
            RETURNING id, programme_id, value_date, recorded_at)
        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id, value_date, recorded_at)
        SELECT e.id, e.programme_id, h.unit, h.debit_account_id, h.credit_account_id, {amount}, {kind}, h.id, e.value_date, e.recorded_at
          FROM e, claim_line l JOIN transfer h ON h.id IN (l.money_hold_id, l.time_hold_id)
         WHERE l.claim_id = {claim} AND ({resolved})
         ORDER BY l.line_no, h.id;
        {MovedByScript(claim, trigger, from, to, actor, role, set, "currval('journal_entry_id_seq')", reason: reason)}
        """;

    /// <summary>
    /// A decision resolves the holds its claim's submission wrote, as the lines say (migration 0093): a script approved a claim
    /// its lead had sanctioned for less, posting the line in full; approved one voiding its holds; approved one posting its
    /// money and leaving its time held; and rejected one posting its holds. Each is refused at commit, and the claim stays
    /// under review. The script's approval written as the service's, the sanctioned amount posted and the time in full, is taken.
    /// </summary>
    [Fact]
    public async Task ADecision_ResolvesEachHoldItsSubmissionWrote_AsTheLinesSay_RefusedOtherwiseAtCommit()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (id, lines) = await w.TwoLinesUnderReviewAsync();
        var lead = w.Lead.UserId;
        var approved = $", first_approved_by = {lead}, decided_by = {lead}, decided_at = now()";
        var sanction = $"UPDATE claim_line SET sanctioned_pence = 10000, sanction_reason = 'Half a day of cover evidenced' WHERE id = {lines[0]};";
        const string Posted = "CASE WHEN h.id = l.money_hold_id THEN coalesce(l.sanctioned_pence, l.amount_pence) ELSE h.amount END";
        var entries = await Db.ScalarAsync($"SELECT count(*) FROM journal_entry WHERE cause_id = {id} AND cause_type = 'claim'");
        foreach (var (what, sql, says) in new[]
                 {
                     ("a sanctioned line posted in full", sanction + DecidedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved, "'post_pending'"),
                      "its approval posts each hold of its submission's entry"),
                     ("an approval voiding its holds", DecidedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved, "'void_pending'"),
                      "its approval posts each hold"),
                     ("an approval leaving its time held", DecidedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved, "'post_pending'",
                         resolved: "h.id = l.money_hold_id"), "its approval posts each hold"),
                     ("a rejection posting its holds", DecidedByScript(id, "reject", "under-review", "rejected", lead, "area_lead",
                         $", decided_by = {lead}, decided_at = now(), reason = 'No timesheets'", "'post_pending'", reason: "'No timesheets'"), "a reject voids each hold"),
                 })
        {
            var refused = await ScriptRefusedAtCommitAsync(sql);
            Assert.Contains($"claim {id} cannot ", refused.MessageText);
            Assert.Contains(says, refused.MessageText);
            Assert.Equal((what, "under-review", entries), (what, await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"),
                await Db.ScalarAsync($"SELECT count(*) FROM journal_entry WHERE cause_id = {id} AND cause_type = 'claim'")));
        }

        // as the service writes it: the sanctioned amount posted, the time in full
        await Db.DataSource.ExecuteAsync(sanction + DecidedByScript(id, "approve", "under-review", "approved", lead, "area_lead", approved, "'post_pending'", Posted));
        Assert.Equal("approved", await Db.TextAsync($"SELECT state FROM claim WHERE id = {id}"));
        Assert.Equal("10000 25000", await Db.TextAsync($"""
            SELECT string_agg(r.amount::text, ' ' ORDER BY r.amount) FROM claim_line l JOIN transfer r ON r.pending_id = l.money_hold_id
             WHERE l.claim_id = {id}
            """));
    }

    /// <summary>
    /// On a database where a script had already approved a claim voiding its hold, migration 0093 names the decision in a
    /// WARNING, keeps it as it is, and holds the rule from then on.
    /// </summary>
    [Fact]
    public async Task TheMigration_NamesADecisionNotResolvingItsSubmissionsHolds_AndKeepsIt()
    {
        await using var data = await BeforeMigrationAsync(93);
        await data.TamperAsync(AnActionPlanClaim + """
            INSERT INTO account (programme_id, unit, code, name, normal_side) VALUES (1, 'GBP', 'dm:from', 'From', 'debit'), (1, 'GBP', 'dm:to', 'To', 'credit');
            INSERT INTO journal_entry (programme_id, value_date, description, cause_type, cause_id)
            VALUES (1, '2026-09-01', 'Claim submitted', 'claim', 1), (1, '2026-09-02', 'Claim approved', 'claim', 1);
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, pending_id, value_date, recorded_at)
            SELECT e.id, 1, 'GBP', 1, 2, 500, CASE e.id WHEN 1 THEN 'pending' ELSE 'void_pending' END, CASE e.id WHEN 2 THEN 1 END, e.value_date, e.recorded_at
              FROM journal_entry e ORDER BY e.id;
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, description, money_hold_id) VALUES (1, 1, 'action-plan', 1, 500, 'books', 1);
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id, details)
            VALUES (1, 'submit', 'draft', 'submitted', 1, 'school_business_manager', 1, '{}'),
                   (1, 'start-review', 'submitted', 'under-review', 1, 'area_lead', NULL, '{}'),
                   (1, 'approve', 'under-review', 'approved', 1, 'area_lead', 2, '{}');
            """);
        var warnings = await MigrationWarningsAsync(data, 93);
        Assert.Equal("claim decisions whose entry does not resolve their submission's holds as their lines say, kept as they are (the rule holds from now on): "
                     + "claim 1 approve (entry 2)", Assert.Single(warnings));
        Assert.Equal(3, await data.ScalarAsync("SELECT count(*) FROM claim_transition"));
        Assert.Equal(1, await data.ScalarAsync("SELECT count(*) FROM pg_trigger WHERE tgname = 'claim_history_resolves_its_holds'"));
    }
}

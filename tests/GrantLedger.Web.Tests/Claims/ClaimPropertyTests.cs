using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// One step on one of a few claims: an intent (move it on along the usual path, return, reject,
/// withdraw, approve it for less) that the harness turns into the action the claim's state calls
/// for, or, now and then, a raw action fired whatever the state.
/// </summary>
public sealed record ClaimStep(int Intent, int Claim, int Size)
{
    public static readonly string[] Intents = ["advance", "advance-reduced", "return", "reject", "withdraw", "raw"];
    public override string ToString() => $"{Intents[Intent]} #{Claim} ({Size})";
}

public static class ClaimSteps
{
    public static Arbitrary<ClaimStep[]> Steps() =>
        (from intent in Gen.Elements(0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5)
         from claim in Gen.Choose(0, 3)
         from size in Gen.Choose(1, 7)
         select new ClaimStep(intent, claim, size))
        .ArrayOf().Where(s => s.Length is > 0 and <= 40).ToArbitrary();
}

/// <summary>
/// Random sequences of submit, approve (in full or reduced), return, reject, withdraw and second
/// approval on a few claims, through the API, whatever each answers: afterwards every ledger
/// invariant holds and every claim's holds and postings match its state.
/// </summary>
public sealed class ClaimPropertyTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Property(MaxTest = 20, Arbitrary = [typeof(ClaimSteps)])]
    public bool RandomReviewSequences_KeepEveryLedgerInvariant(ClaimStep[] steps) =>
        Task.Run(() => RunAsync(steps)).GetAwaiter().GetResult();

    private async Task<bool> RunAsync(ClaimStep[] steps)
    {
        await Db.ResetAsync();
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 30000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var claims = new List<long>();
        for (var i = 0; i < 4; i++) claims.Add(await w.NewClaimAsync(period: i % 2 == 0 ? "aut1" : "aut2"));
        var day = 0;

        string[] raw = ["add-line", "submit", "start-review", "approve", "approve-reduced", "return", "reject", "withdraw", "second-approve"];
        foreach (var step in steps)
        {
            var id = claims[step.Claim];
            var state = (await w.School.GetAsync($"/api/v1/claims/{id}")).Json;
            var action = (ClaimStep.Intents[step.Intent], state["state"]!.GetValue<string>(), state["lines"]!.AsArray().Count) switch
            {
                ("raw", _, _) => raw[step.Size % raw.Length],
                ("advance" or "advance-reduced", "draft", < 2) => "add-line",
                ("advance" or "advance-reduced", "draft", _) => "submit",
                ("advance" or "advance-reduced", "submitted", _) => "start-review",
                ("advance", "under-review", _) => "approve",
                ("advance-reduced", "under-review", _) => "approve-reduced",
                (_, "awaiting-second-approval", _) when step.Intent <= 1 => "second-approve",
                ("advance" or "advance-reduced", _, _) => "submit",
                (var intent, _, _) => intent,
            };
            var admin = state["state"]!.GetValue<string>() == "awaiting-second-approval";
            var reviewer = admin ? w.Admin : w.Lead;
            var answer = action switch
            {
                "add-line" => await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
                {
                    kind = "staff-time", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
                    staffRef = $"P{step.Size}", role = "teacher", activity = "training",
                    date = step.Claim % 2 == 0 ? $"2026-10-{10 + day++ % 20:00}" : $"2026-11-{10 + day++ % 20:00}", hours = step.Size,
                }),
                "submit" => await w.SubmitAsync(id),
                "start-review" => await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null),
                "approve" => await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null),
                "approve-reduced" => await ApproveReducedAsync(w, id, step.Size),
                "return" => await reviewer.PostAsync($"/api/v1/claims/{id}/return", new { reason = "check the hours" }),
                "reject" => await reviewer.PostAsync($"/api/v1/claims/{id}/reject", new { reason = "not eligible" }),
                "withdraw" => await w.School.PostAsync($"/api/v1/claims/{id}/withdraw", null),
                _ => await w.Admin.PostAsync($"/api/v1/claims/{id}/second-approve", null),
            };
            Assert.True((int)answer.Status < 500, $"{step} ({action}): {answer.Status} {answer.Body}");
            if (answer.Status is HttpStatusCode.OK or HttpStatusCode.Created && Environment.GetEnvironmentVariable("CLAIM_WALK_COVERAGE") is { } file)
                await File.AppendAllTextAsync(file, action + "\n");
        }

        await AssertInvariantsAsync();
        return true;
    }

    private static async Task<Answer> ApproveReducedAsync(ClaimWorld w, long id, int size)
    {
        var claim = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json;
        var lines = claim["lines"]!.AsArray().Select(l => new
        {
            lineId = l!["id"]!.GetValue<long>(),
            amount = (decimal.Parse(l["amount"]!.GetValue<string>()) * size / 8m).ToString("0.00"),
            reason = "part evidenced",
        }).ToArray();
        return await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines });
    }

    private async Task AssertInvariantsAsync()
    {
        async Task Zero(string sql, string what) => Assert.True(await Db.ScalarAsync(sql) == 0, what);

        await Zero("SELECT coalesce(sum(debits_posted - credits_posted), 0) FROM account", "posted trial balance is zero");
        await Zero("SELECT coalesce(sum(debits_pending - credits_pending), 0) FROM account", "pending trial balance is zero");
        await Zero("""
            SELECT count(*) FROM account a
            LEFT JOIN (SELECT account_id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dq, sum(credits_pending) cq
                       FROM transfer_effect GROUP BY account_id) e ON e.account_id = a.id
            WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                  IS DISTINCT FROM (coalesce(e.dp, 0), coalesce(e.cp, 0), coalesce(e.dq, 0), coalesce(e.cq, 0))
            """, "every balance equals the sum of its transfers");
        await Zero("SELECT count(*) FROM account WHERE limit_kind = 'debits_within_credits' AND debits_posted + debits_pending > credits_posted",
            "no limited account is past its limit");
        // held claims hold exactly what they claim, in unresolved pending transfers
        await Zero("""
            SELECT count(*) FROM claim c JOIN claim_line l ON l.claim_id = c.id
            LEFT JOIN transfer h ON h.id = l.money_hold_id
            WHERE c.state IN ('submitted', 'under-review', 'awaiting-second-approval')
              AND (h.id IS NULL OR h.kind <> 'pending' OR h.amount <> l.amount_pence
                   OR EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = h.id))
            """, "a held claim's lines each have an open hold for their amount");
        // drafts, rejected and withdrawn claims hold nothing: every pending transfer of theirs is resolved
        await Zero("""
            SELECT count(*) FROM claim c
            JOIN journal_entry e ON e.cause_type = 'claim' AND e.cause_id = c.id
            JOIN transfer p ON p.entry_id = e.id AND p.kind = 'pending'
            WHERE c.state IN ('draft', 'rejected', 'withdrawn')
              AND NOT EXISTS (SELECT 1 FROM transfer r WHERE r.pending_id = p.id AND r.kind = 'void_pending')
            """, "claims that hold nothing have every hold voided");
        // an approved claim posted exactly its sanctioned total to payable
        await Zero("""
            SELECT count(*) FROM claim c
            WHERE c.state = 'approved'
              AND (SELECT coalesce(sum(l.sanctioned_pence), sum(l.amount_pence)) FROM claim_line l WHERE l.claim_id = c.id)
                  IS DISTINCT FROM
                  (SELECT coalesce(sum(r.amount), 0) FROM transfer r JOIN transfer h ON h.id = r.pending_id
                   JOIN claim_line l ON l.money_hold_id = h.id WHERE l.claim_id = c.id AND r.kind = 'post_pending')
            """, "an approved claim posted its sanctioned total");
        // staff days booked are exactly the minutes of live claims' lines, per school (a reference is the school's pseudonym)
        // and staff member (the reference's letters and number, without its hyphen or leading zeros: migrations 0087, 0092)
        await Zero("""
            SELECT count(*) FROM (
              SELECT c.school_id, staff_key(staff_ref) AS staff_ref, work_date, sum(minutes) m FROM claim_line l JOIN claim c ON c.id = l.claim_id
              WHERE c.state NOT IN ('draft', 'rejected', 'withdrawn') AND l.kind IN ('staff-time', 'support-hours') GROUP BY 1, 2, 3) live
            FULL JOIN (SELECT school_id, staff_ref, work_date, minutes m FROM staff_day WHERE minutes > 0) booked USING (school_id, staff_ref, work_date)
            WHERE live.m IS DISTINCT FROM booked.m
            """, "staff days booked match live claims");
        // every transition that moved money names its entry, and every claim entry belongs to a transition
        await Zero("""
            SELECT count(*) FROM journal_entry e WHERE e.cause_type = 'claim'
              AND NOT EXISTS (SELECT 1 FROM claim_transition t WHERE t.entry_id = e.id)
            """, "every claim entry is one transition's");
    }
}

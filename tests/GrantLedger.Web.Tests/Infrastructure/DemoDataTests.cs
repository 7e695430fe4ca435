using GrantLedger.Web.Demo;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Infrastructure;

public sealed class DemoDataTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Demo_LoadsBothPilots_AndASecondLoadDuplicatesNothing()
    {
        async Task LoadAsync()
        {
            await using var scope = Db.Factory.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(CancellationToken.None);
        }
        await LoadAsync();
        var counts = await CountsAsync();
        await LoadAsync();
        Assert.Equal(counts, await CountsAsync());

        Assert.Equal(1680, await Db.ScalarAsync("SELECT count(*) FROM school s JOIN programme p ON p.id = s.programme_id WHERE p.code = 'pins'"));
        Assert.Equal(42, await Db.ScalarAsync("SELECT count(*) FROM area a JOIN programme p ON p.id = a.programme_id WHERE p.code = 'pins'"));
        Assert.Equal(21, await Db.ScalarAsync("SELECT count(*) FROM school s JOIN programme p ON p.id = s.programme_id WHERE p.code = 'dm'"));
        // £13m allocated to PINS schools, exactly
        Assert.Equal(1_300_000_000, await Db.ScalarAsync("SELECT sum(credits_posted) FROM account WHERE unit = 'GBP' AND code LIKE 'pins:%:school:%:available'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) FROM account"));

        // Work under way in Difference Matters' first borough: claims in every state, a payment run half confirmed, plans at every step.
        var states = new List<string>();
        await using (var cmd = Db.DataSource.CreateCommand("SELECT DISTINCT c.state FROM claim c JOIN programme p ON p.id = c.programme_id WHERE p.code = 'dm' ORDER BY 1"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) states.Add(reader.GetString(0));
        Assert.Equal(["approved", "awaiting-second-approval", "draft", "in-payment-run", "paid", "rejected", "submitted", "under-review", "withdrawn"], states);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM payment_run r JOIN programme p ON p.id = r.programme_id WHERE p.code = 'dm' AND r.state = 'exported' AND r.approved_by <> r.built_by"));
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE status = 'paid'")); // one in each programme
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim c JOIN programme p ON p.id = c.programme_id WHERE p.code = 'dm' AND c.state = 'draft' AND c.reason IS NOT NULL")); // returned with a reason
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id JOIN programme p ON p.id = c.programme_id WHERE p.code = 'dm' AND l.sanctioned_pence < l.amount_pence"));
        // In each programme a claim submitted and waiting for its lead holds staff time from the first school's allowance, as the
        // dashboard and the lead's queue show it: Difference Matters' leaders' contact time, PINS's specialist days (time alone).
        foreach (var (programme, minutes) in new[] { ("dm", 675L), ("pins", 900L) })
            Assert.Equal(minutes, await Db.ScalarAsync("""
                SELECT coalesce(sum(l.minutes), 0) FROM claim_line l JOIN claim c ON c.id = l.claim_id JOIN programme p ON p.id = c.programme_id
                 WHERE p.code = $1 AND c.state = 'submitted' AND l.time_hold_id IS NOT NULL
                """, programme));
        Assert.Equal(900L, await Db.ScalarAsync("""
            SELECT sum(a.credits_pending) FROM account a JOIN programme p ON p.id = a.programme_id
             WHERE p.code = 'pins' AND a.unit = 'MIN' AND a.code LIKE '%:specialist-support:%'
            """));
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(DISTINCT state) FROM action_plan")); // agreed, a revision in draft, one awaiting its lead
        Assert.Equal(8, await Db.ScalarAsync("SELECT count(*) FROM rate"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) + sum(debits_pending - credits_pending) FROM account"));

        var file = Path.Combine(Db.Cluster.DataDirectory, "..", "demo-credentials.json");
        var credentials = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Contains(credentials.EnumerateArray(), c => c.GetProperty("role").GetString() == "auditor" && c.GetProperty("token").GetString()!.StartsWith("glt_"));
        var schoolToken = credentials.EnumerateArray().First(c => c.GetProperty("userName").GetString() == "pins-school").GetProperty("token").GetString();
        var client = new ApiClient(Db.Factory.CreateClient(), schoolToken, 0, "pins-school");
        (await client.GetAsync("/api/v1/me")).Expect(System.Net.HttpStatusCode.OK);
        // the demo's passwords are published on purpose: nobody is made to choose their own
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE must_choose_password"));
        var finance = credentials.EnumerateArray().First(c => c.GetProperty("userName").GetString() == "dm-finance");
        (await new ApiClient(Db.Factory.CreateClient(), null, 0, "").PostAsync("/api/v1/auth/token",
            new { userName = "dm-finance", password = finance.GetProperty("password").GetString() })).Expect(System.Net.HttpStatusCode.Created);
    }

    /// <summary>
    /// Every demo claim's times agree with its history, as its answer gives them (GET /api/v1/claims/{id}), and each step's audit
    /// event and journal entry are recorded at the step's time: the demo's claims read submitted and decided by the service's
    /// clock, their steps by their transaction's, so a claim under review said it was submitted seconds after its review began.
    /// </summary>
    [Fact]
    public async Task Demo_EveryClaimsTimes_AreItsHistorys_AndItsStepsAuditEventsAndEntriesAgree()
    {
        await using (var scope = Db.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(CancellationToken.None);
        var auditor = new ApiClient(Db.Factory.CreateClient(), DemoData.DemoToken("auditor"), 0, "auditor");
        var ids = new List<long>();
        await using (var cmd = Db.DataSource.CreateCommand("SELECT id FROM claim ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));
        Assert.True(ids.Count >= 18, $"the demo has {ids.Count} claims");
        foreach (var id in ids)
            Claims.ClaimLifecycleTests.AssertTimesAgreeWithHistory((await auditor.GetAsync($"/api/v1/claims/{id}")).Expect(System.Net.HttpStatusCode.OK).Json);

        // each step's audit event names it at its time, and its journal entry is recorded then
        Assert.Equal(0, await Db.ScalarAsync("""
            SELECT count(*) FROM claim_transition t
             WHERE NOT EXISTS (SELECT FROM audit_event e WHERE e.action = 'claim.' || t.trigger AND e.occurred_at = t.occurred_at
                                 AND (e.record_type = 'claim' AND e.record_id = t.claim_id
                                      OR e.record_type = 'payment_run' AND e.record_id = (t.details ->> 'paymentRunId')::bigint))
            """));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_transition t JOIN journal_entry j ON j.id = t.entry_id WHERE j.recorded_at <> t.occurred_at"));
    }

    /// <summary>
    /// Every demo payment run's, payee's, action plan's, closed half-term's, rate's and claim's own times are its audit events'
    /// (AuditTrailTimes): a run was approved and exported, and a plan submitted, by the service's clock, their audit events
    /// timed by their transaction's, so run 1 read approved a second after it was built, and plan 1 submitted after its event.
    /// </summary>
    [Fact]
    public async Task Demo_EveryRunsPlansHalfTermsRatesAndClaimsTimes_AreTheirAuditEvents_InOrder()
    {
        await using (var scope = Db.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(CancellationToken.None);
        Assert.True(await Db.ScalarAsync("SELECT count(*) FROM payment_run WHERE exported_at IS NOT NULL") > 0, "the demo exports a run");
        Assert.True(await Db.ScalarAsync("SELECT count(*) FROM action_plan WHERE agreed_at IS NOT NULL") > 0, "the demo agrees a plan");
        await AuditTrailTimes.AssertAgreeAsync(Db);
    }

    private async Task<string> CountsAsync()
    {
        var tables = new[] { "programme", "area", "school", "budget_category", "app_user", "api_token", "journal_entry", "transfer", "account",
            "rate", "action_plan", "action_plan_action", "claim", "claim_line", "evidence", "claim_transition", "audit_event", "payment_run", "payment_run_payee", "payment_confirmation_import" };
        var counts = new List<long>();
        foreach (var t in tables) counts.Add(await Db.ScalarAsync($"SELECT count(*) FROM {t}"));
        return string.Join(",", counts);
    }
}

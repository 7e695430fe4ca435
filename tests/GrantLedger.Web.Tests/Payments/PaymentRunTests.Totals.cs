using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>
/// A run's figures are its payees' (migration 0078): PostgreSQL keeps what they add up to as they are written, and refuses at
/// commit a run whose total or count of payees is not theirs, whoever writes it.
/// </summary>
public sealed partial class PaymentRunTests
{
    private Task<string?> TotalsAsync(long runId) => Db.TextAsync("""
        SELECT format('%s payees %s; paid %s %s; failed %s %s', payee_count, total_pence, paid_count, paid_pence, failed_count, failed_pence)
          FROM payment_run_totals WHERE payment_run_id = $1
        """, runId);

    [Fact]
    public async Task ARunsTotals_AreKeptByTheDatabase_AsItsPayeesAreBuilt_Exported_AndConfirmed()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        Assert.Equal("2 payees 70000; paid 0 0; failed 0 0", await TotalsAsync(runId));
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        var version = await Db.TextAsync("SELECT xmin::text FROM payment_run_totals WHERE payment_run_id = $1", runId);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("2 payees 70000; paid 0 0; failed 0 0", await TotalsAsync(runId)); // the payees' references written at export change no figure
        // nor is the row written (migration 0080): a national run's export updates 24,000 payees and leaves the totals alone
        Assert.Equal(version, await Db.TextAsync("SELECT xmin::text FROM payment_run_totals WHERE payment_run_id = $1", runId));

        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        await ImportAsync(x, $"remittance_reference,amount,date,status\nPR{runId:000000}-{urn1},250.00,{Today},failed\n");
        Assert.Equal("2 payees 70000; paid 0 0; failed 1 25000", await TotalsAsync(runId));
        var half = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("exported", "0.00", "250.00"), (half["state"]!.GetValue<string>(), half["paidTotal"]!.GetValue<string>(), half["failedTotal"]!.GetValue<string>()));
        Assert.DoesNotContain("mark-paid", half["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>())); // one payee still to confirm

        await ImportAsync(x, $"remittance_reference,amount,date,status\nPR{runId:000000}-{urn0},450.00,{Today},paid\n");
        Assert.Equal("2 payees 70000; paid 1 45000; failed 1 25000", await TotalsAsync(runId));
        var listed = (await x.Maker.GetAsync(x.Runs)).Expect(HttpStatusCode.OK).Json.AsArray().Single()!;
        Assert.Equal(("paid", "450.00", "250.00", 1),
            (listed["state"]!.GetValue<string>(), listed["paidTotal"]!.GetValue<string>(), listed["failedTotal"]!.GetValue<string>(), listed["failedCount"]!.GetValue<int>()));
    }

    /// <summary>
    /// A script could leave a run whose payment file pays more than the run says, and finance would approve the smaller
    /// figure: a run's total or payee count changed alone, a pending payee's amount changed, a payee moved to another run, or
    /// the totals written by hand are each refused, and nothing of them is written.
    /// </summary>
    [Fact]
    public async Task ARunThatWouldNotPayWhatItSays_IsRefusedByTheDatabase_WhoeverWritesIt()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        var before = await TotalsAsync(runId);

        async Task RefusedAsync(string sql, string expected)
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(sql, runId));
            Assert.Contains(expected, refused.MessageText);
        }
        await RefusedAsync("UPDATE payment_run SET total_pence = total_pence + 1 WHERE id = $1",
            $"payment run {runId} says 2 payees and 70001 pence, but its payees are 2 and 70000 pence");
        await RefusedAsync("UPDATE payment_run SET payee_count = 3 WHERE id = $1", "says 3 payees");
        await RefusedAsync("UPDATE payment_run_payee SET amount_pence = amount_pence + 100 WHERE payment_run_id = $1 AND id = (SELECT min(id) FROM payment_run_payee)",
            "but its payees are 2 and 70100 pence");
        await RefusedAsync("UPDATE payment_run_totals SET paid_count = 1, paid_pence = 100 WHERE payment_run_id = $1", "written only as its payees are");
        await RefusedAsync("DELETE FROM payment_run_totals WHERE payment_run_id = $1", "written only as its payees are");

        // a payee moved to a run of its own: the run it left is short, and the one it joined pays what it does not say
        await RefusedAsync("""
            WITH r AS (INSERT INTO payment_run (programme_id, as_of, total_pence, payee_count, claim_count, built_by)
                       SELECT programme_id, as_of, 1, 1, 1, built_by FROM payment_run WHERE id = $1 RETURNING id)
            UPDATE payment_run_payee SET payment_run_id = (SELECT id FROM r) WHERE payment_run_id = $1 AND id = (SELECT min(id) FROM payment_run_payee)
            """, "that never changes"); // its run, school and reference are the payee's for good (migration 0084)

        Assert.Equal(before, await TotalsAsync(runId));
        Assert.Equal("700.00", (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["total"]!.GetValue<string>());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM payment_run"));
    }

    /// <summary>A database whose run already says other than its payees stops the migration, naming the run: nothing chooses for you.</summary>
    [Fact]
    public async Task TheMigration_StopsOnARunWhoseFiguresAreNotItsPayees_NamingIt()
    {
        await Db.Cluster.CreateDatabaseIfMissingAsync("before_0078");
        await using var data = GrantLedger.Web.Infrastructure.DatabaseEndpoint.CreateDataSource(Db.Cluster.ConnectionString("before_0078"));
        await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!,
            GrantLedger.Web.Infrastructure.Migrator.Embedded().Where(m => m.Version < 78).ToList());
        await data.ExecuteAsync("""
            INSERT INTO programme (code, name, funder) VALUES ('dm', 'Difference Matters', 'Funder');
            INSERT INTO area (programme_id, code, name) SELECT id, 'a', 'A' FROM programme;
            INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES (1, '100001', 'Alpha', 'Primary', 1), (1, '100002', 'Beta', 'Primary', 1);
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id) VALUES ('maker', 'MAKER', 'Maker', 'funder_finance', 1);
            INSERT INTO payment_run (programme_id, as_of, total_pence, payee_count, claim_count, built_by)
            VALUES (1, '2026-10-20', 3000, 2, 2, 1), (1, '2026-10-20', 5000, 1, 1, 1);
            INSERT INTO payment_run_payee (payment_run_id, school_id, amount_pence, remittance_reference)
            VALUES (1, 1, 1000, 'PR000001-100001'), (1, 2, 2000, 'PR000001-100002'), (2, 1, 4000, 'PR000002-100001');
            """);

        var stopped = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!));
        Assert.Equal("payment runs whose total or count of payees is not what their payees add up to: run 2 says 1 payees and 5000 pence, its payees are 1 and 4000 pence",
            stopped.MessageText);
        Assert.Equal(0, await data.ScalarAsync("SELECT count(*) FROM pg_class WHERE relname = 'payment_run_totals'"));

        await data.ExecuteAsync("UPDATE payment_run SET total_pence = 4000 WHERE id = 2");
        Assert.Contains("0078_payment_run_totals.sql", await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!));
        Assert.Equal("1:2:3000|2:1:4000", await data.TextAsync(
            "SELECT string_agg(concat_ws(':', payment_run_id, payee_count, total_pence), '|' ORDER BY payment_run_id) FROM payment_run_totals"));
    }
}

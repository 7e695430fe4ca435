using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>
/// What a careless script with plain SQL could rewrite around the payment runs, found by a review acting as one: PostgreSQL
/// now refuses each (migration 0084), as the service does.
/// </summary>
public sealed partial class PaymentRunTests
{
    private async Task<Npgsql.PostgresException> ScriptRefusedAsync(string sql, params object[] args) =>
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(sql, args));

    /// <summary>
    /// An exported run moves only forward, and its payees keep their school and reference: it had been set back to approved,
    /// or cancelled, its file gone to the bank, and a payee pointed at another school.
    /// </summary>
    [Fact]
    public async Task AnExportedRun_MovesOnlyForward_AndItsPayeesKeepTheirSchoolAndReference_WhateverWritesThem()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        foreach (var state in new[] { "approved", "built", "cancelled" })
            Assert.Contains($"is exported: it cannot become {state}",
                (await ScriptRefusedAsync($"UPDATE payment_run SET state = '{state}' WHERE id = $1", runId)).MessageText);
        Assert.Contains("that never changes", (await ScriptRefusedAsync(
            "UPDATE payment_run_payee SET school_id = (SELECT max(school_id) FROM payment_run_payee WHERE payment_run_id = $1) WHERE id = (SELECT min(id) FROM payment_run_payee WHERE payment_run_id = $1)",
            runId)).MessageText);
        Assert.Contains("that never changes", (await ScriptRefusedAsync(
            "UPDATE payment_run_payee SET remittance_reference = 'PR-X' WHERE payment_run_id = $1", runId)).MessageText);
        Assert.Equal("exported", await Db.TextAsync("SELECT state FROM payment_run WHERE id = $1", runId));
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE payment_run_id = $1 AND status = 'pending'", runId));
    }

    /// <summary>
    /// A run is exported only as it was built, each school paid what its claims in the run approved: one inserted by hand,
    /// with no claims, had been exported by the service as a £5,000,000 payment file. A payee is a school of the run's
    /// programme.
    /// </summary>
    [Fact]
    public async Task ARunWrittenByHand_IsNotExported_AndPaysNoSchoolOfAnotherProgramme()
    {
        var x = await ApprovedAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other");
        var (maker, checker) = (await Db.ScalarAsync("SELECT id FROM app_user WHERE user_name = $1", x.Maker.UserName),
            await Db.ScalarAsync("SELECT id FROM app_user WHERE user_name = $1", x.Checker.UserName));
        // a run and its payee written together, as the run's totals must be
        const string handMade = """
            WITH r AS (INSERT INTO payment_run (programme_id, state, as_of, total_pence, payee_count, claim_count, built_by, approved_by, approved_at)
                       VALUES ($1, 'approved', current_date, 500000000, 1, 1, $2, $3, now()) RETURNING id)
            INSERT INTO payment_run_payee (payment_run_id, school_id, amount_pence, remittance_reference)
            SELECT r.id, $4, 500000000, $5 FROM r RETURNING payment_run_id
            """;
        Assert.Contains("is not a school of payment run", (await ScriptRefusedAsync(handMade, x.W.S.ProgrammeId, maker, checker, other.Schools[0].Id, "PR-HAND-0")).MessageText);
        var runId = await Db.ScalarAsync(handMade, x.W.S.ProgrammeId, maker, checker, x.W.S.Schools[0].Id, "PR-HAND-1");

        var refused = (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).ExpectProblem(HttpStatusCode.Conflict).Body;
        Assert.Contains("does not pay what its claims approved", refused);
        Assert.Equal("approved", await Db.TextAsync("SELECT state FROM payment_run WHERE id = $1", runId));
        Assert.Null(await Db.TextAsync("SELECT encode(file_sha256, 'hex') FROM payment_run WHERE id = $1", runId));
    }
}

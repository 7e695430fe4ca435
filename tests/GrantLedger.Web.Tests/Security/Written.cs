using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// What a refused request must leave as it was: the rows of every ledger, claim, plan and set-up table, the claims'
/// history, the states of claims, plans and payment runs, what each run's payees add up to, the closed half-terms and years, and the money in every
/// account.
/// </summary>
public static class Written
{
    public static async Task<string> FingerprintAsync(DatabaseFixture db)
    {
        var parts = new List<long>();
        foreach (var table in new[] { "journal_entry", "transfer", "account", "claim", "claim_line", "evidence", "action_plan", "action_plan_action",
                     "payment_run", "programme", "area", "school", "budget_category", "rate", "app_user", "allocation", "claim_transition", "year_end_rule" })
            parts.Add(await db.ScalarAsync($"SELECT count(*) FROM {table}"));
        foreach (var table in new[] { "claim", "action_plan", "payment_run" })
            parts.Add(await db.ScalarAsync($"SELECT coalesce(sum(hashtext(id || ':' || state)), 0) FROM {table}"));
        parts.Add(await db.ScalarAsync("SELECT coalesce(sum(hashtext(concat_ws(':', payment_run_id, payee_count, total_pence, paid_count, paid_pence, failed_count, failed_pence))), 0) FROM payment_run_totals"));
        parts.Add(await db.ScalarAsync("SELECT (SELECT count(*) FROM period WHERE closed_at IS NOT NULL) + (SELECT count(*) FROM programme_year WHERE closed_at IS NOT NULL)"));
        parts.Add(await db.ScalarAsync("SELECT coalesce(sum(debits_posted + credits_posted + debits_pending + credits_pending), 0) FROM account"));
        return string.Join(",", parts);
    }
}

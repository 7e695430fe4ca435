namespace GrantLedger.Bench;

/// <summary>
/// The ledger still ties after a benchmark: every stored balance equals the sum of its transfers,
/// the trial balance is zero per unit (posted and pending alike), and no limited account is past
/// its limit. Throws naming what is wrong; returns a line for the report.
/// </summary>
public static class LedgerInvariants
{
    public static async Task<string> VerifyAsync(BenchCluster db, long programmeId)
    {
        var wrong = (long)(await db.Scalar("""
            SELECT count(*) FROM account a
              LEFT JOIN account_balances_as_of($1, 'infinity') b ON b.account_id = a.id
             WHERE a.programme_id = $1
               AND (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                   IS DISTINCT FROM (coalesce(b.debits_posted, 0), coalesce(b.credits_posted, 0),
                                     coalesce(b.debits_pending, 0), coalesce(b.credits_pending, 0))
            """, programmeId))!;
        if (wrong != 0) throw new InvalidOperationException($"{wrong} account balances do not tie to their transfers");
        var unbalanced = (long)(await db.Scalar("""
            SELECT count(*) FROM (
                SELECT unit FROM account WHERE programme_id = $1 GROUP BY unit
                HAVING sum(debits_posted - credits_posted) <> 0 OR sum(debits_pending - credits_pending) <> 0) u
            """, programmeId))!;
        if (unbalanced != 0) throw new InvalidOperationException($"the trial balance is not zero in {unbalanced} unit(s)");
        var overdrawn = (long)(await db.Scalar("""
            SELECT count(*) FROM account WHERE programme_id = $1
               AND ((limit_kind = 'debits_within_credits' AND debits_posted + debits_pending > credits_posted)
                 OR (limit_kind = 'credits_within_debits' AND credits_posted + credits_pending > debits_posted))
            """, programmeId))!;
        if (overdrawn != 0) throw new InvalidOperationException($"{overdrawn} limited accounts are past their limit");
        var accounts = (long)(await db.Scalar("SELECT count(*) FROM account WHERE programme_id = $1", programmeId))!;
        var transfers = (long)(await db.Scalar("SELECT count(*) FROM transfer WHERE programme_id = $1", programmeId))!;
        return $"ledger verified: {accounts:N0} accounts' stored balances tie to their {transfers:N0} transfers; trial balance zero per unit " +
               "(posted and pending); no limited account past its limit";
    }
}

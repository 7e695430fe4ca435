using System.Text.Json;
using GrantLedger.Core.Money;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace GrantLedger.Web.Payments;

/// <summary>
/// Fires a claim trigger on many claims of one payment run at once. Every claim is in the same state
/// and the same programme, so one decision of the declared lifecycle row holds for all of them; the
/// state change and a history row per claim are then written set-wise (a national run has tens of
/// thousands of claims), refusing with 409 if any claim moved meanwhile.
/// </summary>
public static class RunClaims
{
    public static async Task FireAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long runId,
        IReadOnlyList<long> claimIds, ClaimState from, ClaimTrigger trigger, IReadOnlyList<long?>? entryIds, CancellationToken ct)
    {
        if (claimIds.Count == 0) return;
        var step = ClaimWorkflow.Lifecycle.Fire(from, trigger,
            new ClaimContext(new Actor(caller.Id, caller.Role, caller.CanSeeProgramme(programmeId)), 0, null, null, Money.Zero, null));
        var to = Kebab.Of(step.To);
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            WITH moved AS (
                UPDATE claim SET state = @to, updated_at = now(),
                       payment_run_id = CASE WHEN @to = 'approved' THEN NULL ELSE @run END
                 WHERE id = ANY(@ids) AND state = @from AND programme_id = @programme
                RETURNING id)
            INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id, details)
            SELECT m.id, @trigger, @from, @to, @actor, @role, e.entry_id, jsonb_build_object('paymentRunId', @run)
              FROM moved m JOIN unnest(@ids, @entries) AS e(claim_id, entry_id) ON e.claim_id = m.id
            """, conn, tx);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("from", Kebab.Of(from));
        cmd.Parameters.AddWithValue("trigger", Kebab.Of(trigger));
        cmd.Parameters.AddWithValue("run", runId);
        cmd.Parameters.AddWithValue("programme", programmeId);
        cmd.Parameters.AddWithValue("actor", caller.Id);
        cmd.Parameters.AddWithValue("role", caller.Role);
        cmd.Parameters.AddWithValue("ids", claimIds.ToArray());
        cmd.Parameters.Add(new NpgsqlParameter("entries", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
        {
            Value = (entryIds ?? claimIds.Select(_ => (long?)null).ToList()).Select(e => e is null ? (object)DBNull.Value : e.Value).ToArray(),
        });
        var moved = await cmd.ExecuteNonQueryAsync(ct);
        if (moved != claimIds.Count)
            throw new Core.Rules.RuleBroken("claims-changed",
                $"{claimIds.Count - moved} of the run's {claimIds.Count} claims are no longer {Kebab.Of(from)}: someone acted on them meanwhile. Read the run again and retry.", 409);
        // the first thousand ids of each: a national run's confirmations move 24,000 claims, each with its own entry, and each
        // claim's history names its entry
        audit.Record(AuditAction.Of(trigger), runId, programmeId,
            new { from = Kebab.Of(from), to, claims = claimIds.Count, claimIds = claimIds.Take(1000), entryIds = entryIds?.Where(e => e is not null).Distinct().Take(1000) });
    }
}

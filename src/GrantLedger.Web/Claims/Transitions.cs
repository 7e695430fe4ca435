using GrantLedger.Core.Claims;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Moves a claim along its lifecycle (<see cref="ClaimWorkflow"/>): the claim's row is locked, the
/// declared row decides who may and what happens to the ledger, and the state change, its journal
/// entry, its history row and its audit event are written together.
/// </summary>
public static class Transitions
{
    /// <param name="Amount">the sanctioned amount for the line (the whole line when omitted)</param>
    /// <param name="Reason">why the line is approved for less than claimed: required then, refused for a line approved in full</param>
    public sealed record Sanction(long? LineId, Money? Amount, [property: MaxText(MostReason / 2)] string? Reason);

    /// <param name="Reason">return and reject: why the claim is returned or rejected (required; the school reads it); withdraw: why the
    /// school withdrew it (optional, kept in the claim's history)</param>
    /// <param name="Declaration">submit only: submitting confirms the school's declaration</param>
    /// <param name="Lines">approve only: reduced ("sanctioned") amounts per line, each with a reason. Each field is refused (422 naming it)
    /// by a step that does not take it.</param>
    public sealed record Request([property: MaxText(MostReason)] string? Reason, bool? Declaration, List<Sanction>? Lines);

    /// <returns>the claim with its scope, as the transition left it (saved), its history with the transition's row</returns>
    public static async Task<ClaimScope> FireAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, ClaimTrigger trigger,
        Request r, string? ifMatch, CancellationToken ct)
    {
        var who = audit.CurrentActor();
        return await db.InTransactionAsync(async () =>
        {
            var decided = await DecideAsync(db, who, caller, claimId, trigger, r, ifMatch, ct);
            await WriteAsync(db, [decided], ct);
            return decided.Scope;
        }, ct);
    }

    /// <summary>A transition decided on a locked claim and applied to it in memory: what <see cref="WriteAsync"/> writes.</summary>
    internal sealed record Decided(ClaimScope Scope, AuditTrail.Actor Who, CurrentUser Caller, ClaimTrigger Trigger, ClaimState From,
        Transition<ClaimState, ClaimTrigger, ClaimContext> Step, string? Reason, bool LinesChanged, ClaimLedger.Posting? Posting, object Details)
    {
        /// <summary>The lines a submission priced again by the rate in force on their dates.</summary>
        public List<ClaimLine> Repriced { get; init; } = [];
    }

    /// <summary>
    /// Locks the claim, checks the trigger against the lifecycle and the claim's rules, prepares its journal entry and applies
    /// the transition to the claim's entities, in the caller's transaction; nothing is written yet.
    /// </summary>
    /// <param name="who">who acts, as the audit event names them: read in the request's own flow (<see cref="AuditTrail.CurrentActor"/>)</param>
    internal static async Task<Decided> DecideAsync(GrantLedgerDb db, AuditTrail.Actor who, CurrentUser caller, long claimId, ClaimTrigger trigger,
        Request r, string? ifMatch, CancellationToken ct)
    {
        var (readHolds, reserveIds) = LockNeeds(trigger);
        var locked = await ClaimAccess.LockForTransitionAsync(db, caller, claimId, readHolds, reserveIds, ct, readRates: trigger == ClaimTrigger.Submit);
        return await DecideAsync(db, who, caller, locked, trigger, r, ifMatch, ct);
    }

    /// <summary>What a trigger may do to the ledger, by the lifecycle's rows: which of the holds and the entry's ids to read with the lock.</summary>
    internal static (bool ReadHolds, bool ReserveIds) LockNeeds(ClaimTrigger trigger)
    {
        var effects = ClaimWorkflow.Lifecycle.Rows.Where(row => row.Trigger == trigger).Select(row => row.Effect).ToHashSet();
        return (effects.Contains(LedgerEffect.PostHold) || effects.Contains(LedgerEffect.VoidHold), effects.Any(e => e != LedgerEffect.None));
    }

    /// <summary><see cref="DecideAsync(GrantLedgerDb, AuditTrail.Actor, CurrentUser, long, ClaimTrigger, Request, string?, CancellationToken)"/> on a claim already locked.</summary>
    internal static async Task<Decided> DecideAsync(GrantLedgerDb db, AuditTrail.Actor who, CurrentUser caller, LockedClaim locked, ClaimTrigger trigger,
        Request r, string? ifMatch, CancellationToken ct)
    {
        var c = locked.Scope;
        ClaimAccess.CheckVersion(c.Claim, ifMatch);
        var from = c.State;
        var repriced = trigger == ClaimTrigger.Submit && from == ClaimState.Draft ? Reprice(c.Claim, locked.RatesInForce) : [];
        var sanctions = trigger == ClaimTrigger.Approve ? ReadSanctions(c, r.Lines) : null;
        var total = new Money(c.Claim.Lines.Sum(l =>
            sanctions is not null ? (sanctions.TryGetValue(l.Id, out var s) ? s.Amount : l.AmountPence) : l.SanctionedPence ?? l.AmountPence));
        if (FreeText.Problem(r.Reason, MostReason, required: false, manyLines: true) is { } badReason) throw new InvalidInput("reason", badReason);
        var reason = FreeText.Kept(r.Reason);
        // the second-approval threshold applies to the amount claimed, not to what is sanctioned
        var claimed = new Money(c.Claim.Lines.Sum(l => l.AmountPence));
        var step = ClaimWorkflow.Lifecycle.Fire(from, trigger, c.Context(caller, claimed, reason), ClaimReads.BesideSaid(c, caller));
        RefuseWhatTheStepDoesNotTake(trigger, r);
        // a claim approved for nothing stays approved for ever: a payment run leaves out a claim with nothing to pay. Something is
        // money or staff time: a claim whose money is all refused and whose time is approved is approved for its time
        if (step.Effect == LedgerEffect.PostHold || step.To == ClaimState.AwaitingSecondApproval)
            if (!c.Claim.Lines.Any(l => ApprovesSomething(l, sanctions)))
                throw new InvalidInput("lines", $"every line is refused (its money reduced to {Money.Zero}, its staff time released), so the claim " +
                    "would be approved for nothing: reject the claim with the reason instead");

        if (trigger == ClaimTrigger.Submit)
        {
            Drafting.EnsureOpen(c, "no claim can be submitted for it");
            await CheckSubmittableAsync(db, c, r, ct);
        }
        if (sanctions is not null)
            foreach (var line in c.Claim.Lines)
            {
                // a line named without being reduced (its reason is null: ReadSanctions) is approved in full, as one not
                // named is: a line of time alone (£0.00) named so is not approved for nothing, its time released
                var reduced = sanctions.TryGetValue(line.Id, out var s) && s.Reason is not null;
                line.SanctionedPence = reduced ? s.Amount : null;
                line.SanctionReason = reduced ? s.Reason : null;
            }
        var posting = await ClaimLedger.PrepareAsync(db, locked, step.Effect, Kebab.Of(trigger), caller.Id, ct);
        if (step.Effect == LedgerEffect.VoidHold)
            foreach (var line in c.Claim.Lines) (line.MoneyHoldId, line.TimeHoldId, line.SanctionedPence, line.SanctionReason) = (null, null, null, null);
        var details = new { sanctions = sanctions?.Select(s => new { lineId = s.Key, amount = new Money(s.Value.Amount).ToDecimalString(), reason = s.Value.Reason }), total = total.ToDecimalString() };
        Record(c.Claim, caller, trigger, step.To, reason, locked.Now);
        return new Decided(c, who, caller, trigger, from, step, reason, LinesChanged: sanctions is not null || step.Effect != LedgerEffect.None,
            posting, details) { Repriced = repriced };
    }

    /// <summary>
    /// A submission prices each line by the rate in force on its date: a line priced by another (a rate recorded as the line
    /// was added, after the draft's repricing looked) is priced again, in memory; its row is written before the claim leaves draft.
    /// </summary>
    private static List<ClaimLine> Reprice(Claim claim, Dictionary<long, (long Id, long AmountPence, string Basis)> inForce)
    {
        var repriced = new List<ClaimLine>();
        foreach (var line in claim.Lines)
        {
            if (line.RateId is null || !inForce.TryGetValue(line.Id, out var rate) || rate.Id == line.RateId) continue;
            if (!line.PriceBy(rate.Id, rate.AmountPence, rate.Basis))
                throw new InvalidInput($"{LineAt(claim, line.LineNo)}.amount", $"at the rate in force on its date ({new Money(rate.AmountPence)} {Pricing.Per(rate.Basis)}), " +
                    $"line {line.LineNo} would cost more than the most a line may cost (£{Hundredths.MostText}.00): change its time or put it on other lines");
            repriced.Add(line);
        }
        if (repriced.Count > 0 && ClaimTotals.PastTheMost(claim.Lines) is { } total)
            throw new InvalidInput("lines", $"at the rates in force on their dates, the claim's lines would come to {total}, past the most a claim " +
                $"can be (£{Hundredths.MostText}.00): put some of them on another claim");
        return repriced;
    }

    /// <summary>
    /// Writes decided transitions in one round trip, in this order: each one's history row, claim (whose UPDATE books or
    /// releases its staff days as it enters or leaves the held states: migration 0087), lines'
    /// holds and sanctions and audit event; then their journal entries, in one statement (the ledger's checks run once
    /// for them all: docs/performance.md, section 19); and — when the transaction is the work's own — COMMIT. An entry
    /// locks its school's budget accounts until commit and every claim of the school queues on them, so the entries come
    /// last, with ids reserved beforehand for the rows that name them (their keys are checked at commit); every path
    /// takes staff days before accounts, several transitions go in claim order, and the entries' statement locks every
    /// account they move in id order, so two writers cannot deadlock on them (docs/performance.md, hot and http-posting). A
    /// statement that fails (a staff day past a full day, a budget overspent, a TLR claimed twice) stops the ones after
    /// it: nothing is written. One transition's refusal is answered as its rule; several transitions' is thrown as
    /// PostgreSQL's, for the caller to write each alone (<see cref="SubmissionGroups"/>). Every statement but COMMIT
    /// answers rows, so the answers are read in order.
    /// </summary>
    internal static async Task WriteAsync(GrantLedgerDb db, IReadOnlyList<Decided> all, CancellationToken ct)
    {
        var (conn, tx) = await db.NpgsqlAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        var ahead = new int[all.Count];
        for (var k = 0; k < all.Count; k++)
        {
            var (d, claim) = (all[k], all[k].Scope.Claim);
            // lines priced again at submission, while the claim is still a draft (its lines are frozen once it is not: 0049)
            if (d.Repriced.Count > 0)
            {
                batch.BatchCommands.Add(Statements.Of("""
                    UPDATE claim_line l SET rate_id = u.rate, rate_pence = u.pence, rate_basis = u.basis, amount_pence = u.amount
                      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[]) AS u(id, rate, pence, basis, amount)
                     WHERE l.id = u.id AND l.claim_id = $1
                    RETURNING l.id
                    """, claim.Id, d.Repriced.Select(l => l.Id).ToArray(), d.Repriced.Select(l => l.RateId).ToArray(),
                    d.Repriced.Select(l => l.RatePence).ToArray(), d.Repriced.Select(l => l.RateBasis).ToArray(),
                    d.Repriced.Select(l => l.AmountPence).ToArray()));
                ahead[k]++;
            }
            // the history row first: the database refuses a state change without one (migration 0052)
            batch.BatchCommands.Add(Statements.Of("""
                INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, reason, entry_id, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING occurred_at
                """, claim.Id, Kebab.Of(d.Trigger), Kebab.Of(d.From), Kebab.Of(d.Step.To), d.Caller.Id, d.Caller.Role, d.Reason, d.Posting?.EntryId,
                Statements.Jsonb(d.Details)));
            batch.BatchCommands.Add(Statements.Of("""
                UPDATE claim SET state = $2, updated_at = $3, submitted_by = $4, submitted_at = $5, first_approved_by = $6, decided_by = $7,
                                 decided_at = $8, reason = $9
                 WHERE id = $1 RETURNING xmin
                """, claim.Id, claim.State, claim.UpdatedAt, claim.SubmittedBy, claim.SubmittedAt, claim.FirstApprovedBy, claim.DecidedBy,
                claim.DecidedAt, claim.Reason));
            if (d.LinesChanged)
                batch.BatchCommands.Add(Statements.Of("""
                    UPDATE claim_line l SET money_hold_id = u.money, time_hold_id = u.time, sanctioned_pence = u.sanctioned, sanction_reason = u.reason
                      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS u(id, money, time, sanctioned, reason)
                     WHERE l.id = u.id AND l.claim_id = $1
                    RETURNING l.id
                    """, claim.Id, claim.Lines.Select(l => l.Id).ToArray(), claim.Lines.Select(l => l.MoneyHoldId).ToArray(),
                    claim.Lines.Select(l => l.TimeHoldId).ToArray(), claim.Lines.Select(l => l.SanctionedPence).ToArray(),
                    claim.Lines.Select(l => l.SanctionReason).ToArray()));
            AuditTrail.Record(batch, d.Who, AuditAction.Of(d.Trigger), claim.Id, d.Scope.Programme.Id,
                new { from = Kebab.Of(d.From), to = Kebab.Of(d.Step.To), reason = d.Reason, entryId = d.Posting?.EntryId, details = d.Details });
        }
        // every entry in one statement: the ledger checks and applies their transfers at once, locking the accounts in id order
        var postings = all.Where(d => d.Posting is not null).Select(d => (d.Posting!.Draft, d.Posting.Ids)).ToList();
        if (postings.Count > 0) batch.BatchCommands.Add(Journal.Entries(postings));
        var commit = db.MayCommitWithLastStatement;
        if (commit) batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));

        try
        {
            // the reader starts at the first statement's answer; each one read or skipped, it moves to the next
            await using var rows = await batch.ExecuteReaderAsync(ct);
            for (var k = 0; k < all.Count; k++)
            {
                var d = all[k];
                for (var i = 0; i < ahead[k]; i++) await rows.NextResultAsync(ct);
                await rows.ReadAsync(ct);
                d.Scope.AnswerRows!.History.Add(new TransitionView(Kebab.Of(d.Trigger), Kebab.Of(d.From), Kebab.Of(d.Step.To), d.Caller.Id,
                    d.Caller.Role, rows.GetFieldValue<DateTimeOffset>(0), d.Reason, d.Posting?.EntryId));
                await rows.NextResultAsync(ct);
                await rows.ReadAsync(ct);
                d.Scope.Claim.Version = rows.GetFieldValue<uint>(0);
                await rows.NextResultAsync(ct);
                if (d.LinesChanged) await rows.NextResultAsync(ct);
                await rows.NextResultAsync(ct); // past the audit event's id
            }
            // the rest: the entries' rows, and COMMIT's answer (a key checked at commit fails here)
            while (await rows.NextResultAsync(ct)) { }
        }
        catch (PostgresException e) when (all.Count == 1 && Refusal(all[0], e) is { } refusal)
        {
            throw refusal;
        }
        if (commit) db.CommittedWithLastStatement();
    }

    /// <summary>A transition's refusal by the database, said as its rule: a full staff day, its entry's, a TLR or an invoice claimed twice, an action left out of the agreed plan.</summary>
    private static Exception? Refusal(Decided d, PostgresException e) =>
        StaffDays.Refusal(e) ?? (d.Posting is not { } posting ? LedgerRefusals.Translate(e) : ClaimLedger.Refusal(posting, e))
        ?? (Exception?)ClaimedElsewhere(d, e) ?? ActionLeftOut(d, e);

    /// <summary>
    /// The database's refusal of a TLR already claimed for the half-term (GL011, migration 0056) or of an invoice already
    /// claimed for the action (GL015, migration 0071): another claim's submission got there first. Answered as
    /// <see cref="CheckSubmittableAsync"/> answers it when it sees the other claim, keyed by the line's place in the claim's
    /// lines as the API returns them.
    /// </summary>
    private static InvalidInput? ClaimedElsewhere(Decided d, PostgresException e)
    {
        if (e.SqlState is not ("GL011" or "GL015") || e.Detail is not { } detail) return null;
        var lineNo = System.Text.Json.JsonDocument.Parse(detail).RootElement.GetProperty("lineNo").GetInt32();
        var at = LineAt(d.Scope.Claim, lineNo);
        return e.SqlState == "GL011" ? new InvalidInput($"{at}.staffRef", e.MessageText)
            : new InvalidInput($"{at}.invoiceRef", InvoiceClaimed(lineNo, e.MessageText));
    }

    /// <summary>
    /// The database's refusal of a line whose action the school's agreed plan does not have (GL016, migration 0072): a
    /// version leaving it out was agreed while the claim was submitted, after <see cref="CheckSubmittableAsync"/> looked.
    /// Answered as that check answers it.
    /// </summary>
    private static InvalidInput? ActionLeftOut(Decided d, PostgresException e)
    {
        if (e.SqlState != "GL016" || e.Detail is not { } detail) return null;
        var lineNo = System.Text.Json.JsonDocument.Parse(detail).RootElement.GetProperty("lineNo").GetInt32();
        return new InvalidInput($"{LineAt(d.Scope.Claim, lineNo)}.actionId", ActionNotInAgreedPlan(lineNo));
    }

    /// <summary>A line's action left out of the agreed plan, as the service's check and the database's refusal both say it.</summary>
    private static string ActionNotInAgreedPlan(int lineNo) =>
        $"line {lineNo}'s action is no longer in the school's agreed action plan: choose one from the plan in force";

    /// <summary>
    /// A line's errors are keyed by its place in the claim's lines as the API returns them (by number), not by its number:
    /// a claim whose line 3 was deleted has line 6 at lines[4].
    /// </summary>
    private static string LineAt(Claim claim, int lineNo) => $"lines[{claim.Lines.Count(l => l.LineNo < lineNo)}]";

    /// <summary>A submitted line's invoice already claimed, as the service's check and the database's refusal both say it.</summary>
    private static string InvoiceClaimed(int lineNo, string claimed) => $"line {lineNo}: {claimed}; remove it from this claim";

    /// <param name="now">the transaction's time (<see cref="LockedClaim.Now"/>), which the transition's history row takes: the claim
    /// is submitted or decided when its history says, not when the service's clock read, moments (or, for several steps in one
    /// transaction, seconds) later</param>
    private static void Record(Claim claim, CurrentUser caller, ClaimTrigger trigger, ClaimState to, string? reason, DateTimeOffset now)
    {
        claim.State = Kebab.Of(to);
        claim.UpdatedAt = now;
        switch (trigger)
        {
            case ClaimTrigger.Submit:
                (claim.SubmittedBy, claim.SubmittedAt, claim.Reason) = (caller.Id, now, null);
                (claim.FirstApprovedBy, claim.DecidedBy, claim.DecidedAt) = (null, null, null);
                break;
            case ClaimTrigger.Approve when to == ClaimState.AwaitingSecondApproval:
                claim.FirstApprovedBy = caller.Id;
                break;
            case ClaimTrigger.Approve:
                (claim.FirstApprovedBy, claim.DecidedBy, claim.DecidedAt) = (caller.Id, caller.Id, now);
                break;
            case ClaimTrigger.Return or ClaimTrigger.Reject:
                (claim.Reason, claim.DecidedBy, claim.DecidedAt) = (reason, caller.Id, now);
                break;
            case ClaimTrigger.SecondApprove or ClaimTrigger.Withdraw:
                (claim.DecidedBy, claim.DecidedAt) = (caller.Id, now);
                break;
        }
    }

    /// <summary>The longest reason a claim is returned or rejected with (the database's limit; half that for a line's reduction).</summary>
    public const int MostReason = 2000;

    /// <summary>The refusal of a reason for a line approved in full (a line's reason is why it is approved for less).</summary>
    public const string FullLineReason = "a reason is given only for a line approved for less than claimed";

    /// <summary>
    /// Whether the approval approves some of the line: money, or the staff time it draws on an allowance. A line reduced to
    /// £0.00 is refused whole, its time released with its money (<see cref="ClaimLedger"/>).
    /// </summary>
    /// <param name="sanctions">the approval's reductions (<see cref="ReadSanctions"/>); null for a second approval, which approves the first's</param>
    private static bool ApprovesSomething(ClaimLine line, Dictionary<long, (long Amount, string? Reason)>? sanctions)
    {
        var sanctioned = sanctions is null ? line.SanctionedPence
            : sanctions.TryGetValue(line.Id, out var s) && s.Reason is not null ? s.Amount : (long?)null;
        if (sanctioned == 0) return false;
        return (sanctioned ?? line.AmountPence) > 0 || (line.AllowanceCategoryId is not null && line.Minutes is > 0);
    }

    /// <summary>
    /// A field given to a step that does not read it is refused, naming it, rather than dropped: lines sent with a second
    /// approval would approve in full a claim its approver meant to cut, and a reason given with a submission or an approval
    /// would be kept where its reader never sees it. Absent, null, an empty list and a blank reason are taken as
    /// not given.
    /// </summary>
    private static void RefuseWhatTheStepDoesNotTake(ClaimTrigger trigger, Request r)
    {
        var errors = new FieldErrors();
        var step = Kebab.Of(trigger);
        if (r.Lines is { Count: > 0 } && trigger != ClaimTrigger.Approve)
            errors.Add("lines", trigger == ClaimTrigger.SecondApprove
                ? "a second approval approves the amounts the first approval set: leave lines out, or return the claim with the reason to change them"
                : $"only an approval takes amounts per line: leave lines out to {step}");
        if (r.Declaration is not null && trigger != ClaimTrigger.Submit)
            errors.Add("declaration", $"only a submission takes the declaration: leave it out to {step}");
        if (!string.IsNullOrWhiteSpace(r.Reason) && trigger is not (ClaimTrigger.Return or ClaimTrigger.Reject or ClaimTrigger.Withdraw))
            errors.Add("reason", trigger == ClaimTrigger.Approve
                ? "an approval takes no reason for the claim: give one on each line approved for less, in lines"
                : $"only a return, a rejection or a withdrawal takes a reason: leave it out to {step}");
        errors.ThrowIfAny();
    }

    /// <summary>Reduced amounts per line: at most the line's amount, each reduction with a reason, and no reason for a line approved in full.</summary>
    private static Dictionary<long, (long Amount, string? Reason)> ReadSanctions(ClaimScope c, List<Sanction>? given)
    {
        var result = new Dictionary<long, (long, string?)>();
        var errors = new FieldErrors();
        for (var i = 0; i < (given?.Count ?? 0); i++)
        {
            var s = given![i];
            var line = c.Claim.Lines.SingleOrDefault(l => l.Id == s.LineId);
            if (line is null)
            {
                errors.Add($"lines[{i}].lineId", s.LineId is null ? "is required" : $"line {s.LineId} is not a line of this claim");
                continue;
            }
            var amount = s.Amount?.Pence ?? line.AmountPence;
            if (amount < 0 || amount > line.AmountPence)
                errors.Add($"lines[{i}].amount", $"must be between 0.00 and the {new Money(line.AmountPence).ToDecimalString()} claimed on line {line.LineNo}");
            var reduced = amount < line.AmountPence || (line.AmountPence == 0 && s.Amount is not null);
            if (reduced && string.IsNullOrWhiteSpace(s.Reason))
                errors.Add($"lines[{i}].reason", $"give the reason for approving less than was claimed on line {line.LineNo}: the school reads it");
            // a reason is why a line is approved for less: the school reads it so. One sent for a line approved in full is
            // refused, not dropped, or the lead would believe it was kept
            if (!reduced && amount == line.AmountPence && !string.IsNullOrWhiteSpace(s.Reason))
                errors.Add($"lines[{i}].reason", $"{FullLineReason}: line {line.LineNo} is approved for all the {new Money(line.AmountPence).ToDecimalString()} claimed");
            var reason = string.IsNullOrWhiteSpace(s.Reason) ? null : errors.Text($"lines[{i}].reason", s.Reason, MostReason / 2, manyLines: true);
            if (!result.TryAdd(line.Id, (amount, reduced ? reason : null)))
                errors.Add($"lines[{i}].lineId", "appears more than once");
        }
        errors.ThrowIfAny();
        return result;
    }

    /// <summary>The number (ref) of each line's action, by the action's id: read only for lines that need it (none, mostly).</summary>
    internal static async Task<Dictionary<long, int>> ActionRefsAsync(GrantLedgerDb db, IEnumerable<ClaimLine> lines, CancellationToken ct)
    {
        var ids = lines.Where(l => l.ActionId is not null).Select(l => l.ActionId!.Value).Distinct().ToList();
        return ids.Count == 0 ? [] : await db.Set<ActionPlans.ActionPlanAction>().AsNoTracking().Where(a => ids.Contains(a.Id))
            .ToDictionaryAsync(a => a.Id, a => a.ActionRef, ct);
    }

    /// <summary>A TLR already claimed for the half-term, as the service's check and the database's refusal (migration 0087) both say it.</summary>
    internal static string TlrClaimed(string staffRef, string halfTerm, string claimedAs) =>
        $"{staffRef}'s TLR for {halfTerm} is already claimed{(claimedAs == staffRef ? "" : $" (as {claimedAs})")}: it is paid once per half-term";

    private static async Task CheckSubmittableAsync(GrantLedgerDb db, ClaimScope c, Request r, CancellationToken ct)
    {
        var errors = new FieldErrors();
        string At(ClaimLine line) => LineAt(c.Claim, line.LineNo);
        if (c.Claim.Lines.Count == 0) errors.Add("lines", "add at least one line before submitting");
        if (r.Declaration != true)
            errors.Add("declaration", "confirm that the claim is accurate, the costs were incurred for the programme, and the evidence is genuine");
        // evidence and the agreed plan matter only to action-plan lines: read them only for a claim that has some
        var planLines = c.Claim.Lines.Where(l => l.Kind == Kebab.Of(ClaimLineKind.ActionPlan)).ToList();
        var files = planLines.Count == 0 ? [] : await db.Set<Evidence>().Where(e => e.ClaimId == c.Claim.Id && e.ClaimLineId != null)
            .OrderBy(e => e.Id).Select(e => new { LineId = e.ClaimLineId!.Value, e.Sha256, e.FileName }).ToListAsync(ct);
        var evidenced = files.Select(f => f.LineId).ToHashSet();
        var lookups = new LineEditing.Lookups(db, c);
        var plan = planLines.Count == 0 ? null : await lookups.PlanAsync(ct);
        // a line's action is the plan's when its number (ref) is kept in the agreed version: revising the plan gives every
        // action a new id, so a line added under an earlier version names an action the agreed one no longer has by id
        var refs = plan is null ? [] : await lookups.ActionRefsAsync(ct); // read once, with the invoice checks below
        foreach (var line in planLines)
        {
            if (!evidenced.Contains(line.Id))
                errors.Add($"{At(line)}.evidence", $"line {line.LineNo} (action-plan spending) needs its invoice or receipt attached before submitting");
            if (plan is null || plan.Actions.All(a => a.Id != line.ActionId && !(refs.TryGetValue(line.ActionId!.Value, out var kept) && a.ActionRef == kept)))
                errors.Add($"{At(line)}.actionId", ActionNotInAgreedPlan(line.LineNo));
            // a copy of an earlier line (added before an invoice was claimed once per action), or of a line of a claim submitted
            // since this line was added, is not submitted
            if (await lookups.InvoiceClaimedAsync(line, earlierOnly: true, ct) is { } claimed)
                errors.Add($"{At(line)}.invoiceRef", InvoiceClaimed(line.LineNo, claimed));
            // one file on two lines is one invoice split across actions; a line's supplier or invoice changed since would
            // leave one invoice's file supporting another line
            foreach (var file in files.Where(f => f.LineId == line.Id))
            {
                var other = c.Claim.Lines.OrderBy(o => o.LineNo).FirstOrDefault(o => o.LineNo < line.LineNo && !EvidenceFiles.OneInvoice(line, o)
                    && files.Any(f => f.LineId == o.Id && f.Sha256.AsSpan().SequenceEqual(file.Sha256)));
                if (other is not null)
                    errors.Add($"{At(line)}.evidence", $"line {line.LineNo}'s file {file.FileName} is line {other.LineNo}'s too, for another invoice: attach this line's own invoice or receipt");
            }
        }
        foreach (var tlr in c.Claim.Lines.Where(l => l.Kind == Kebab.Of(ClaimLineKind.Tlr)))
        {
            // a line added before a TLR waited for its half-term to begin
            if (LineEditing.TlrNotBegun(c.Period) is { } notBegun) errors.Add($"{At(tlr)}.date", $"line {tlr.LineNo}: {notBegun}");
            // one staff member with or without the hyphen (T-01, T01), as PostgreSQL compares them (migration 0087): its
            // index is on that expression, of the TLR lines ("tlr" written as a constant, so the plan may read it)
            var staff = ClaimLines.StaffKey(tlr.StaffRef!);
            var elsewhere = await db.Set<ClaimLine>().Where(l => l.Kind == "tlr" && l.StaffRef!.Replace("-", "") == staff && l.ClaimId != c.Claim.Id
                && db.Set<Claim>().Any(x => x.Id == l.ClaimId && x.SchoolId == c.Claim.SchoolId && x.PeriodId == c.Claim.PeriodId
                                            && x.State != "draft" && x.State != "rejected" && x.State != "withdrawn"))
                .Select(l => l.StaffRef).FirstOrDefaultAsync(ct);
            var alsoHere = c.Claim.Lines.FirstOrDefault(l => l != tlr && l.Kind == tlr.Kind && l.StaffRef is { } other && ClaimLines.StaffKey(other) == staff)?.StaffRef;
            if ((elsewhere ?? alsoHere) is { } claimedAs)
                errors.Add($"{At(tlr)}.staffRef", TlrClaimed(tlr.StaffRef!, c.Period.Name, claimedAs));
        }
        errors.ThrowIfAny();
    }
}

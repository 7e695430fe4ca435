using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Ledger;

/// <summary>
/// Corrects a posted funding, allocation or virement by a reversing entry that mirrors it and
/// points at it; nothing is edited or deleted. An entry can be reversed once, dated in the year it moved money in, as any
/// entry of the year is (<see cref="BudgetYear.ValueDate(ProgrammeYear, DateOnly?, FieldErrors, string)"/>: today or earlier;
/// none given, today while the year runs and its last day once it has ended), not before the entry it reverses. Dated today
/// after the year ended, it had changed the year's figures as of no day of the year, its year end's among them. Claims and payments
/// move only with the steps of their workflows (a failed payment puts its claims back to approved), not here.
/// </summary>
public static class Reverse
{
    public sealed record Request([property: MaxText(Request.MostReason)] string? Reason, DateOnly? ValueDate)
    {
        public const int MostReason = 500;
    }

    private static readonly string[] Causes = ["funding", "allocation", "virement"];

    /// <summary>Whether an entry of this cause can be reversed here: funding, allocation and virement entries only.</summary>
    public static bool Reversible(string causeType) => Causes.Contains(causeType);

    /// <summary>Why an entry of another cause cannot be reversed here, as the API and the admin's page say it.</summary>
    public static RuleBroken NotReversibleHere(long entryId, string causeType) =>
        new("not-reversible-here",
            $"entry {entryId} records a {causeType.Replace('_', ' ')}: only funding, allocation and virement entries can be reversed; " +
            "the others are posted by the steps of their record's workflow and move only with those steps", 409);

    /// <summary>
    /// The year whose accounts the entry moved money in, with its half-terms (a funding, allocation or virement moves it in
    /// one year), or null: what the reversal is dated in, and refused in once the year is closed, as the reversal page says.
    /// </summary>
    public static async Task<ProgrammeYear?> YearOfAsync(GrantLedgerDb db, long programmeId, IEnumerable<Account> accounts, CancellationToken ct) =>
        accounts.Select(a => a.ProgrammeYearId).FirstOrDefault(y => y is not null) is { } yearId
            ? await Programmes.Years.FindAsync(db, programmeId, yearId, ct)
            : null;

    public static async Task<EntryView> HandleAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long entryId, Request r,
        CancellationToken ct)
    {
        var original = await db.JournalEntries.AsNoTracking().Include(e => e.Transfers).SingleOrDefaultAsync(e => e.Id == entryId, ct)
                       ?? throw new NotFound("journal entry", entryId);
        await Programmes.SetUp.RequireProgrammeAdminAsync(db, caller, original.ProgrammeId, ct);
        if (!Reversible(original.CauseType)) throw NotReversibleHere(entryId, original.CauseType);
        var posted = original.Transfers.Where(t => t.Kind is "posted" or "post_pending")
            .Select(t => new TransferDraft(Units.Parse(t.Unit), t.DebitAccountId, t.CreditAccountId, t.Amount)).ToList();
        // the accounts as people know them, for a refusal to name: PostgreSQL's names an account by its code alone
        var accountIds = posted.SelectMany(t => new[] { t.DebitAccountId, t.CreditAccountId }).Distinct().ToList();
        var accounts = await db.Accounts.AsNoTracking().Where(a => accountIds.Contains(a.Id)).ToListAsync(ct);
        var names = accounts.GroupBy(a => a.Code).ToDictionary(g => g.Key, g => g.First().Name); // a GBP and a MIN account may share a code
        var year = await YearOfAsync(db, original.ProgrammeId, accounts, ct);

        var errors = new FieldErrors();
        var reason = errors.Text("reason", r.Reason, Request.MostReason); // one line: it becomes the entry's description, a line of the hledger and Beancount journals
        const string why = "a reversal takes budget back on the day it is made";
        DateOnly valueDate;
        if (year is { ClosedAt: null } && !(r.ValueDate < original.ValueDate)) valueDate = BudgetYear.ValueDate(year, r.ValueDate, errors, why);
        else // a closed year is refused below, saying so; none: a funding, allocation or virement moves money in a year
        {
            valueDate = r.ValueDate ?? UkTime.Today;
            if (year is null && NotInTheFuture.Refusal(valueDate, UkTime.Today, why) is { } future) errors.Add("valueDate", future);
        }
        if (valueDate < original.ValueDate) errors.Add("valueDate", $"must not be before the entry it reverses, dated {original.ValueDate:d MMMM yyyy}");
        errors.ThrowIfAny();
        if (await db.JournalEntries.AnyAsync(e => e.ReversesEntryId == entryId, ct))
            throw new RuleBroken("already-reversed", $"entry {entryId} has already been reversed", 409);
        // its year closed at its year end, as the reversal page finds it: nothing more moves in it (the ledger's limits refused
        // first, saying the money had since been claimed or moved)
        if (year is { ClosedAt: { } closedAt })
            throw new RuleBroken("period-closed", $"entry {entryId} moved money in {year.Code}, which was closed on {UkTime.Of(closedAt):d MMMM yyyy}: " +
                "nothing more can be reversed in it", 409);
        var draft = EntryDraft.Reversal(original.ProgrammeId, entryId, valueDate, $"Reversal of entry {entryId}: {reason}", caller.Id, posted);
        var entry = await db.InTransactionAsync(async () =>
        {
            var (conn, tx) = await db.NpgsqlAsync(ct);
            PostedEntry result;
            try
            {
                result = await Journal.PostAsync(conn, tx, draft, ct);
            }
            catch (LimitExceeded e)
            {
                throw new RuleBroken("reversal-would-overdraw",
                    $"Reversing entry {entryId} would take {e.Unit.Describe(e.Shortfall)} more from " +
                    (names.GetValueOrDefault(e.Account) is { } name ? $"{name} ({e.Account})" : e.Account) +
                    $" than it has available (the {(e.Unit == Unit.Gbp ? "money" : "staff time")} has since been claimed, reserved or moved).", 422,
                    details: new Dictionary<string, object?>
                    {
                        ["account"] = e.Account, ["accountName"] = names.GetValueOrDefault(e.Account), ["shortfall"] = Amounts.Format(e.Unit, e.Shortfall),
                    });
            }
            audit.Record(AuditAction.EntryReversed, entryId, original.ProgrammeId, new { reason, reversalEntryId = result.EntryId });
            await db.SaveChangesAsync(ct);
            return result;
        }, ct);
        return await LedgerReads.EntryAsync(db, caller, entry.EntryId, ct);
    }
}

using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Programmes;
using Npgsql;

namespace GrantLedger.Web.Claims;

/// <summary>
/// What each claim transition does to the ledger, as one journal entry (cause 'claim'):
/// submit holds every line's money (available → payable) and staff time (available → used) as
/// pending transfers; approval posts them (money for the sanctioned amount, the rest released);
/// return, rejection and withdrawal void them. A hold resolves once: the database sees to it.
/// </summary>
public static class ClaimLedger
{
    /// <summary>
    /// A transition's journal entry, ready to post: its ids are taken beforehand, so the claim's own rows
    /// (the lines' holds, the history row) are written first and the entry's statement, which locks the
    /// school's accounts until commit, is the transaction's last (docs/performance.md, hot).
    /// </summary>
    /// <param name="Explain">turns the ledger's "limit exceeded" into what the claim asked for and what is left</param>
    public sealed record Posting(EntryDraft Draft, ReservedIds Ids, Func<LimitExceeded, RuleBroken>? Explain = null)
    {
        public long EntryId => Ids.EntryId;
    }

    /// <param name="locked">the claim as <see cref="ClaimAccess.LockForTransitionAsync"/> read it: its holds and the ids reserved for the entry</param>
    /// <returns>the entry to post, or null when the transition does not touch the ledger</returns>
    public static async Task<Posting?> PrepareAsync(GrantLedgerDb db, LockedClaim locked, LedgerEffect effect, string trigger, long actorId,
        CancellationToken ct) =>
        effect switch
        {
            LedgerEffect.ReserveHold => await ReserveAsync(db, locked.Scope, actorId, Reserved(locked), ct),
            LedgerEffect.PostHold => Resolve(locked, actorId, post: true, trigger),
            LedgerEffect.VoidHold => Resolve(locked, actorId, post: false, trigger),
            LedgerEffect.None => null,
            _ => throw new InvalidOperationException($"the claims slice does not carry out {effect}"),
        };

    private static ReservedIds Reserved(LockedClaim locked) =>
        locked.Reserved ?? throw new InvalidOperationException("a transition that posts reserves its entry's ids with the claim's lock");

    /// <summary>The first <paramref name="transfers"/> of the ids reserved with the lock (two per line: at most what is needed).</summary>
    private static ReservedIds Take(ReservedIds reserved, int transfers) => new(reserved.EntryId, reserved.TransferIds.Take(transfers).ToList());

    /// <summary>The entry's refusal said as the claim's: "limit exceeded" as what the claim asked for and what is left.</summary>
    public static RuleBroken? Refusal(Posting posting, PostgresException e) =>
        LedgerRefusals.Translate(e) switch
        {
            LimitExceeded limit when posting.Explain is not null => posting.Explain(limit),
            var rule => rule,
        };

    private static async Task<Posting> ReserveAsync(GrantLedgerDb db, ClaimScope c, long actorId, ReservedIds reservedIds, CancellationToken ct)
    {
        var categories = c.Categories;
        var (p, y, s) = (new ProgrammeRef(c.Programme.Id, c.Programme.Code), new YearRef(c.Year.Id, c.Year.Code), BudgetYear.Ref(c.School));

        // (line, money?) pairs in a fixed order, so the reserved transfer ids map back to the lines
        var holds = new List<(ClaimLine Line, bool Money, AccountSpec From, AccountSpec To, long Amount)>();
        foreach (var line in c.Claim.Lines)
        {
            if (line.CategoryId is { } cat && line.AmountPence > 0)
            {
                var category = BudgetYear.Ref(categories[cat]);
                holds.Add((line, true, Chart.Available(p, y, s, category), Chart.Claimed(p, y, s, category), line.AmountPence));
            }
            if (line.AllowanceCategoryId is { } time && line.Minutes is > 0)
            {
                var allowance = BudgetYear.Ref(categories[time]);
                holds.Add((line, false, Chart.Available(p, y, s, allowance), Chart.Claimed(p, y, s, allowance), line.Minutes.Value));
            }
        }
        if (holds.Count == 0) throw new RuleBroken("claim-has-nothing-to-hold", "the claim's lines come to nothing: nothing to submit", 422, "lines");

        var (conn, tx) = await db.NpgsqlAsync(ct);
        var ids = await Accounts.EnsureAsync(conn, tx, c.Programme.Id, holds.SelectMany(h => new[] { h.From, h.To }).ToList(), ct);
        var reserved = Take(reservedIds, holds.Count);
        for (var i = 0; i < holds.Count; i++)
        {
            if (holds[i].Money) holds[i].Line.MoneyHoldId = reserved.TransferIds[i];
            else holds[i].Line.TimeHoldId = reserved.TransferIds[i];
        }
        var draft = Entry(c, actorId, Kebab.Done("submit"),
            holds.Select(h => new TransferDraft(h.From.Unit, ids[h.From], ids[h.To], h.Amount, TransferKind.Pending)).ToList());
        return new Posting(draft, reserved, e =>
            {
                var over = holds.First(h => h.From.Code == e.Account);
                var category = categories[over.From.CategoryId!.Value];
                var asked = holds.Where(h => h.From.Code == e.Account).Sum(h => h.Amount);
                return new RuleBroken("claim-exceeds-available",
                    $"The claim asks for {e.Unit.Describe(asked)} of {category.Name}, but only {e.Unit.Describe(asked - e.Shortfall)} is available " +
                    $"(allocated, less what other claims hold or have spent): it is {e.Unit.Describe(e.Shortfall)} too much.",
                    422, "lines", new Dictionary<string, object?>
                    {
                        ["categoryId"] = category.Id, ["category"] = category.Name, ["unit"] = e.Unit.ToCode(),
                        ["asked"] = Amounts.Format(e.Unit, asked), ["available"] = Amounts.Format(e.Unit, asked - e.Shortfall),
                        ["shortfall"] = Amounts.Format(e.Unit, e.Shortfall),
                    });
            });
    }

    /// <summary>Posts (money for the sanctioned amount; nothing posted is a void) or voids every hold.</summary>
    private static Posting? Resolve(LockedClaim locked, long actorId, bool post, string trigger)
    {
        var (c, held) = (locked.Scope, locked.Holds);
        if (held.Count == 0) return null;
        var transfers = new List<TransferDraft>();
        foreach (var line in c.Claim.Lines)
        {
            // a line sanctioned to nothing is disallowed: its money and its time are both released
            var allowed = post && line.SanctionedPence != 0;
            if (line.MoneyHoldId is { } m)
                transfers.Add(Resolution(held[m], allowed ? line.SanctionedPence ?? line.AmountPence : null));
            if (line.TimeHoldId is { } t)
                transfers.Add(Resolution(held[t], allowed ? held[t].Amount : null));
        }
        return new Posting(Entry(c, actorId, Kebab.Done(trigger) + (post ? "" : ": hold released"), transfers),
            Take(Reserved(locked), transfers.Count));
    }

    private static TransferDraft Resolution(Transfer hold, long? postAmount) =>
        new(Units.Parse(hold.Unit), hold.DebitAccountId, hold.CreditAccountId, postAmount ?? hold.Amount,
            postAmount is null ? TransferKind.VoidPending : TransferKind.PostPending, hold.Id);

    private static EntryDraft Entry(ClaimScope c, long actorId, string what, IReadOnlyList<TransferDraft> transfers) =>
        new(c.Programme.Id, UkTime.Today,
            $"Claim {ClaimAccess.Reference(c.Claim.Id)} {what}: {c.School.Name} ({c.School.Urn}), {Programmes.Years.HalfTerm(c.Period.Name, c.Year.Code)}",
            actorId, CauseType.Claim, c.Claim.Id, transfers);
}

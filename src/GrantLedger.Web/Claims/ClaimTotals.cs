using GrantLedger.Core.Money;

namespace GrantLedger.Web.Claims;

/// <summary>The one bound on a claim's total, wherever its lines are priced: added, changed, imported, repriced by a new rate or at submission.</summary>
public static class ClaimTotals
{
    /// <summary>
    /// The claim's total when it is past the most an amount can be (<see cref="Hundredths.Most"/>, £10,000,000,000.00), or
    /// null: past it, the claim's pages and every sum of its programme's claims could not show it. A line is at most that too.
    /// </summary>
    public static Money? PastTheMost(IEnumerable<ClaimLine> lines)
    {
        var total = lines.Aggregate(Int128.Zero, (sum, l) => sum + l.AmountPence);
        return total > Hundredths.Most ? new Money((long)total) : null;
    }
}

namespace GrantLedger.Core.Claims;

/// <summary>
/// What a claim would leave in one budget category of its school: shown while drafting, with a
/// warning as the category passes 90% used.
/// </summary>
/// <param name="Allocated">all credited to the school's available account (allocations and virements in)</param>
/// <param name="Committed">already reserved by other claims or spent (debits posted and pending)</param>
/// <param name="ThisClaim">what this claim asks for in the category</param>
public sealed record BudgetPreview(long CategoryId, string Unit, long Allocated, long Committed, long ThisClaim)
{
    public const int WarnAtPercent = 90;

    public long AvailableNow => Allocated - Committed;
    public long LeftAfter => AvailableNow - ThisClaim;
    public bool Exceeds => LeftAfter < 0;

    /// <summary>Percentage used once this claim is counted, rounded down; 100 when nothing was allocated but something is asked.</summary>
    public int UsedPercentAfter => Allocated == 0
        ? (Committed + ThisClaim > 0 ? 100 : 0)
        : (int)Math.Min(int.MaxValue, (Committed + ThisClaim) * 100 / Allocated);

    /// <summary>The category would pass 90% used (exactly, on integers).</summary>
    public bool Warning => (Int128)(Committed + ThisClaim) * 100 > (Int128)Allocated * WarnAtPercent;
}

namespace GrantLedger.Core.Money;

/// <summary>Dividing an integer amount so that the parts add up exactly.</summary>
public static class Split
{
    /// <summary>
    /// Splits <paramref name="total"/> into <paramref name="parts"/> equal shares by the
    /// largest-remainder rule: every share is total / parts rounded down, and the units left over
    /// go one each to the first shares. The shares sum to the total and differ by at most one.
    /// </summary>
    public static long[] Evenly(long total, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        var baseShare = total / parts;
        var remainder = total % parts;
        var shares = new long[parts];
        for (var i = 0; i < parts; i++) shares[i] = baseShare + (i < remainder ? 1 : 0);
        return shares;
    }

    /// <summary>
    /// Splits <paramref name="total"/> in proportion to <paramref name="weights"/> by the
    /// largest-remainder (Hamilton) rule: floor each exact share, then hand the units left over to
    /// the shares with the largest fractional remainders (ties to the earlier share).
    /// All arithmetic is on integers (128-bit where products could overflow).
    /// </summary>
    public static long[] ByWeight(long total, IReadOnlyList<long> weights)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        if (weights.Count == 0) throw new ArgumentException("at least one weight is needed", nameof(weights));
        if (weights.Any(w => w < 0)) throw new ArgumentException("weights must not be negative", nameof(weights));
        Int128 sum = 0;
        foreach (var w in weights) sum += w;
        if (sum == 0) throw new ArgumentException("weights must not all be zero", nameof(weights));

        var shares = new long[weights.Count];
        var remainders = new Int128[weights.Count];
        long allocated = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var exact = (Int128)total * weights[i];
            shares[i] = (long)(exact / sum);
            remainders[i] = exact % sum;
            allocated += shares[i];
        }
        var left = total - allocated;
        foreach (var i in Enumerable.Range(0, weights.Count).OrderByDescending(i => remainders[i]).ThenBy(i => i).Take((int)left))
            shares[i]++;
        return shares;
    }
}

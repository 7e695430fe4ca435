namespace GrantLedger.Core.Rules;

/// <summary>
/// A date that says when something was done (the work a claim line claims, the day a virement moved budget) cannot be
/// later than today in the UK (<see cref="Ledger.UkTime.Today"/>): the ledger records what has happened, not what is planned.
/// </summary>
public static class NotInTheFuture
{
    /// <param name="why">what the date is for, as the refusal says it: "claim work once it has been done"</param>
    /// <returns>the refusal of <paramref name="date"/>, or null when it is <paramref name="today"/> or earlier</returns>
    public static string? Refusal(DateOnly date, DateOnly today, string why) => date > today ? $"cannot be in the future: {why}" : null;
}

namespace GrantLedger.Core.Ledger;

/// <summary>
/// The calendar and clock of the programmes' people, all in England: UK time, GMT in winter and BST (UTC+1) from the
/// last Sunday of March to the last Sunday of October. "Today" — the value date an approval is posted on, the as-of date
/// left blank, the future a date may not be in — is the date in the UK, not in UTC: between midnight and one in the
/// morning in summer, UTC's date is still yesterday's. Times shown on pages are UK times. (The API and the exports give
/// moments in UTC, marked Z; stored moments are timestamptz.)
/// </summary>
public static class UkTime
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>Today's date in the UK.</summary>
    public static DateOnly Today => DateOn(DateTimeOffset.UtcNow);

    /// <summary>The UK date at a moment.</summary>
    public static DateOnly DateOn(DateTimeOffset at) => DateOnly.FromDateTime(Of(at).DateTime);

    /// <summary>A moment as a clock in the UK shows it.</summary>
    public static DateTimeOffset Of(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    public static DateTimeOffset? Of(DateTimeOffset? at) => at is { } a ? Of(a) : null;

    /// <summary>The moment a UK date begins (midnight in the UK).</summary>
    public static DateTimeOffset StartOf(DateOnly date) =>
        new(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), Zone));

    /// <summary>
    /// The moment a UK date ends (midnight in the UK, when the next begins): what "as of the end of" a date reads up to.
    /// The calendar's last day, 31 December 9999, has no next: it ends at the last moment there is.
    /// </summary>
    public static DateTimeOffset EndOf(DateOnly date) => date == DateOnly.MaxValue ? DateTimeOffset.MaxValue : StartOf(date.AddDays(1));
}

namespace GrantLedger.Core.Ledger;

public sealed record ProgrammeRef(long Id, string Code);
public sealed record YearRef(long Id, string Code);
public sealed record SchoolRef(long Id, string Urn, string Name);
public sealed record CategoryRef(long Id, string Code, string Name, Unit Unit);

/// <summary>An account as the chart of accounts defines it; created on first use.</summary>
public sealed record AccountSpec(
    string Code, Unit Unit, string Name, NormalSide Side, LimitKind Limit,
    long? YearId = null, long? SchoolId = null, long? CategoryId = null);

/// <summary>
/// The chart of accounts of a programme year. Codes read as paths, so a prefix selects a subtree
/// (all of a school, all of a year) and the journal exports straight into hledger's hierarchy:
/// <code>
/// pins:2025-26:funding                                  debit   what the funder granted (GBP) or the time pool (MIN)
/// pins:2025-26:unallocated                              credit  funded, not yet allocated        (limit)
/// pins:2025-26:lapsed                                   credit  unspent allocation returned at year end
/// pins:2025-26:carried-forward                          credit  unspent allocation carried into the next year
/// pins:2026-27:brought-forward                          debit   what the year before carried in
/// pins:2025-26:school:100123:staff-cover:available      credit  allocated, not yet claimed        (limit)
/// pins:2025-26:school:100123:staff-cover:payable        credit  approved, not yet paid (GBP)      (limit)
/// pins:2025-26:school:100123:staff-cover:paid           credit  paid to the school (GBP)
/// pins:2025-26:school:100123:specialist-days:used       credit  staff time claimed (MIN)
/// </code>
/// Money flows debit → credit: funding → unallocated → available → payable → paid.
/// </summary>
public static class Chart
{
    public static AccountSpec Funding(ProgrammeRef p, YearRef y, Unit unit) =>
        new($"{p.Code}:{y.Code}:funding", unit, $"Funding {y.Code}", NormalSide.Debit, LimitKind.None, y.Id);

    public static AccountSpec Unallocated(ProgrammeRef p, YearRef y, Unit unit) =>
        new($"{p.Code}:{y.Code}:unallocated", unit, $"Unallocated {y.Code}", NormalSide.Credit, LimitKind.DebitsWithinCredits, y.Id);

    public static AccountSpec Lapsed(ProgrammeRef p, YearRef y, Unit unit) =>
        new($"{p.Code}:{y.Code}:lapsed", unit, $"Lapsed at year end {y.Code}", NormalSide.Credit, LimitKind.None, y.Id);

    /// <summary>Unspent allocation of this year carried into the next (credit here, brought forward there).</summary>
    public static AccountSpec CarriedForward(ProgrammeRef p, YearRef y, Unit unit) =>
        new($"{p.Code}:{y.Code}:carried-forward", unit, $"Carried forward from {y.Code}", NormalSide.Credit, LimitKind.None, y.Id);

    /// <summary>What the previous year carried into this one: a source of budget beside the funding.</summary>
    public static AccountSpec BroughtForward(ProgrammeRef p, YearRef y, Unit unit) =>
        new($"{p.Code}:{y.Code}:brought-forward", unit, $"Brought forward into {y.Code}", NormalSide.Debit, LimitKind.None, y.Id);

    public static AccountSpec Available(ProgrammeRef p, YearRef y, SchoolRef s, CategoryRef c) =>
        SchoolAccount(p, y, s, c, "available", "available", LimitKind.DebitsWithinCredits);

    /// <summary>Approved claims not yet paid (money), or staff time used (minutes).</summary>
    public static AccountSpec Claimed(ProgrammeRef p, YearRef y, SchoolRef s, CategoryRef c) =>
        c.Unit == Unit.Gbp
            ? SchoolAccount(p, y, s, c, "payable", "payable", LimitKind.DebitsWithinCredits)
            : SchoolAccount(p, y, s, c, "used", "used", LimitKind.None);

    public static AccountSpec Paid(ProgrammeRef p, YearRef y, SchoolRef s, CategoryRef c) =>
        c.Unit == Unit.Gbp
            ? SchoolAccount(p, y, s, c, "paid", "paid", LimitKind.None)
            : throw new ArgumentException("staff time is used, not paid", nameof(c));

    private static AccountSpec SchoolAccount(ProgrammeRef p, YearRef y, SchoolRef s, CategoryRef c,
        string leaf, string label, LimitKind limit) =>
        new($"{p.Code}:{y.Code}:school:{s.Urn}:{c.Code}:{leaf}", c.Unit, $"{s.Name}: {c.Name} {label} {y.Code}",
            NormalSide.Credit, limit, y.Id, s.Id, c.Id);

    /// <summary>True when <paramref name="code"/> is a valid account path (lower-case segments joined by ':').</summary>
    public static bool IsValidCode(string code) =>
        code.Length is > 0 and <= 200
        && code.Split(':').All(seg => seg.Length > 0 && char.IsAsciiLetterLower(seg[0]) | char.IsAsciiDigit(seg[0])
                                      && seg.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-'));
}

using GrantLedger.Core.Money;

namespace GrantLedger.Web.Claims;

public sealed record PeriodRef(long Id, string Code, string Name, DateOnly StartsOn, DateOnly EndsOn);
public sealed record SchoolSummary(long Id, string Urn, string Name, long AreaId);

/// <param name="Held">the line's money or staff time was reserved in the ledger when its claim was submitted (a pending
/// transfer, <c>pending</c> in the journal): true from submission on, approval posting the reservation rather than ending it;
/// false on a draft, and again once a return, rejection or withdrawal has released it</param>
public sealed record LineView(
    long Id, int LineNo, string Kind, long? CategoryId, string? Category, Money Amount, long? AllowanceCategoryId, string? Allowance,
    long? Minutes, string? StaffRef, string? Role, string? Activity, DateOnly? Date, string? RateBasis, Money? Rate,
    long? ActionId, int? ActionRef, string? Supplier, string? InvoiceRef, string? Description,
    Money? SanctionedAmount, string? SanctionReason, bool Held)
{
    /// <summary>
    /// Whether the line takes staff time from one of the school's allowances, as ClaimLedger holds it: support hours and staff time
    /// paid in money alone give their minutes and take none.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool TakesAllowance => AllowanceCategoryId is not null && Minutes > 0;

    /// <summary>The staff time, in minutes, that lines take from the school's allowances: a claim's allowanceMinutes, and its pages'.</summary>
    public static long AllowanceMinutes(IEnumerable<LineView> lines) => lines.Where(l => l.TakesAllowance).Sum(l => l.Minutes!.Value);
}

/// <param name="AlsoOnClaims">other claims carrying a file with the same SHA-256: the reviewer should look</param>
public sealed record EvidenceView(long Id, long? LineId, string FileName, string ContentType, int SizeBytes, string Sha256,
    DateTimeOffset UploadedAt, IReadOnlyList<long> AlsoOnClaims);

/// <summary>One budget category as this draft would leave it; a warning past 90% used.</summary>
public sealed record BudgetLine(long CategoryId, string Category, string Unit, string Allocated, string Committed, string AvailableNow,
    string ThisClaim, string LeftAfter, int UsedPercentAfter, bool Warning, bool Exceeds);

/// <summary>An action of the school's agreed plan, with what has been claimed and approved against it so far.</summary>
public sealed record PlanActionView(long ActionId, int ActionRef, string Theme, string Description, Money Estimated, Money ClaimedSoFar,
    Money ApprovedSoFar, Money ThisClaim);

public sealed record PlanView(long ActionPlanId, int Version, IReadOnlyList<string> Themes, IReadOnlyList<PlanActionView> Actions);

public sealed record TransitionView(string Trigger, string From, string To, long ActorId, string ActorRole, DateTimeOffset At,
    string? Reason, long? EntryId)
{
    /// <summary>
    /// The payment run of a step a run took (added to it, paid, its payment failed, the run cancelled): a claim paid after
    /// a failed payment has two "add to payment run" steps, which said nothing of which run each was.
    /// </summary>
    public long? PaymentRunId { get; init; }
}

public sealed record ClaimView(
    long Id, string Reference, long ProgrammeId, long YearId, PeriodRef Period, SchoolSummary School, string State, string Description,
    Money Claimed, Money? Sanctioned, long AllowanceMinutes,
    long CreatedBy, DateTimeOffset CreatedAt, long? SubmittedBy, DateTimeOffset? SubmittedAt, long? FirstApprovedBy,
    long? DecidedBy, DateTimeOffset? DecidedAt, string? Reason, long? PaymentRunId,
    IReadOnlyList<LineView> Lines, IReadOnlyList<EvidenceView> Evidence, IReadOnlyList<BudgetLine> Budget, PlanView? Plan,
    IReadOnlyList<TransitionView> History, IReadOnlyList<string> AllowedActions, string ETag)
{
    /// <summary>
    /// The same as allowanceMinutes, by the name the claim gave it first, for the clients that read it (until 5 December 2026 it
    /// counted support hours paid in money too, which take no allowance).
    /// </summary>
    public long ClaimedMinutes => AllowanceMinutes;

    /// <summary>The half-term with its year, "Summer 2 2025-26", as the pages and the claim lists give it (the API gives the year's id).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string HalfTerm { get; init; } = Period.Name;

    /// <summary>A draft whose half-term takes no more claiming from it (<see cref="Drafting.OpenTo"/>): moved to an open one, or deleted.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool HalfTermClosed { get; init; }
}

/// <param name="Reason">why the claim was returned or rejected</param>
/// <param name="LineReasons">why each line approved for less was reduced, in line order</param>
public sealed record ClaimSummary(long Id, string Reference, SchoolSummary School, string Period, string State, Money Claimed,
    Money? Sanctioned, DateTimeOffset? SubmittedAt, string? Reason, int Lines, IReadOnlyList<LineReason> LineReasons)
{
    /// <summary>
    /// The staff time its lines take from the school's allowances, in minutes (reserved on submission), as the pages' lists
    /// give it beside the money: a claim of time alone claims "0.00".
    /// </summary>
    public long AllowanceMinutes { get; init; }

    /// <summary>
    /// The staff time its approval posts, in minutes: <see cref="AllowanceMinutes"/> less the lines approved for nothing,
    /// whose time is released (as Gov.ApprovedLines leaves them out), for the lists' Approved column (not in the API's answer).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore] public long ApprovedMinutes { get; init; }
}

/// <summary>The reviewer's reason for approving less than a line claimed.</summary>
public sealed record LineReason(int LineNo, string Reason);

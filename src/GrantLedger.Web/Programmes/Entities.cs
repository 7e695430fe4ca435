namespace GrantLedger.Web.Programmes;

public sealed class Programme
{
    public long Id { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public required string Funder { get; set; }
    public string Currency { get; set; } = "GBP";
    /// <summary>"borough" (Difference Matters) or "icb" (PINS): what the programme calls its areas.</summary>
    public string AreaKind { get; set; } = "borough";
    public long? SecondApprovalThresholdPence { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class ProgrammeYear
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    /// <summary>The academic year, "2025-26".</summary>
    public required string Code { get; set; }
    public DateOnly StartsOn { get; set; }
    public DateOnly EndsOn { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<Period> Periods { get; set; } = [];
}

/// <summary>A half-term: Autumn 1 … Summer 2.</summary>
public sealed class Period
{
    public long Id { get; set; }
    public long ProgrammeYearId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public DateOnly StartsOn { get; set; }
    public DateOnly EndsOn { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public long? ClosedBy { get; set; }
}

/// <summary>A borough (Difference Matters) or integrated care board (PINS).</summary>
/// <summary>A record of a programme that its admin names, and renames (<see cref="Corrections"/>), while its code stays: an area or a budget category.</summary>
public interface INamedByAdmin
{
    long Id { get; }
    long ProgrammeId { get; }
    string Code { get; }
    string Name { get; set; }
}

public sealed class Area : INamedByAdmin
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A school as enrolled in one programme.</summary>
public sealed class School
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    /// <summary>The DfE Unique Reference Number: six digits.</summary>
    public required string Urn { get; set; }
    public required string Name { get; set; }
    public required string Phase { get; set; }
    public string? LocalAuthority { get; set; }
    public long AreaId { get; set; }
    /// <summary>The school as a supplier in the funder's finance system.</summary>
    public string? PayeeReference { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class BudgetCategory : INamedByAdmin
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    /// <summary>"GBP" for money, "MIN" for a staff-time allowance in minutes.</summary>
    public required string Unit { get; set; }
    public required string Kind { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class CategoryKinds
{
    public const string StaffCover = "staff-cover";
    public const string TlrAdmin = "tlr-admin";
    public const string ActionPlan = "action-plan";
    public const string ProgrammePot = "programme-pot";
    public const string TimeAllowance = "time-allowance";
    public static readonly string[] All = [StaffCover, TlrAdmin, ActionPlan, ProgrammePot, TimeAllowance];
}

namespace GrantLedger.Web.Allocations;

/// <summary>Money (or staff time) granted to a programme year: funding → unallocated.</summary>
public sealed class Funding
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public long ProgrammeYearId { get; set; }
    public required string Unit { get; set; }
    public long Amount { get; set; }
    public required string Reference { get; set; }
    public long? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One instruction allocating budget to schools: unallocated → each school's available.</summary>
public sealed class Allocation
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public long ProgrammeYearId { get; set; }
    /// <summary>"explicit" (amount per school), "split" (one amount shared by the largest-remainder rule) or "each" (the same amount to each school).</summary>
    public required string Method { get; set; }
    public required string Description { get; set; }
    public int LineCount { get; set; }
    public long? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A move of allocated budget between categories or schools: available → available.</summary>
public sealed class Virement
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public long ProgrammeYearId { get; set; }
    public long FromAccountId { get; set; }
    public long ToAccountId { get; set; }
    public required string Unit { get; set; }
    public long Amount { get; set; }
    public required string Reason { get; set; }
    public long? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

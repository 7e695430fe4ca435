using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GrantLedger.Web.Claims;

public sealed class Claim : Access.ISchoolRecord
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public long ProgrammeYearId { get; set; }
    public long PeriodId { get; set; }
    public long SchoolId { get; set; }
    /// <summary>Kebab-case ClaimState: draft, submitted, under-review, …</summary>
    public string State { get; set; } = "draft";
    public string Description { get; set; } = "";
    public long CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long? SubmittedBy { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }
    public long? FirstApprovedBy { get; set; }
    public long? DecidedBy { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? Reason { get; set; }
    public long? PaymentRunId { get; set; }
    /// <summary>PostgreSQL's xmin: changes with every update, so it serves as the ETag.</summary>
    public uint Version { get; set; }
    public List<ClaimLine> Lines { get; set; } = [];
}

public sealed class ClaimLine
{
    /// <summary>Prices the line by a rate: the rate it names and its amount for the line's minutes (or the rate's own for a TLR).</summary>
    /// <returns>false, the line left as it was, when it would cost more than the most a line may cost (Pricing.MostPence)</returns>
    public bool PriceBy(long rateId, long ratePence, string basis)
    {
        if (!GrantLedger.Core.Rules.Pricing.TryPrice(basis, ratePence, Minutes ?? 0, out var pence)) return false;
        (RateId, RatePence, RateBasis, AmountPence) = (rateId, ratePence, basis, pence);
        return true;
    }

    public long Id { get; set; }
    public long ClaimId { get; set; }
    public int LineNo { get; set; }
    public required string Kind { get; set; }
    public long? CategoryId { get; set; }
    public long AmountPence { get; set; }
    public long? AllowanceCategoryId { get; set; }
    public long? Minutes { get; set; }
    public string? StaffRef { get; set; }
    public string? StaffRole { get; set; }
    public string? Activity { get; set; }
    public DateOnly? WorkDate { get; set; }
    public long? RateId { get; set; }
    public long? RatePence { get; set; }
    public string? RateBasis { get; set; }
    public long? ActionId { get; set; }
    public string? Supplier { get; set; }
    public string? InvoiceRef { get; set; }
    public string? Description { get; set; }
    public long? SanctionedPence { get; set; }
    public string? SanctionReason { get; set; }
    public long? MoneyHoldId { get; set; }
    public long? TimeHoldId { get; set; }
}

public sealed class Evidence
{
    public long Id { get; set; }
    public long ClaimId { get; set; }
    public long? ClaimLineId { get; set; }
    public required string FileName { get; set; }
    public required string ContentType { get; set; }
    public int SizeBytes { get; set; }
    public required byte[] Sha256 { get; set; }
    public required byte[] Content { get; set; }
    public long UploadedBy { get; set; }
    public DateTimeOffset UploadedAt { get; set; }
}

public sealed class ClaimTransition
{
    public long Id { get; set; }
    public long ClaimId { get; set; }
    public required string Trigger { get; set; }
    public required string FromState { get; set; }
    public required string ToState { get; set; }
    public long ActorId { get; set; }
    public required string ActorRole { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public string? Reason { get; set; }
    public long? EntryId { get; set; }
    public System.Text.Json.JsonDocument Details { get; set; } = System.Text.Json.JsonDocument.Parse("{}");
}

/// <summary>
/// A claim's half-term, kept by PostgreSQL in a table of its own as claims are drafted and drafts move (migration 0079), so
/// that a half-term's first and last claim are read by an index that a claim's moves never write. Read-only here: see
/// <see cref="ClaimReads.OfHalfTerm"/>.
/// </summary>
public sealed class ClaimHalfTerm
{
    public long ClaimId { get; set; }
    public long PeriodId { get; set; }
}

public sealed class ClaimHalfTermConfiguration : IEntityTypeConfiguration<ClaimHalfTerm>
{
    public void Configure(EntityTypeBuilder<ClaimHalfTerm> b)
    {
        b.ToTable("claim_half_term");
        b.HasKey(h => h.ClaimId);
    }
}

public sealed class ClaimConfiguration : IEntityTypeConfiguration<Claim>
{
    public void Configure(EntityTypeBuilder<Claim> b)
    {
        b.Property(c => c.Version).IsRowVersion().HasColumnName("xmin").HasColumnType("xid");
        b.HasMany(c => c.Lines).WithOne().HasForeignKey(l => l.ClaimId);
    }
}

public sealed class ClaimLineConfiguration : IEntityTypeConfiguration<ClaimLine>
{
    public void Configure(EntityTypeBuilder<ClaimLine> b) => b.ToTable("claim_line");
}

public sealed class EvidenceConfiguration : IEntityTypeConfiguration<Evidence>
{
    public void Configure(EntityTypeBuilder<Evidence> b)
    {
        b.ToTable("evidence");
        b.Property(e => e.UploadedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
    }
}

public sealed class ClaimTransitionConfiguration : IEntityTypeConfiguration<ClaimTransition>
{
    public void Configure(EntityTypeBuilder<ClaimTransition> b) => b.ToTable("claim_transition");
}

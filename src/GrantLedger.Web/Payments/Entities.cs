using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace GrantLedger.Web.Payments;

public sealed class PaymentRun
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    /// <summary>Kebab-case PaymentRunState: built, approved, exported, paid, cancelled.</summary>
    public string State { get; set; } = "built";
    public long? AreaId { get; set; }
    public long? PeriodId { get; set; }
    public DateOnly AsOf { get; set; }
    public long TotalPence { get; set; }
    public int PayeeCount { get; set; }
    public int ClaimCount { get; set; }
    public long BuiltBy { get; set; }
    public DateTimeOffset BuiltAt { get; set; }
    public long? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public long? ExportedBy { get; set; }
    public DateTimeOffset? ExportedAt { get; set; }
    /// <summary>The payment file as it left, in the run's row but read apart from it (<see cref="Payments.PaymentFile"/>): only to download it.</summary>
    public PaymentFile? PaymentFile { get; set; }
    public byte[]? FileSha256 { get; set; }
    public DateTimeOffset? PaidAt { get; set; }
    public long? CancelledBy { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    public string? CancelReason { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public uint RowVersion { get; set; }
    public List<PaymentRunPayee> Payees { get; set; } = [];
    /// <summary>What its payees add up to, kept by PostgreSQL as they are written (migration 0078).</summary>
    public PaymentRunTotals? Totals { get; set; }

    public string Reference => PaymentRuns.Reference(Id);
}

/// <summary>
/// A run's payment file, byte for byte as it left (null until the run is exported): the <c>file</c> column of the run's own
/// row, mapped apart from the run (table splitting) so that reading a run does not read it. A national run's file is 2 MB,
/// and the run's page, its list and the API's views of it were reading it every time to show the rest.
/// </summary>
public sealed class PaymentFile
{
    public long Id { get; set; }
    public byte[]? File { get; set; }
}

public sealed class PaymentRunPayee
{
    public long Id { get; set; }
    public long PaymentRunId { get; set; }
    public long SchoolId { get; set; }
    public long AmountPence { get; set; }
    public required string RemittanceReference { get; set; }
    /// <summary>The school's payee reference as the payment file carried it; null until the run is exported (decision 0017).</summary>
    public string? PayeeReference { get; set; }
    /// <summary>pending (in the run, not yet confirmed), paid, failed, or cancelled (with its run, before export: set by PostgreSQL, migration 0081).</summary>
    public string Status { get; set; } = "pending";
    public DateOnly? PaidOn { get; set; }
    public DateTimeOffset? ConfirmedAt { get; set; }
    public long? ConfirmationId { get; set; }
}

/// <summary>
/// What a run's payees add up to, written only by the triggers on its payees (migration 0078); its payee count and total are
/// the run's at every commit. Read-only here.
/// </summary>
public sealed class PaymentRunTotals
{
    public long PaymentRunId { get; set; }
    public int PayeeCount { get; set; }
    public long TotalPence { get; set; }
    public int PaidCount { get; set; }
    public long PaidPence { get; set; }
    public int FailedCount { get; set; }
    public long FailedPence { get; set; }
}

public sealed class ConfirmationImport
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public required string FileName { get; set; }
    public required byte[] FileSha256 { get; set; }
    public long ImportedBy { get; set; }
    public DateTimeOffset ImportedAt { get; set; }
    public int Paid { get; set; }
    public int Failed { get; set; }
    public int Unchanged { get; set; }
    public int Mismatched { get; set; }
    public System.Text.Json.JsonDocument Report { get; set; } = System.Text.Json.JsonDocument.Parse("{}");
}

public sealed class PaymentRunConfiguration : IEntityTypeConfiguration<PaymentRun>
{
    public void Configure(EntityTypeBuilder<PaymentRun> b)
    {
        b.ToTable("payment_run");
        b.Property(r => r.RowVersion).IsRowVersion().HasColumnName("xmin").HasColumnType("xid");
        b.Ignore(r => r.Reference);
        b.HasMany(r => r.Payees).WithOne().HasForeignKey(p => p.PaymentRunId);
        b.HasOne(r => r.Totals).WithOne().HasForeignKey<PaymentRunTotals>(t => t.PaymentRunId);
        b.HasOne(r => r.PaymentFile).WithOne().HasForeignKey<PaymentFile>(f => f.Id);
    }
}

public sealed class PaymentFileConfiguration : IEntityTypeConfiguration<PaymentFile>
{
    public void Configure(EntityTypeBuilder<PaymentFile> b) => b.ToTable("payment_run");
}

public sealed class PaymentRunTotalsConfiguration : IEntityTypeConfiguration<PaymentRunTotals>
{
    public void Configure(EntityTypeBuilder<PaymentRunTotals> b)
    {
        b.ToTable("payment_run_totals");
        b.HasKey(t => t.PaymentRunId);
    }
}

public sealed class PaymentRunPayeeConfiguration : IEntityTypeConfiguration<PaymentRunPayee>
{
    public void Configure(EntityTypeBuilder<PaymentRunPayee> b) => b.ToTable("payment_run_payee");
}

public sealed class ConfirmationImportConfiguration : IEntityTypeConfiguration<ConfirmationImport>
{
    public void Configure(EntityTypeBuilder<ConfirmationImport> b)
    {
        b.ToTable("payment_confirmation_import");
    }
}

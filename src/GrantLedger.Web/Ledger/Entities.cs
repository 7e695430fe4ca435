namespace GrantLedger.Web.Ledger;

/// <summary>
/// An account and its running totals. Rows are created by <see cref="Accounts"/> and their totals
/// changed only by PostgreSQL as transfers are inserted: EF reads them, never writes them.
/// </summary>
public sealed class Account
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public required string Unit { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public required string NormalSide { get; set; }
    public required string LimitKind { get; set; }
    public long? ProgrammeYearId { get; set; }
    public long? SchoolId { get; set; }
    public long? CategoryId { get; set; }
    public long DebitsPosted { get; set; }
    public long CreditsPosted { get; set; }
    public long DebitsPending { get; set; }
    public long CreditsPending { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class JournalEntry
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    public DateOnly ValueDate { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public required string Description { get; set; }
    public long? ActorId { get; set; }
    public required string CauseType { get; set; }
    public long? CauseId { get; set; }
    public long? ReversesEntryId { get; set; }
    public List<Transfer> Transfers { get; set; } = [];
}

public sealed class Transfer
{
    public long Id { get; set; }
    public long EntryId { get; set; }
    public long ProgrammeId { get; set; }
    public required string Unit { get; set; }
    public long DebitAccountId { get; set; }
    public long CreditAccountId { get; set; }
    public long Amount { get; set; }
    public required string Kind { get; set; }
    public long? PendingId { get; set; }
    public DateOnly ValueDate { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

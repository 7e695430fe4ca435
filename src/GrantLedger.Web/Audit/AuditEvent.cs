using System.Text.Json;

namespace GrantLedger.Web.Audit;

/// <summary>One recorded write: who, when, what, the change, and from where. Append-only.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public long? UserId { get; set; }
    public string? UserName { get; set; }
    public string? Role { get; set; }
    public required string Action { get; set; }
    public required string RecordType { get; set; }
    public long? RecordId { get; set; }
    public long? ProgrammeId { get; set; }
    public JsonDocument Details { get; set; } = JsonDocument.Parse("{}");
    public string? ClientAddress { get; set; }
}

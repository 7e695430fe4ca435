using System.Security.Claims;
using System.Text.Json;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Adds an audit event to the unit of work, so it is written in the same transaction as the change
/// it records: a change without its audit event cannot be committed, nor the reverse.
/// </summary>
public sealed class AuditTrail(GrantLedgerDb db, IHttpContextAccessor http)
{
    /// <summary>Who acts when there is no HTTP request (the command line, demo loading).</summary>
    public CurrentUser? ActingOutsideRequests { get; set; }

    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        JsonSetup.Configure(o);
        return o;
    }

    /// <param name="action">what happened, "record.verb": programme.created, allocation.posted …</param>
    /// <param name="details">the change: the inputs, or before and after</param>
    public AuditEvent Record(string action, string recordType, long? recordId, long? programmeId, object? details = null,
        AppUser? actor = null)
    {
        var principal = http.HttpContext?.User;
        var signedIn = principal?.Identity?.IsAuthenticated == true;
        var e = new AuditEvent
        {
            Action = action,
            RecordType = recordType,
            RecordId = recordId,
            ProgrammeId = programmeId,
            Details = JsonSerializer.SerializeToDocument(details ?? new { }, Json),
            UserId = actor?.Id ?? (signedIn ? long.Parse(principal!.FindFirstValue(ClaimTypes.NameIdentifier)!) : ActingOutsideRequests?.Id),
            UserName = actor?.UserName ?? (signedIn ? principal!.Identity!.Name : ActingOutsideRequests?.UserName),
            Role = actor?.Role ?? (signedIn ? principal!.FindFirstValue(ClaimTypes.Role) : ActingOutsideRequests?.Role),
            ClientAddress = http.HttpContext?.Connection.RemoteIpAddress?.ToString(),
        };
        db.AuditEvents.Add(e);
        return e;
    }
}

using System.Security.Claims;
using System.Text.Json;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Adds an audit event to the unit of work, so it is written in the same transaction as the change
/// it records: a change without its audit event cannot be committed, nor the reverse.
/// </summary>
public sealed class AuditTrail(GrantLedgerDb db, IHttpContextAccessor http, NpgsqlDataSource dataSource)
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

    /// <param name="action">what happened, and to which type of record (the catalogue: <see cref="AuditAction"/>)</param>
    /// <param name="details">the change: the inputs, or before and after</param>
    public AuditEvent Record(AuditAction action, long? recordId, long? programmeId, object? details = null, AppUser? actor = null)
    {
        var e = Event(action, recordId, programmeId, details, actor);
        db.AuditEvents.Add(e);
        return e;
    }

    /// <summary>
    /// Records a refusal, which the trail keeps though the request's writes roll back with it (a payment confirmations file
    /// that cannot be read): written at once on a connection of its own and committed there, whatever becomes of the
    /// request's transaction (an Idempotency-Key's rolls back with the refusal; a page's check rolls back whatever happens).
    /// Each refusal is an event: a retry refused again is another (docs/auditing.md).
    /// </summary>
    public async Task RecordRefusalAsync(AuditAction action, long? recordId, long? programmeId, object details, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        Record(batch, CurrentActor(), action, recordId, programmeId, details);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Adds the event's insert to a batch of hand-written statements that the caller sends in its transaction
    /// (a claim transition's, docs/performance.md): the event is written with them or not at all. Its statement
    /// answers the event's id, as every statement of such a batch answers rows. The actor is read beforehand
    /// (<see cref="CurrentActor"/>), in the request's own flow: a group of submissions is written on another.
    /// </summary>
    public static void Record(NpgsqlBatch batch, Actor who, AuditAction action, long? recordId, long? programmeId, object? details = null) =>
        batch.BatchCommands.Add(Statements.Of("""
            INSERT INTO audit_event (user_id, user_name, role, action, record_type, record_id, programme_id, details, client_address)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """, who.UserId, who.UserName, who.Role, action.Name, action.RecordType, recordId, programmeId, Statements.Jsonb(details ?? new { }, Json),
            who.ClientAddress));

    /// <summary>Who an audit event names.</summary>
    public sealed record Actor(long? UserId, string? UserName, string? Role, string? ClientAddress);

    /// <summary>Who acts now: the request's signed-in user (and address), else whoever acts outside requests.</summary>
    public Actor CurrentActor()
    {
        var (id, name, role, address) = Who(null);
        return new Actor(id, name, role, address);
    }

    private AuditEvent Event(AuditAction action, long? recordId, long? programmeId, object? details, AppUser? actor)
    {
        var who = Who(actor);
        return new AuditEvent
        {
            Action = action.Name,
            RecordType = action.RecordType,
            RecordId = recordId,
            ProgrammeId = programmeId,
            Details = JsonSerializer.SerializeToDocument(details ?? new { }, Json),
            UserId = who.UserId,
            UserName = who.UserName,
            Role = who.Role,
            ClientAddress = who.ClientAddress,
        };
    }

    /// <summary>Who acts: the actor named, else the request's signed-in user, else whoever acts outside requests.</summary>
    private (long? UserId, string? UserName, string? Role, string? ClientAddress) Who(AppUser? actor)
    {
        var principal = http.HttpContext?.User;
        var signedIn = principal?.Identity?.IsAuthenticated == true;
        return (actor?.Id ?? (signedIn ? long.Parse(principal!.FindFirstValue(ClaimTypes.NameIdentifier)!) : ActingOutsideRequests?.Id),
            actor?.UserName ?? (signedIn ? principal!.Identity!.Name : ActingOutsideRequests?.UserName),
            actor?.Role ?? (signedIn ? principal!.FindFirstValue(ClaimTypes.Role) : ActingOutsideRequests?.Role),
            http.HttpContext?.Connection.RemoteIpAddress?.ToString());
    }
}

using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>A claim's complete history: every transition, every ledger line it caused, every evidence file's hash (kept or removed), every audit event.</summary>
public static class ClaimHistory
{
    public sealed record ClaimSummary(long Id, long ProgrammeId, long SchoolId, string SchoolUrn, string Period, string State, string Description);

    /// <param name="PaymentRunId">the payment run of a step a run took (added to it, paid, its payment failed, the run
    /// cancelled), as the claim's own history gives it: a claim paid after a failed payment went through two runs</param>
    public sealed record Transition(long Id, DateTimeOffset OccurredAt, string Trigger, string FromState, string ToState, long ActorId,
        string? Actor, string ActorRole, string? Reason, long? EntryId, long? PaymentRunId);

    public sealed record EvidenceFile(long Id, long? LineId, string FileName, string? ContentType, long? SizeBytes, string Sha256,
        DateTimeOffset? UploadedAt, long? UploadedBy, DateTimeOffset? RemovedAt);

    public sealed record History(ClaimSummary Claim, IReadOnlyList<Transition> Transitions, IReadOnlyList<JournalSearch.Line> LedgerLines,
        IReadOnlyList<EvidenceFile> Evidence, IReadOnlyList<AuditReads.Event> Events);

    public static async Task<History> ReadAsync(GrantLedgerDb db, NpgsqlDataSource dataSource, CurrentUser caller, long claimId, CancellationToken ct)
    {
        var c = await ClaimAccess.FindAsync(db, caller, claimId, ct);
        var transitions = (await db.Set<ClaimTransition>().AsNoTracking().Where(t => t.ClaimId == claimId).OrderBy(t => t.Id)
                .Select(t => new { Row = t, Actor = db.Users.Where(u => u.Id == t.ActorId).Select(u => u.UserName).FirstOrDefault() })
                .ToListAsync(ct))
            .Select(x => new Transition(x.Row.Id, x.Row.OccurredAt, x.Row.Trigger, x.Row.FromState, x.Row.ToState, x.Row.ActorId, x.Actor,
                x.Row.ActorRole, x.Row.Reason, x.Row.EntryId,
                x.Row.Details.RootElement.TryGetProperty("paymentRunId", out var run) && run.ValueKind == System.Text.Json.JsonValueKind.Number ? run.GetInt64() : null))
            .ToList();

        var lines = new List<JournalSearch.Line>();
        var query = new JournalSearch.Query { ProgrammeId = c.Claim.ProgrammeId, ClaimId = claimId };
        await foreach (var line in JournalSearch.LinesAsync(dataSource, caller, query, null, ct)) lines.Add(line);

        var kept = await db.Set<Evidence>().AsNoTracking().Where(e => e.ClaimId == claimId).OrderBy(e => e.Id)
            .Select(e => new EvidenceFile(e.Id, e.ClaimLineId, e.FileName, e.ContentType, e.SizeBytes, Convert.ToHexStringLower(e.Sha256),
                e.UploadedAt, e.UploadedBy, null))
            .ToListAsync(ct);

        var events = (await AuditReads.EventsAsync(dataSource, caller,
            new AuditReads.EventQuery { ProgrammeId = c.Claim.ProgrammeId, RecordType = "claim", RecordId = claimId }, all: true, ct)).Items;
        var evidence = kept.ToList();
        foreach (var attached in events.Where(e => e.Action == AuditAction.ClaimEvidenceAttached.Name))
        {
            var id = attached.Details.GetProperty("evidenceId").GetInt64();
            if (evidence.Any(e => e.Id == id)) continue;
            var removed = events.FirstOrDefault(e => e.Action == AuditAction.ClaimEvidenceRemoved.Name && e.Details.GetProperty("evidenceId").GetInt64() == id);
            var d = attached.Details;
            evidence.Add(new EvidenceFile(id, d.TryGetProperty("lineId", out var l) && l.ValueKind == System.Text.Json.JsonValueKind.Number ? l.GetInt64() : null,
                d.GetProperty("fileName").GetString()!, d.TryGetProperty("type", out var t) ? t.GetString() : null,
                d.TryGetProperty("sizeBytes", out var s) ? s.GetInt64() : null, d.GetProperty("sha256").GetString()!,
                attached.OccurredAt, attached.UserId, removed?.OccurredAt));
        }
        evidence.Sort((a, b) => a.Id.CompareTo(b.Id));

        return new History(new ClaimSummary(claimId, c.Claim.ProgrammeId, c.School.Id, c.School.Urn, c.Period.Code, c.Claim.State, c.Claim.Description),
            transitions, lines, evidence, events);
    }

    public static readonly string[] CsvHeader =
    [
        "section", "id", "at", "user", "action", "from_state", "to_state", "entry_id", "payment_run_id", "debit_account", "credit_account",
        "amount", "unit", "file_name", "sha256", "detail",
    ];

    /// <summary>The history as one timeline, for CSV.</summary>
    public static IEnumerable<IReadOnlyList<string?>> CsvRows(History h)
    {
        foreach (var t in h.Transitions)
            yield return ["transition", S(t.Id), At(t.OccurredAt), t.Actor, t.Trigger, t.FromState, t.ToState, S(t.EntryId), S(t.PaymentRunId),
                null, null, null, null, null, null, t.Reason];
        // an amount and its unit in a column each, as the exports and the journal's CSV write them: "260.00" sums in a spreadsheet, "260.00 GBP" did not
        foreach (var l in h.LedgerLines)
            yield return ["ledger", S(l.TransferId), At(l.RecordedAt), l.Actor, l.Kind, null, null, S(l.EntryId), null, l.DebitAccount, l.CreditAccount,
                l.Amount, l.Unit, null, null, $"{ChainContent.Date(l.ValueDate)} {l.Description}"];
        foreach (var e in h.Evidence)
            yield return ["evidence", S(e.Id), e.UploadedAt is { } u ? At(u) : null, S(e.UploadedBy), e.RemovedAt is null ? "attached" : "removed", null, null,
                null, null, null, null, null, null, e.FileName, e.Sha256, e.RemovedAt is { } r ? "removed " + At(r) : null];
        foreach (var e in h.Events)
            yield return ["event", S(e.Id), At(e.OccurredAt), e.UserName, e.Action, null, null, null, null, null, null, null, null, null, null, e.Details.GetRawText()];
    }

    private static string? S(long? v) => v?.ToString(CultureInfo.InvariantCulture);
    private static string At(DateTimeOffset t) => UtcMomentJsonConverter.Text(t);
}

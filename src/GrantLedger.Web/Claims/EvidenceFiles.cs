using GrantLedger.Core.Claims;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Attaching invoices and receipts to a draft claim (or one of its lines), reading them back, and
/// removing them while the claim is a draft. The type is read from the content; the SHA-256 is kept
/// so that a file already used on another claim can be flagged to the reviewer, and the same file is not
/// attached twice to one claim (<see cref="AlreadyAttached"/>).
/// </summary>
public static class EvidenceFiles
{
    public static async Task<Evidence> AttachAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, long? lineId,
        string? fileName, Stream content, string? ifMatch, CancellationToken ct)
    {
        var bytes = await ReadAtMostAsync(content, EvidenceFile.MaxBytes, ct)
                    ?? throw new InvalidInput("file", $"is larger than {EvidenceFile.MaxBytes / 1024 / 1024} MB");
        if (bytes.Length == 0) throw new InvalidInput("file", "is empty");
        var type = EvidenceFile.Sniff(bytes) ?? throw new InvalidInput("file", "must be a PDF, PNG or JPEG (judged by its content, not its name)");

        return await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            Drafting.EnsureOpen(c, "no evidence can be attached to its claims");
            if (lineId is not null && c.Claim.Lines.All(l => l.Id != lineId))
                throw new InvalidInput("lineId", $"line {lineId} is not a line of this claim");
            var sha256 = EvidenceFile.Sha256(bytes);
            // read with the claim's lock held: two uploads of one file to the claim at once are ordered by it
            var same = await db.Set<Evidence>().AsNoTracking().Where(e => e.ClaimId == claimId && e.Sha256 == sha256).OrderBy(e => e.Id)
                .Select(e => new AttachedFile(e.ClaimLineId, e.FileName)).ToListAsync(ct);
            if (AlreadyAttached(c.Claim, lineId, same) is { } refusal) throw refusal;
            var evidence = new Evidence
            {
                ClaimId = claimId, ClaimLineId = lineId, FileName = EvidenceFile.SafeName(fileName, type), ContentType = type,
                SizeBytes = bytes.Length, Sha256 = sha256, Content = bytes, UploadedBy = caller.Id,
            };
            db.Add(evidence);
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ClaimEvidenceAttached, claimId, c.Programme.Id,
                new { evidenceId = evidence.Id, lineId, evidence.FileName, type, evidence.SizeBytes, sha256 = Convert.ToHexStringLower(evidence.Sha256) });
            await db.SaveChangesAsync(ct);
            return evidence;
        }, ct);
    }

    private sealed record AttachedFile(long? LineId, string FileName);

    /// <summary>
    /// The same file (by its SHA-256) already on the claim refuses another upload of it, for the same line, another line or
    /// the whole claim: a reviewer would see two invoices (409 naming <c>file</c> and where it is). One exception: an invoice
    /// split across actions goes on a line for each (<see cref="LineEditing.Lookups.InvoiceClaimedAsync"/>), and each
    /// action-plan line is submitted only with its invoice attached, so its file is taken once on each line of that invoice
    /// (same supplier and reference, case and surrounding spaces aside). Not a unique index: that split needs one file twice.
    /// </summary>
    private static RuleBroken? AlreadyAttached(Claim claim, long? lineId, IReadOnlyList<AttachedFile> same)
    {
        var line = claim.Lines.FirstOrDefault(l => l.Id == lineId);
        ClaimLine? LineOf(AttachedFile f) => claim.Lines.FirstOrDefault(l => l.Id == f.LineId);
        var there = same.FirstOrDefault(f => line is null || LineOf(f) is not { } other || other == line || !OneInvoice(line, other));
        if (there is null) return null;
        var where = LineOf(there) is { } on ? $"line {on.LineNo}" : "the whole claim";
        return new RuleBroken("evidence-already-attached", $"this file is already attached to the claim as {there.FileName}, for {where}", 409, "file");
    }

    /// <summary>Two action-plan lines of one invoice split across actions: the same supplier and reference, case and spaces aside.</summary>
    internal static bool OneInvoice(ClaimLine a, ClaimLine b)
    {
        static bool Same(string? x, string? y) => x is not null && y is not null && string.Equals(x.Trim(), y.Trim(), StringComparison.OrdinalIgnoreCase);
        var plan = Kebab.Of(ClaimLineKind.ActionPlan);
        return a.Kind == plan && b.Kind == plan && Same(a.Supplier, b.Supplier) && Same(a.InvoiceRef, b.InvoiceRef);
    }

    public static async Task<Evidence> ReadAsync(GrantLedgerDb db, CurrentUser caller, long evidenceId, CancellationToken ct)
    {
        var evidence = await db.Set<Evidence>().AsNoTracking().SingleOrDefaultAsync(e => e.Id == evidenceId, ct)
                       ?? throw new NotFound("evidence", evidenceId);
        await ClaimAccess.FindAsync(db, caller, evidence.ClaimId, ct); // scope: whoever may see the claim
        return evidence;
    }

    /// <param name="ifMatch">the claim's ETag as the caller read it (null: any): 409 stale-version if the claim has changed</param>
    public static async Task RemoveAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long evidenceId, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var evidence = await db.Set<Evidence>().SingleOrDefaultAsync(e => e.Id == evidenceId, ct) ?? throw new NotFound("evidence", evidenceId);
            var c = await ClaimAccess.LockDraftAsync(db, caller, evidence.ClaimId, ifMatch, ct);
            db.Remove(evidence);
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            audit.Record(AuditAction.ClaimEvidenceRemoved, c.Claim.Id, c.Programme.Id,
                new { evidenceId, evidence.FileName, sha256 = Convert.ToHexStringLower(evidence.Sha256) });
            await db.SaveChangesAsync(ct);
        }, ct);

    /// <summary>The stream's bytes, or null when it holds more than <paramref name="limit"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream stream, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

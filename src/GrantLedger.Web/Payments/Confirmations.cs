using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Pages;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Payments;

/// <summary>
/// Imports payment confirmations from the finance system: a CSV with remittance_reference, amount,
/// date and status (paid or failed) per line. A matching paid line posts the payee's claims from
/// payable to paid (one journal entry, dated the payment date) and marks them paid; a failed line
/// returns its claims to approved, for a later run. A line that does not match (unknown reference,
/// another amount, a date in a closed period …) is reported and changes nothing; a line already
/// recorded is left as it is, so importing the same file twice changes nothing the second time. Every file sent is in
/// the audit trail, by its name, size and SHA-256: imported, one that changed nothing, and one refused as it could not
/// be read (no money moves then).
/// </summary>
public static class Confirmations
{
    public sealed record LineOutcome(int Line, string? RemittanceReference, string Result, string? Reason);

    /// <param name="ImportId">the recorded import; null when the file changed nothing</param>
    public sealed record Report(long? ImportId, string Sha256, int Paid, int Failed, int Unchanged, int Mismatched, IReadOnlyList<LineOutcome> Lines);

    private sealed record Row(int Line, string Reference, long Pence, DateOnly Date, string Status);

    /// <summary>The file as each of the import's audit events names it: refused, changed nothing, or imported.</summary>
    private sealed record FileSent(string FileName, string Sha256, int Bytes);

    private static readonly string[] Columns = ["remittance_reference", "amount", "date", "status"];

    /// <summary>"lines 2 and 4", or of a reference on many lines the first few and how many: each of its lines' reasons says it.</summary>
    private static string OnLines(List<int> lines) => lines.Count <= 5
        ? $"lines {string.Join(", ", lines.SkipLast(1))} and {lines[^1]}"
        : $"{Gov.Number(lines.Count)} lines ({string.Join(", ", lines.Take(3))}, … and {lines[^1]})";
    public const int MaxBytes = 20 * 1024 * 1024;

    /// <param name="idempotencyKey">the request's Idempotency-Key, if it carried one: a refusal's event names it</param>
    public static async Task<Report> ImportAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, string fileName,
        Stream content, CancellationToken ct, string? idempotencyKey = null)
    {
        var programme = await db.Programmes.AsNoTracking().SingleOrDefaultAsync(p => p.Id == programmeId, ct) ?? throw new NotFound("programme", programmeId);
        PaymentRuns.EnsureFinance(caller, programmeId);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        var sent = new FileSent(Path.GetFileName(fileName), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length);
        List<Row> rows;
        List<LineOutcome> outcomes;
        try
        {
            if (bytes.Length > MaxBytes) throw new InvalidInput("file", $"is larger than {MaxBytes / 1024 / 1024} MB");
            (rows, outcomes) = await ParseAsync(bytes, ct);
        }
        catch (InvalidInput refused)
        {
            // nothing is read from a file that cannot be, and nothing written but the attempt, for the auditors to see: kept
            // though the request's transaction (an Idempotency-Key's) rolls back with the refusal, and naming the key, so that
            // a retry is told from another file
            await audit.RecordRefusalAsync(AuditAction.ConfirmationsRefused, programmeId, programmeId,
                new { sent.FileName, sent.Sha256, sent.Bytes, reasons = refused.Errors.SelectMany(e => e.Value), idempotencyKey }, ct);
            throw;
        }

        return await db.InTransactionAsync(async () =>
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext('payment_confirmation'), {(int)programmeId})", ct);
            var refs = rows.Select(r => r.Reference).Distinct().ToList();
            var payees = await (from p in db.Set<PaymentRunPayee>()
                                join r in db.Set<PaymentRun>() on p.PaymentRunId equals r.Id
                                where r.ProgrammeId == programmeId && refs.Contains(p.RemittanceReference)
                                select new { Payee = p, Run = r }).ToDictionaryAsync(x => x.Payee.RemittanceReference, ct);
            var closedPeriods = await Programmes.Years.PeriodsInYears(db)
                .Where(h => h.ProgrammeId == programmeId && (h.Period.ClosedAt != null || h.YearClosedAt != null)).ToListAsync(ct);
            var today = UkTime.Today;
            // a payment on more than one line (paid on one and failed on another, or the same line twice: a bank that
            // paid twice?) is for finance to look into: none of its lines is acted on, whatever their order
            var onLines = rows.GroupBy(r => r.Reference).Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => g.Select(r => r.Line).ToList());
            var toPay = new List<(Row Row, PaymentRunPayee Payee, PaymentRun Run)>();
            var toFail = new List<(Row Row, PaymentRunPayee Payee, PaymentRun Run)>();
            foreach (var row in rows)
            {
                string? Mismatch()
                {
                    if (onLines.TryGetValue(row.Reference, out var lines))
                        return $"the remittance reference is on {OnLines(lines)} of the file: nothing is recorded for this payment until a file has it on one line";
                    if (!payees.TryGetValue(row.Reference, out var x)) return "no payment of this programme has this remittance reference";
                    if (x.Run.State is "built" or "approved" or "cancelled") return $"payment run {x.Run.Reference} is {x.Run.State}: only an exported run is paid";
                    if (row.Pence != x.Payee.AmountPence)
                        return $"the amount {new Money(row.Pence)} differs from the {new Money(x.Payee.AmountPence)} in the payment file";
                    if (x.Payee.Status == row.Status) return null;
                    if (x.Payee.Status != "pending") return $"this payment is already confirmed {x.Payee.Status}";
                    if (row.Date > today) return "the date is in the future";
                    if (row.Date < UkTime.DateOn(x.Run.ExportedAt!.Value)) return "the date is before the payment file was exported";
                    if (closedPeriods.FirstOrDefault(h => h.Period.StartsOn <= row.Date && row.Date <= h.Period.EndsOn) is { } closed)
                        return $"the date falls in {closed.HalfTerm}, which is closed";
                    return null;
                }
                var reason = Mismatch();
                if (reason is not null) { outcomes.Add(new LineOutcome(row.Line, row.Reference, "mismatch", reason)); continue; }
                var match = payees[row.Reference];
                if (match.Payee.Status == row.Status) { outcomes.Add(new LineOutcome(row.Line, row.Reference, "unchanged", $"already recorded {row.Status}")); continue; }
                (row.Status == "paid" ? toPay : toFail).Add((row, match.Payee, match.Run));
                outcomes.Add(new LineOutcome(row.Line, row.Reference, row.Status, null));
            }
            outcomes.Sort((a, b) => a.Line.CompareTo(b.Line));
            int Count(string result) => outcomes.Count(o => o.Result == result);
            if (toPay.Count + toFail.Count == 0)
            {
                // nothing to record as an import, but the attempt is the auditors' to see: who sent which file, and why it changed nothing
                audit.Record(AuditAction.ConfirmationsChangedNothing, programmeId, programmeId,
                    new { sent.FileName, sent.Sha256, sent.Bytes, unchanged = Count("unchanged"), mismatched = Count("mismatch"),
                          lines = outcomes.Select(o => new { o.Line, o.RemittanceReference, o.Result, o.Reason }) });
                await db.SaveChangesAsync(ct);
                return new Report(null, sent.Sha256, 0, 0, Count("unchanged"), Count("mismatch"), outcomes);
            }

            var import = new ConfirmationImport
            {
                ProgrammeId = programmeId, FileName = sent.FileName, FileSha256 = Convert.FromHexString(sent.Sha256), ImportedBy = caller.Id,
                Paid = toPay.Count, Failed = toFail.Count, Unchanged = Count("unchanged"), Mismatched = Count("mismatch"),
                Report = JsonSerializer.SerializeToDocument(outcomes),
            };
            db.Add(import);
            await db.SaveChangesAsync(ct);
            var now = await db.NowAsync(ct); // the import's time, and its audit events' and entries'
            foreach (var (row, payee, run) in toPay)
            {
                var claimIds = await ClaimsOfAsync(db, payee, ct);
                var entryId = await PostPaymentAsync(db, caller, programme, run, payee, row.Date, claimIds, ct);
                await RunClaims.FireAsync(db, audit, caller, programmeId, run.Id, claimIds, ClaimState.InPaymentRun, ClaimTrigger.MarkPaid,
                    claimIds.Select(_ => (long?)entryId).ToList(), ct);
                (payee.Status, payee.PaidOn, payee.ConfirmedAt, payee.ConfirmationId) = ("paid", row.Date, now, import.Id);
            }
            foreach (var (_, payee, run) in toFail)
            {
                await RunClaims.FireAsync(db, audit, caller, programmeId, run.Id, await ClaimsOfAsync(db, payee, ct), ClaimState.InPaymentRun,
                    ClaimTrigger.PaymentFailed, null, ct);
                (payee.Status, payee.ConfirmedAt, payee.ConfirmationId) = ("failed", now, import.Id);
            }
            await db.SaveChangesAsync(ct);

            // A run whose every payee is confirmed (paid or failed) is done.
            foreach (var run in toPay.Concat(toFail).Select(x => x.Run).DistinctBy(r => r.Id))
            {
                var payeesOfRun = await db.Set<PaymentRunPayee>().Where(p => p.PaymentRunId == run.Id).ToListAsync(ct);
                var context = new PaymentRunContext(new Actor(caller.Id, caller.Role, true), run.BuiltBy, payeesOfRun.All(p => p.Status != "pending"));
                if (!PaymentRunWorkflow.Lifecycle.PermittedTriggers(PaymentRunState.Exported, context).Contains(PaymentRunTrigger.MarkPaid)) continue;
                PaymentRunWorkflow.Lifecycle.Fire(PaymentRunState.Exported, PaymentRunTrigger.MarkPaid, context);
                (run.State, run.PaidAt, run.UpdatedAt) = ("paid", now, now);
                audit.Record(AuditAction.Of(PaymentRunTrigger.MarkPaid), run.Id, programmeId,
                    new { from = "exported", to = "paid", paid = payeesOfRun.Count(p => p.Status == "paid"), failed = payeesOfRun.Count(p => p.Status == "failed") });
            }
            audit.Record(AuditAction.ConfirmationsImported, import.Id, programmeId,
                new { sent.FileName, sent.Sha256, sent.Bytes, import.Paid, import.Failed, import.Unchanged, import.Mismatched });
            await db.SaveChangesAsync(ct);
            return new Report(import.Id, sent.Sha256, import.Paid, import.Failed, import.Unchanged, import.Mismatched, outcomes);
        }, ct);
    }

    private static Task<List<long>> ClaimsOfAsync(GrantLedgerDb db, PaymentRunPayee payee, CancellationToken ct) =>
        db.Set<Claim>().Where(c => c.PaymentRunId == payee.PaymentRunId && c.SchoolId == payee.SchoolId && c.State == "in-payment-run")
            .OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);

    /// <summary>payable → paid for every approved line of the payee's claims, one transfer per year and category, one entry.</summary>
    private static async Task<long> PostPaymentAsync(GrantLedgerDb db, CurrentUser caller, Programmes.Programme programme, PaymentRun run,
        PaymentRunPayee payee, DateOnly paidOn, List<long> claimIds, CancellationToken ct)
    {
        var lines = await (from l in db.Set<ClaimLine>()
                           join c in db.Set<Claim>() on l.ClaimId equals c.Id
                           where claimIds.Contains(c.Id) && l.CategoryId != null && l.MoneyHoldId != null
                           group l by new { c.ProgrammeYearId, CategoryId = l.CategoryId!.Value } into g
                           select new { g.Key.ProgrammeYearId, g.Key.CategoryId, Pence = g.Sum(l => l.SanctionedPence ?? l.AmountPence) })
            .Where(x => x.Pence > 0).ToListAsync(ct);
        if (lines.Sum(l => l.Pence) != payee.AmountPence)
            throw new RuleBroken("payment-differs",
                $"{payee.RemittanceReference}: the claims now come to {new Money(lines.Sum(l => l.Pence))}, not the {new Money(payee.AmountPence)} paid", 409);
        var school = await db.Schools.AsNoTracking().SingleAsync(s => s.Id == payee.SchoolId, ct);
        var years = await db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == programme.Id).ToDictionaryAsync(y => y.Id, ct);
        var categories = await db.Categories.AsNoTracking().Where(c => c.ProgrammeId == programme.Id).ToDictionaryAsync(c => c.Id, ct);
        var p = new ProgrammeRef(programme.Id, programme.Code);
        var pairs = lines.Select(l =>
        {
            var (y, cat) = (new YearRef(l.ProgrammeYearId, years[l.ProgrammeYearId].Code), BudgetYear.Ref(categories[l.CategoryId]));
            return (From: Chart.Claimed(p, y, BudgetYear.Ref(school), cat), To: Chart.Paid(p, y, BudgetYear.Ref(school), cat), l.Pence);
        }).ToList();
        var (conn, tx) = await db.NpgsqlAsync(ct);
        var ids = await Accounts.EnsureAsync(conn, tx, programme.Id, pairs.SelectMany(x => new[] { x.From, x.To }).ToList(), ct);
        var posted = await Journal.PostAsync(conn, tx, new EntryDraft(programme.Id, paidOn,
            $"Payment {run.Reference} to {school.Name} ({school.Urn}), remittance {payee.RemittanceReference}", caller.Id, CauseType.PaymentRun, run.Id,
            pairs.Select(x => new TransferDraft(Unit.Gbp, ids[x.From], ids[x.To], x.Pence)).ToList()), ct);
        return posted.EntryId;
    }

    private static async Task<(List<Row> Rows, List<LineOutcome> Refused)> ParseAsync(byte[] bytes, CancellationToken ct)
    {
        await using var parser = CsvFiles.Open(bytes, 1 << 16);
        await CsvFiles.ReadHeaderAsync(parser, ct);
        var header = parser.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
        var missing = Columns.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidInput("file", $"is missing the column(s) {string.Join(", ", missing)}: expected a header row {string.Join(",", Columns)}");
        var index = Columns.ToDictionary(c => c, c => parser.Headers[header.IndexOf(c)]);
        var rows = new List<Row>();
        var refused = new List<LineOutcome>();
        while (await CsvFiles.ReadAsync(parser, ct))
        {
            var line = (int)parser.LineNumber;
            if (CsvFiles.RowProblem(parser) is { } problem)
            {
                refused.Add(new LineOutcome(line, null, "mismatch", problem)); // its fields cannot be told apart: nothing is read
                continue;
            }
            string F(string c) => parser.GetString(index[c]).Trim();
            var reference = F("remittance_reference");
            var errors = new List<string>();
            if (reference.Length == 0) errors.Add(RowMessages.Says("remittance_reference", "is required"));
            var amountText = F("amount");
            if (!Money.TryParse(amountText, out var amount, out var amountError, allowGrouping: true))
                errors.Add(RowMessages.Says("amount", amountText.Length == 0 ? "is required" : RowMessages.Amount(amountError)));
            var dateText = F("date");
            if (!CsvFiles.TryDate(dateText, out var date))
                errors.Add(RowMessages.Says("date", dateText.Length == 0 ? "is required" : $"must be {CsvFiles.DateWanted}, not '{dateText}'"));
            var status = F("status").ToLowerInvariant();
            if (status is not ("paid" or "failed"))
                errors.Add(RowMessages.Says("status", status.Length == 0 ? "is required" : $"must be paid or failed, not '{status}'"));
            if (errors.Count > 0) refused.Add(new LineOutcome(line, reference.Length == 0 ? null : reference, "mismatch", string.Join("; ", errors)));
            else rows.Add(new Row(line, reference, amount.Pence, date, status));
        }
        if (rows.Count + refused.Count == 0) throw new InvalidInput("file", "has no lines after the header");
        return (rows, refused);
    }
}

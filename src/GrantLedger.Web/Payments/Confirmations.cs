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
            // the payees, then their runs once each: a row of both carried the run's payment file (2 MB for a national run) with
            // each of its 24,000 payees, 72 s to read
            var found = await db.Set<PaymentRunPayee>().AsNoTracking()
                .Where(p => refs.Contains(p.RemittanceReference) && db.Set<PaymentRun>().Any(r => r.Id == p.PaymentRunId && r.ProgrammeId == programmeId))
                .ToListAsync(ct);
            var runIdsFound = found.Select(p => p.PaymentRunId).Distinct().ToList();
            var runsFound = await db.Set<PaymentRun>().Where(r => runIdsFound.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
            var payees = found.ToDictionary(p => p.RemittanceReference, p => new { Payee = p, Run = runsFound[p.PaymentRunId] });
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
            // every payment of the file at once: a national run's file confirms 24,000 (one payee at a time took 170 s)
            var claimsOf = await ClaimsOfAsync(db, toPay.Concat(toFail).Select(x => x.Payee).ToList(), ct);
            var entries = await PostPaymentsAsync(db, caller, programme, toPay.Select(x => (x.Row.Date, x.Payee, x.Run, claimsOf[(x.Run.Id, x.Payee.SchoolId)])).ToList(), ct);
            foreach (var run in toPay.GroupBy(x => x.Run.Id))
            {
                var paid = run.SelectMany(x => claimsOf[(run.Key, x.Payee.SchoolId)].Select(c => (Claim: c.Id, Entry: (long?)entries[x.Payee.Id]))).ToList();
                await RunClaims.FireAsync(db, audit, caller, programmeId, run.Key, paid.Select(c => c.Claim).ToList(), ClaimState.InPaymentRun, ClaimTrigger.MarkPaid,
                    paid.Select(c => c.Entry).ToList(), ct);
            }
            foreach (var run in toFail.GroupBy(x => x.Run.Id))
                await RunClaims.FireAsync(db, audit, caller, programmeId, run.Key, run.SelectMany(x => claimsOf[(run.Key, x.Payee.SchoolId)].Select(c => c.Id)).ToList(),
                    ClaimState.InPaymentRun, ClaimTrigger.PaymentFailed, null, ct);
            // the payees confirmed, in one statement each way (its trigger adds them to their runs' totals once)
            var recorded = await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE payment_run_payee p SET status = 'paid', paid_on = u.paid_on, confirmed_at = {now}, confirmation_id = {import.Id}
                  FROM unnest({toPay.Select(x => x.Payee.Id).ToArray()}, {toPay.Select(x => x.Row.Date).ToArray()}) AS u(id, paid_on)
                 WHERE p.id = u.id AND p.status = 'pending'
                """, ct) + await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE payment_run_payee SET status = 'failed', confirmed_at = {now}, confirmation_id = {import.Id}
                 WHERE id = ANY({toFail.Select(x => x.Payee.Id).ToArray()}) AND status = 'pending'
                """, ct);
            if (recorded != toPay.Count + toFail.Count) // confirmations are one at a time (the lock above): nothing else confirms a payment
                throw new InvalidOperationException($"{recorded} payments recorded of {toPay.Count + toFail.Count}");

            // A run whose every payee is confirmed (paid or failed) is done: its totals say so (kept by PostgreSQL, migration 0078).
            var runs = toPay.Concat(toFail).Select(x => x.Run).DistinctBy(r => r.Id).ToList();
            var runIds = runs.Select(r => r.Id).ToList();
            var totals = await db.Set<PaymentRunTotals>().AsNoTracking().Where(t => runIds.Contains(t.PaymentRunId)).ToDictionaryAsync(t => t.PaymentRunId, ct);
            foreach (var run in runs)
            {
                var t = totals[run.Id];
                var context = new PaymentRunContext(new Actor(caller.Id, caller.Role, true), run.BuiltBy, t.PaidCount + t.FailedCount == t.PayeeCount);
                if (!PaymentRunWorkflow.Lifecycle.PermittedTriggers(PaymentRunState.Exported, context).Contains(PaymentRunTrigger.MarkPaid)) continue;
                PaymentRunWorkflow.Lifecycle.Fire(PaymentRunState.Exported, PaymentRunTrigger.MarkPaid, context);
                (run.State, run.PaidAt, run.UpdatedAt) = ("paid", now, now);
                audit.Record(AuditAction.Of(PaymentRunTrigger.MarkPaid), run.Id, programmeId, new { from = "exported", to = "paid", paid = t.PaidCount, failed = t.FailedCount });
            }
            audit.Record(AuditAction.ConfirmationsImported, import.Id, programmeId,
                new { sent.FileName, sent.Sha256, sent.Bytes, import.Paid, import.Failed, import.Unchanged, import.Mismatched });
            await db.SaveChangesAsync(ct);
            return new Report(import.Id, sent.Sha256, import.Paid, import.Failed, import.Unchanged, import.Mismatched, outcomes);
        }, ct);
    }

    /// <summary>A claim a payee pays, with its year (its lines' accounts are the year's).</summary>
    private sealed record PaidClaim(long Id, long PaymentRunId, long SchoolId, long ProgrammeYearId);

    /// <summary>The claims each payee pays, by run and school: the run's claims of the school still in the run.</summary>
    private static async Task<IReadOnlyDictionary<(long Run, long School), List<PaidClaim>>> ClaimsOfAsync(GrantLedgerDb db,
        IReadOnlyList<PaymentRunPayee> payees, CancellationToken ct)
    {
        var runIds = payees.Select(p => (long?)p.PaymentRunId).Distinct().ToList();
        var schoolIds = payees.Select(p => p.SchoolId).Distinct().ToList();
        var claims = (await db.Set<Claim>().AsNoTracking()
                .Where(c => runIds.Contains(c.PaymentRunId) && schoolIds.Contains(c.SchoolId) && c.State == "in-payment-run")
                .OrderBy(c => c.Id).Select(c => new PaidClaim(c.Id, c.PaymentRunId!.Value, c.SchoolId, c.ProgrammeYearId)).ToListAsync(ct))
            .ToLookup(c => (c.PaymentRunId, c.SchoolId));
        return payees.ToDictionary(p => (p.PaymentRunId, p.SchoolId), p => claims[(p.PaymentRunId, p.SchoolId)].ToList());
    }

    /// <summary>
    /// Each payment paid: payable → paid for every approved line of the payee's claims, one transfer per year and category, one
    /// entry a payee dated the day it was paid; every entry in one statement, their ids taken first.
    /// </summary>
    /// <returns>each payee's entry, by the payee's id</returns>
    private static async Task<IReadOnlyDictionary<long, long>> PostPaymentsAsync(GrantLedgerDb db, CurrentUser caller, Programmes.Programme programme,
        IReadOnlyList<(DateOnly PaidOn, PaymentRunPayee Payee, PaymentRun Run, List<PaidClaim> Claims)> payments, CancellationToken ct)
    {
        if (payments.Count == 0) return new Dictionary<long, long>();
        var claimIds = payments.SelectMany(p => p.Claims.Select(c => c.Id)).ToList();
        var lines = (await db.Set<ClaimLine>().AsNoTracking()
                .Where(l => claimIds.Contains(l.ClaimId) && l.CategoryId != null && l.MoneyHoldId != null)
                .Select(l => new { l.ClaimId, CategoryId = l.CategoryId!.Value, Pence = l.SanctionedPence ?? l.AmountPence }).ToListAsync(ct))
            .ToLookup(l => l.ClaimId);
        var schoolIds = payments.Select(p => p.Payee.SchoolId).Distinct().ToList();
        var schools = await db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var years = await db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == programme.Id).ToDictionaryAsync(y => y.Id, ct);
        var categories = await db.CategoriesOf(programme.Id).ToDictionaryAsync(c => c.Id, ct);
        var p = new ProgrammeRef(programme.Id, programme.Code);

        var drafts = payments.Select(x =>
        {
            var sums = x.Claims.SelectMany(c => lines[c.Id].Select(l => (Year: c.ProgrammeYearId, l.CategoryId, l.Pence)))
                .GroupBy(l => (l.Year, l.CategoryId)).Select(g => (g.Key.Year, g.Key.CategoryId, Pence: g.Sum(l => l.Pence))).Where(l => l.Pence > 0).ToList();
            if (sums.Sum(l => l.Pence) != x.Payee.AmountPence)
                throw new RuleBroken("payment-differs",
                    $"{x.Payee.RemittanceReference}: the claims now come to {new Money(sums.Sum(l => l.Pence))}, not the {new Money(x.Payee.AmountPence)} paid", 409);
            var school = schools[x.Payee.SchoolId];
            var pairs = sums.Select(l =>
            {
                var (y, cat) = (new YearRef(l.Year, years[l.Year].Code), BudgetYear.Ref(categories[l.CategoryId]));
                return (From: Chart.Claimed(p, y, BudgetYear.Ref(school), cat), To: Chart.Paid(p, y, BudgetYear.Ref(school), cat), l.Pence);
            }).ToList();
            return (x, school, pairs);
        }).ToList();
        var (conn, tx) = await db.NpgsqlAsync(ct);
        var ids = await Accounts.EnsureAsync(conn, tx, programme.Id, drafts.SelectMany(d => d.pairs.SelectMany(x => new[] { x.From, x.To })).ToList(), ct);
        var reserved = await Journal.ReserveAsync(conn, tx, drafts.Select(d => d.pairs.Count).ToList(), ct);
        var entries = drafts.Select((d, i) => (Draft: new EntryDraft(programme.Id, d.x.PaidOn,
                $"Payment {d.x.Run.Reference} to {d.school.Name} ({d.school.Urn}), remittance {d.x.Payee.RemittanceReference}", caller.Id, CauseType.PaymentRun,
                d.x.Run.Id, d.pairs.Select(x => new TransferDraft(Unit.Gbp, ids[x.From], ids[x.To], x.Pence)).ToList()), Ids: reserved[i])).ToList();
        await Journal.PostEntriesAsync(conn, tx, entries, ct);
        return drafts.Select((d, i) => (d.x.Payee.Id, reserved[i].EntryId)).ToDictionary(x => x.Id, x => x.EntryId);
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

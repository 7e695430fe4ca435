using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Payments;

/// <summary>
/// Payment runs (<see cref="PaymentRunWorkflow"/>): built by funder finance from approved claims,
/// approved by a second finance user, exported as the payment file (one line per school), then
/// confirmed payee by payee from the finance system's confirmations. Cancelling before export
/// returns its claims to approved.
/// </summary>
public static class PaymentRuns
{
    /// <param name="AsOf">claims approved on or before this date (today when left out)</param>
    public sealed record NewRun(long? AreaId, long? PeriodId, DateOnly? AsOf);

    public const int MostCancelReason = 1000;

    public const string ReferencePrefix = "PR-";

    public static string Reference(long id) => $"{ReferencePrefix}{id:000000}";

    /// <summary>Paying and closing are the programme's funder finance team's alone.</summary>
    public static void EnsureFinance(CurrentUser caller, long programmeId, string why = "payment runs are the funder finance team's, for their programme")
    {
        if (caller.Role != Roles.FunderFinance || !caller.CanSeeProgramme(programmeId)) throw new Forbidden(why);
    }

    public static async Task<PaymentRun> BuildAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewRun r, CancellationToken ct)
    {
        var programme = await db.Programmes.AsNoTracking().SingleOrDefaultAsync(p => p.Id == programmeId, ct) ?? throw new NotFound("programme", programmeId);
        EnsureFinance(caller, programmeId);
        var errors = new FieldErrors();
        if (r.AreaId is { } areaId && !await db.Areas.AnyAsync(a => a.Id == areaId && a.ProgrammeId == programmeId, ct))
            errors.Add("areaId", $"area {areaId} is not an area of this programme");
        if (r.PeriodId is { } periodId && !await db.Periods.AnyAsync(p => p.Id == periodId && db.ProgrammeYears.Any(y => y.Id == p.ProgrammeYearId && y.ProgrammeId == programmeId), ct))
            errors.Add("periodId", $"half-term {periodId} is not a half-term of this programme");
        var today = UkTime.Today;
        var asOf = r.AsOf ?? today;
        if (Ledger.LedgerReads.AsOfRefusal(asOf) is { } future) errors.Add("asOf", future);
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            // One build per programme at a time, so two runs never take the same claim.
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext('payment_run'), {(int)programmeId})", ct);
            var owed = await Owed(db, programmeId, r.AreaId, r.PeriodId, asOf).OrderBy(x => x.SchoolId).ThenBy(x => x.Id).ToListAsync(ct);
            if (owed.Count == 0)
                throw new RuleBroken("nothing-to-pay", $"No approved claims with money to pay match (approved on or before {asOf.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)}" +
                    (r.AreaId is null ? "" : ", in that area") + (r.PeriodId is null ? "" : ", for that half-term") + ").", 422,
                    await ChoiceToChangeAsync(db, programmeId, r, today, ct));

            var run = new PaymentRun
            {
                ProgrammeId = programmeId, AreaId = r.AreaId, PeriodId = r.PeriodId, AsOf = asOf, BuiltBy = caller.Id,
                TotalPence = owed.Sum(x => x.Pence), ClaimCount = owed.Count, PayeeCount = owed.Select(x => x.SchoolId).Distinct().Count(),
            };
            db.Add(run);
            await db.SaveChangesAsync(ct);
            // One statement for every payee (24,000 at national scale), not one insert each.
            var payees = owed.GroupBy(x => x.SchoolId).Select(g => (School: g.Key, Pence: g.Sum(x => x.Pence))).ToList();
            var schoolIds = payees.Select(p => p.School).ToArray();
            var amounts = payees.Select(p => p.Pence).ToArray();
            var prefix = $"PR{run.Id:000000}-";
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO payment_run_payee (payment_run_id, school_id, amount_pence, remittance_reference)
                SELECT {run.Id}, x.school_id, x.amount, {prefix} || s.urn
                  FROM unnest({schoolIds}, {amounts}) AS x(school_id, amount) JOIN school s ON s.id = x.school_id
                 ORDER BY x.school_id
                """, ct);
            await RunClaims.FireAsync(db, audit, caller, programmeId, run.Id, owed.Select(x => x.Id).ToList(), ClaimState.Approved,
                ClaimTrigger.AddToPaymentRun, null, ct);
            audit.Record(AuditAction.PaymentRunBuilt, run.Id, programmeId,
                new { run.AreaId, run.PeriodId, run.AsOf, total = new Money(run.TotalPence).ToDecimalString(), run.PayeeCount, run.ClaimCount });
            await db.SaveChangesAsync(ct);
            return run;
        }, ct);
    }

    private sealed class Owing
    {
        public long Id { get; init; }
        public long SchoolId { get; init; }
        public long PeriodId { get; init; }
        public long Pence { get; init; }
    }

    /// <summary>
    /// What one area's approved claims of one half-term are owed and in no run yet: what a run for that area and half-term,
    /// built today, would pay.
    /// </summary>
    /// <param name="HalfTerm">as the build form names it: "Autumn 2 2026-27"</param>
    public sealed record OwedRow(long PeriodId, string HalfTerm, long AreaId, string Area, int Claims, int Schools, Money Total);

    /// <summary>What every approved claim no run has taken adds up to: what a run built today with no choice would pay.</summary>
    public sealed record OwedNow(IReadOnlyList<OwedRow> Rows, int Claims, int Schools, Money Total);

    /// <summary>
    /// The programme's approved claims with money to pay that no run has taken, by half-term (oldest first) and area (by
    /// name): what finance has still to pay, as builds would find it today. It reads every such claim's lines, as a build
    /// does: a report, not a page to read on every visit (docs/performance-reads.md).
    /// </summary>
    public static async Task<OwedNow> OwedAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, CancellationToken ct)
    {
        if (!await db.Programmes.AnyAsync(p => p.Id == programmeId, ct)) throw new NotFound("programme", programmeId);
        if (!caller.SeesWholeProgramme(programmeId)) throw new Forbidden("what is owed is read by the programme's finance, admins and auditors");
        // each school's claims of a half-term summed by PostgreSQL, one row each (19,000 at national scale with 21,871 claims
        // owed), then summed by half-term and area here: the schools of each, and of all, counted without reading the claims twice
        var bySchool = await Owed(db, programmeId, null, null, UkTime.Today)
            .Join(db.Schools, o => o.SchoolId, s => s.Id, (o, s) => new { o.PeriodId, s.AreaId, o.SchoolId, o.Pence })
            .GroupBy(x => new { x.PeriodId, x.AreaId, x.SchoolId })
            .Select(g => new { g.Key.PeriodId, g.Key.AreaId, g.Key.SchoolId, Claims = g.Count(), Pence = g.Sum(x => x.Pence) })
            .ToListAsync(ct);
        if (bySchool.Count == 0) return new OwedNow([], 0, 0, Money.Zero);
        var groups = bySchool.GroupBy(x => (x.PeriodId, x.AreaId))
            .Select(g => (g.Key.PeriodId, g.Key.AreaId, Claims: g.Sum(x => x.Claims), Schools: g.Count(), Pence: g.Sum(x => x.Pence)))
            .ToList();
        var schools = bySchool.Select(x => x.SchoolId).Distinct().Count();
        var periodIds = groups.Select(g => g.PeriodId).Distinct().ToList();
        var periods = await db.Periods.Where(p => periodIds.Contains(p.Id))
            .Join(db.ProgrammeYears, p => p.ProgrammeYearId, y => y.Id, (p, y) => new { p.Id, p.Name, p.StartsOn, Year = y.Code })
            .ToDictionaryAsync(p => p.Id, ct);
        var areaIds = groups.Select(g => g.AreaId).Distinct().ToList();
        var areas = await db.Areas.Where(a => areaIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var rows = groups
            .Select(g => new OwedRow(g.PeriodId, Years.HalfTerm(periods[g.PeriodId].Name, periods[g.PeriodId].Year), g.AreaId, areas[g.AreaId], g.Claims, g.Schools,
                new Money(g.Pence)))
            .OrderBy(r => periods[r.PeriodId].StartsOn).ThenBy(r => r.Area, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.AreaId)
            .ToList();
        return new OwedNow(rows, rows.Sum(r => r.Claims), schools, new Money(rows.Sum(r => r.Total.Pence)));
    }

    /// <summary>Whether any approved claim with money to pay waits for a run: it stops at the first it finds.</summary>
    public static Task<bool> AnyOwedAsync(GrantLedgerDb db, long programmeId, CancellationToken ct) =>
        Owed(db, programmeId, null, null, UkTime.Today).AnyAsync(ct);

    /// <summary>The approved claims with money to pay, of the area and half-term when given, approved on or before <paramref name="asOf"/>.</summary>
    private static IQueryable<Owing> Owed(GrantLedgerDb db, long programmeId, long? areaId, long? periodId, DateOnly asOf)
    {
        var until = UkTime.EndOf(asOf);
        // each claim's money summed once, by a lateral join: written in LINQ, its lines were read twice, for the sum and for
        // the filter on it (185 ms against 99 for the 21,871 claims owed at national scale: docs/performance-reads.md)
        var owed = db.Database.SqlQuery<Owing>($"""
            SELECT c.id AS "Id", c.school_id AS "SchoolId", c.period_id AS "PeriodId", o.pence AS "Pence"
              FROM claim c
             CROSS JOIN LATERAL (SELECT COALESCE(sum(COALESCE(l.sanctioned_pence, l.amount_pence)), 0)::bigint AS pence
                                   FROM claim_line l
                                  WHERE l.claim_id = c.id AND l.category_id IS NOT NULL AND l.money_hold_id IS NOT NULL) o
             WHERE c.programme_id = {programmeId} AND c.state = 'approved' AND c.decided_at < {until} AND o.pence > 0
            """);
        if (areaId is not null) owed = owed.Where(x => db.Schools.Any(s => s.Id == x.SchoolId && s.AreaId == areaId));
        if (periodId is not null) owed = owed.Where(x => x.PeriodId == periodId); // among the approved, found by their state
        return owed;
    }

    /// <summary>
    /// The choice to change when nothing matches, for the refusal to name (a page links to it): the half-term, the area or
    /// the date a build chose that, left out alone, would find claims to pay, in that order; else the first of them chosen;
    /// the date when none was (nothing approved is owed at all).
    /// </summary>
    private static async Task<string> ChoiceToChangeAsync(GrantLedgerDb db, long programmeId, NewRun r, DateOnly today, CancellationToken ct)
    {
        var asOf = r.AsOf ?? today;
        var chosen = new List<(string Field, Func<IQueryable<Owing>> Without)>();
        if (r.PeriodId is not null) chosen.Add(("periodId", () => Owed(db, programmeId, r.AreaId, null, asOf)));
        if (r.AreaId is not null) chosen.Add(("areaId", () => Owed(db, programmeId, null, r.PeriodId, asOf)));
        if (r.AsOf is not null) chosen.Add(("asOf", () => Owed(db, programmeId, r.AreaId, r.PeriodId, today)));
        foreach (var (field, without) in chosen)
            if (await without().AnyAsync(ct)) return field;
        return chosen.Count > 0 ? chosen[0].Field : "asOf";
    }

    /// <param name="payees">read the run's payees with it (a page of them is read by <see cref="PaymentReads.PageAsync"/>)</param>
    public static async Task<(PaymentRun Run, Programme Programme)> FindAsync(GrantLedgerDb db, CurrentUser caller, long runId, CancellationToken ct,
        bool forUpdate = false, bool payees = true)
    {
        var query = forUpdate
            ? db.Set<PaymentRun>().FromSqlInterpolated($"SELECT r.*, r.xmin FROM payment_run r WHERE r.id = {runId} FOR UPDATE")
            : db.Set<PaymentRun>().AsNoTracking().Where(r => r.Id == runId); // a read: a national run's 20,000 payees are not tracked for changes
        if (payees || forUpdate) query = query.Include(r => r.Payees);
        var run = await query.SingleOrDefaultAsync(ct) ?? throw new NotFound("payment run", runId);
        if (!caller.SeesWholeProgramme(run.ProgrammeId)) throw new Forbidden("payment runs are seen by their programme's finance, admins and auditors");
        var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Id == run.ProgrammeId, ct);
        run.Payees.Sort((a, b) => a.Id.CompareTo(b.Id));
        return (run, programme);
    }

    /// <summary>
    /// A run with its payment file (null until it is exported): the file is read only here, to download it. Before the export
    /// the file column is null and EF finds no <see cref="PaymentFile"/> in the row (an optional dependent of the run's table).
    /// </summary>
    public static async Task<(PaymentRun Run, byte[]? File)> WithFileAsync(GrantLedgerDb db, CurrentUser caller, long runId, CancellationToken ct)
    {
        var (run, _) = await FindAsync(db, caller, runId, ct, payees: false);
        return (run, await db.Set<PaymentFile>().AsNoTracking().Where(f => f.Id == runId).Select(f => f.File).SingleOrDefaultAsync(ct));
    }

    public static PaymentRunContext Context(PaymentRun run, CurrentUser caller) => Context(run, caller, run.Payees.All(p => p.Status is "paid" or "failed"));

    /// <param name="everyPayeeConfirmed">every payee of the run paid or failed, as its confirmations say</param>
    public static PaymentRunContext Context(PaymentRun run, CurrentUser caller, bool everyPayeeConfirmed) =>
        new(new Actor(caller.Id, caller.Role, caller.CanSeeProgramme(run.ProgrammeId)), run.BuiltBy, everyPayeeConfirmed);

    /// <summary>Approve (a second finance user), or cancel before export (its claims return to approved).</summary>
    public static async Task<PaymentRun> FireAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long runId, PaymentRunTrigger trigger,
        string? reason, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var (run, _) = await FindAsync(db, caller, runId, ct, forUpdate: true);
            RowVersions.Check("payment run", run.RowVersion, ifMatch);
            var from = Kebab.Parse<PaymentRunState>(run.State);
            var step = PaymentRunWorkflow.Lifecycle.Fire(from, trigger, Context(run, caller));
            var now = await db.NowAsync(ct); // the time of the run's audit event, and of its claims' steps
            switch (trigger)
            {
                case PaymentRunTrigger.Approve:
                    (run.ApprovedBy, run.ApprovedAt) = (caller.Id, now);
                    break;
                case PaymentRunTrigger.Cancel:
                    if (FreeText.Problem(reason, MostCancelReason, manyLines: true) is { } badReason)
                        throw new InvalidInput("reason", reason is null || badReason == "is required" ? "say why the run is cancelled" : badReason);
                    reason = FreeText.Kept(reason); // as the run keeps it, and the audit trail with it
                    (run.CancelledBy, run.CancelledAt, run.CancelReason) = (caller.Id, now, reason);
                    var claimIds = await db.Set<Claim>().Where(c => c.PaymentRunId == run.Id && c.State == "in-payment-run").Select(c => c.Id).ToListAsync(ct);
                    await RunClaims.FireAsync(db, audit, caller, run.ProgrammeId, run.Id, claimIds, ClaimState.InPaymentRun, ClaimTrigger.RemoveFromPaymentRun, null, ct);
                    break;
                default:
                    throw new InvalidOperationException($"{Kebab.Of(trigger)} is fired by exporting or by confirmations");
            }
            run.State = Kebab.Of(step.To);
            run.UpdatedAt = now;
            audit.Record(AuditAction.Of(trigger), run.Id, run.ProgrammeId, new { from = Kebab.Of(from), to = run.State, reason });
            await db.SaveChangesAsync(ct);
            return run;
        }, ct);

    /// <summary>Writes the payment file and marks the run exported: from now the file is kept exactly as it left.</summary>
    public static async Task<PaymentRun> ExportAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long runId, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var (run, _) = await FindAsync(db, caller, runId, ct, forUpdate: true);
            RowVersions.Check("payment run", run.RowVersion, ifMatch);
            var from = Kebab.Parse<PaymentRunState>(run.State);
            var step = PaymentRunWorkflow.Lifecycle.Fire(from, PaymentRunTrigger.Export, Context(run, caller));
            var file = await PaymentFileAsync(db, run, ct);
            await db.SaveChangesAsync(ct); // each payee's reference as the file carries it, before the run is marked exported
            var now = await db.NowAsync(ct); // the time of the run's audit event
            (run.PaymentFile, run.FileSha256, run.ExportedBy, run.ExportedAt) = (new PaymentFile { Id = run.Id, File = file }, SHA256.HashData(file), caller.Id, now);
            run.State = Kebab.Of(step.To);
            run.UpdatedAt = now;
            audit.Record(AuditAction.Of(PaymentRunTrigger.Export), run.Id, run.ProgrammeId,
                new { from = Kebab.Of(from), to = run.State, sha256 = Convert.ToHexStringLower(run.FileSha256), bytes = file.Length });
            await db.SaveChangesAsync(ct);
            return run;
        }, ct);

    public const string FileHeader = "record_type,run_reference,payee_urn,payee_name,payee_reference,amount,remittance_reference,remittance_claims,line_count";

    /// <summary>
    /// The payment file: a D line per payee (school URN, its supplier reference in the finance system,
    /// the amount, the remittance reference and the claims it pays), then a T line with the control
    /// total and the number of D lines. Every school must have its payee reference: the one it has now, when the file is
    /// written, whenever the run was built or approved. Each payee keeps the reference written for it, for the run's page
    /// and API to say after the school's reference changes.
    /// </summary>
    private static async Task<byte[]> PaymentFileAsync(GrantLedgerDb db, PaymentRun run, CancellationToken ct)
    {
        var schoolIds = run.Payees.Select(p => p.SchoolId).ToList();
        var schools = await db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var missing = run.Payees.Select(p => schools[p.SchoolId]).Where(s => PayeeReferences.Normalised(s.PayeeReference) is null).ToList();
        if (missing.Count > 0)
            throw new RuleBroken("payee-reference-missing",
                $"{missing.Count} school(s) paid by this run have no payee reference (their account in the finance system), so the file cannot be written: " +
                string.Join("; ", missing.Take(20).Select(s => $"{s.Urn} {s.Name} ({PayeeReferences.HowToSet(s.Id)})")) + (missing.Count > 20 ? " …" : "") +
                ". A programme admin of this programme sets each one with that request (body {\"payeeReference\": \"…\"}); " +
                "the run stays approved: export it again once they have, and the file carries the references in force then.", 422, "payeeReference",
                new Dictionary<string, object?>
                {
                    ["urns"] = missing.Select(s => s.Urn).ToList(),
                    ["schools"] = missing.Select(s => new { id = s.Id, urn = s.Urn, name = s.Name, set = PayeeReferences.HowToSet(s.Id) }).ToList(),
                });
        var claims = (await db.Set<Claim>().AsNoTracking().Where(c => c.PaymentRunId == run.Id).Select(c => new { c.Id, c.SchoolId }).ToListAsync(ct))
            .ToLookup(c => c.SchoolId, c => ClaimAccess.Reference(c.Id));
        var csv = new StringBuilder(FileHeader).Append("\r\n");
        foreach (var p in run.Payees)
        {
            var s = schools[p.SchoolId];
            p.PayeeReference = s.PayeeReference;
            csv.AppendJoin(',', "D", run.Reference, s.Urn, Csv.Field(s.Name), Csv.Field(p.PayeeReference), new Money(p.AmountPence).ToDecimalString(),
                p.RemittanceReference, string.Join(' ', claims[p.SchoolId].Order()), "").Append("\r\n");
        }
        csv.AppendJoin(',', "T", run.Reference, "", "", "", new Money(run.Payees.Sum(p => p.AmountPence)).ToDecimalString(), "", "",
            run.Payees.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return new UTF8Encoding(false).GetBytes(csv.ToString());
    }
}

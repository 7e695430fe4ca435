using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Pages;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Payments;

/// <summary>
/// Finance closes half-terms in order, each once its last day has passed, and then the year, once it has
/// ended (<see cref="Closes"/>). Nothing can be posted dated inside a
/// closed period (the database refuses it: 409); the year's approved claims not yet paid stay payable, and later payment runs
/// pay them, dated when paid (<see cref="StillToPay"/>). At year end every budget category's unspent
/// allocation either lapses (no school can spend it; the year's lapsed account holds it) or carries forward into the next year, by one
/// journal entry (cause year_end) whose transfers say which, dated the year's last day; what claims decided after that day
/// released (it was reserved on the last day) moves by a second such entry, dated the day the year is closed.
/// </summary>
public static class Closing
{
    public sealed record YearEndRule(long? CategoryId, [property: OneOf(typeof(Closing), nameof(Treatments))] string? Treatment);

    /// <summary>What becomes of a category's unspent allocation at the year end.</summary>
    public static readonly string[] Treatments = ["lapse", "carry-forward"];

    /// <param name="NextYearId">where carried-forward allocation goes: a later, open year of the programme</param>
    /// <param name="Fingerprint">
    /// optional: the fingerprint of the figures the caller checked, as the year end's preview gives it (the year-end check
    /// page posts the one it showed; a refusal 409 year-end-changed gives the figures now and theirs). When given, the close moves nothing unless
    /// what it would move is what was checked. Without it the year closes on the figures as they are.
    /// </param>
    public sealed record YearEnd(List<YearEndRule>? Rules, long? NextYearId, string? Fingerprint = null);

    public sealed record YearEndLine(long CategoryId, string Category, string Unit, string Treatment, string Amount, int Schools);
    public sealed record YearEndReport(long YearId, string Year, long? EntryId, IReadOnlyList<YearEndLine> Lines);

    private static void EnsureFinance(CurrentUser caller, long programmeId) =>
        PaymentRuns.EnsureFinance(caller, programmeId, "periods and years are closed by the programme's funder finance team");

    private static async Task<ProgrammeYear> YearAsync(GrantLedgerDb db, long programmeId, long yearId, CancellationToken ct) =>
        await db.ProgrammeYears.Include(y => y.Periods).SingleOrDefaultAsync(y => y.Id == yearId && y.ProgrammeId == programmeId, ct)
        ?? throw new NotFound("programme year", yearId);

    /// <summary>Each school's budget account of the year with allocation left unspent: what year end lapses or carries forward.</summary>
    private static IQueryable<Account> UnspentAccounts(GrantLedgerDb db, long yearId) =>
        db.Accounts.AsNoTracking()
            .Where(a => a.ProgrammeYearId == yearId && a.SchoolId != null && a.CategoryId != null && a.Code.EndsWith(":available")
                        && a.CreditsPosted - a.DebitsPosted > 0);

    /// <summary>
    /// What each account had unspent at the end of the year's last day and every day since, at the least: what can lapse or
    /// carry forward dated that day without leaving the budget below nought as of any day (migration 0069). A claim submitted
    /// in the year and decided after it (approved for less, rejected, withdrawn) held its reservation until then; what it
    /// released came free only after the year ended, and moves dated the day the year is closed.
    /// </summary>
    private static async Task<Dictionary<long, long>> UnspentOnTheLastDayAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId,
        DateOnly endsOn, List<Account> accounts, CancellationToken ct)
    {
        var after = new Dictionary<long, List<long>>(); // each account's change in what it has unspent, day by day after the last
        await using (var cmd = new NpgsqlCommand("""
            SELECT account_id, sum(credits_posted - debits_posted - debits_pending)::bigint
              FROM transfer_effect
             WHERE programme_id = $1 AND value_date > $2 AND account_id = ANY ($3)
             GROUP BY account_id, value_date
             ORDER BY account_id, value_date
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = programmeId });
            cmd.Parameters.Add(new() { Value = endsOn });
            cmd.Parameters.Add(new() { Value = accounts.Select(a => a.Id).ToArray() });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (!after.TryGetValue(r.GetInt64(0), out var days)) after[r.GetInt64(0)] = days = [];
                days.Add(r.GetInt64(1));
            }
        }
        var result = new Dictionary<long, long>();
        foreach (var a in accounts)
        {
            var now = a.CreditsPosted - a.DebitsPosted;
            var days = after.GetValueOrDefault(a.Id) ?? [];
            var running = now - days.Sum();
            var least = running;
            foreach (var change in days) least = Math.Min(least, running += change);
            result[a.Id] = Math.Clamp(least, 0, now);
        }
        return result;
    }

    /// <param name="Value">pence, or minutes for a staff-time allowance</param>
    public sealed record UnspentLine(long CategoryId, string Category, string Unit, string Amount, long Value, int Schools);

    /// <summary>
    /// A short hash of what closing the year would move, per budget category: its unit, amount and number of schools. Closing
    /// cannot be undone, so a page that showed these figures posts their fingerprint, and the close refuses when it differs.
    /// </summary>
    public static string FingerprintOf(IEnumerable<UnspentLine> lines) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join("\n", lines.OrderBy(l => l.CategoryId).Select(l => $"{l.CategoryId} {l.Unit} {l.Value} {l.Schools}")))))[..32];

    private static List<UnspentLine> Lines(IEnumerable<(long CategoryId, long Amount, int Schools)> rows, IReadOnlyDictionary<long, BudgetCategory> categories) =>
        rows.OrderBy(r => r.CategoryId).Select(r =>
        {
            var unit = Units.Parse(categories[r.CategoryId].Unit);
            return new UnspentLine(r.CategoryId, categories[r.CategoryId].Name, unit.ToCode(), Amounts.Format(unit, r.Amount), r.Amount, r.Schools);
        }).ToList();

    /// <summary>"£110.00 from 2 schools", "3 days of staff time from 1 school"</summary>
    public static string Describe(UnspentLine l) => $"{Amount(l)} from {Schools(l.Schools)}";

    /// <summary>"£110.00", "3 days of staff time"</summary>
    public static string Amount(UnspentLine l) =>
        l.Unit == "MIN" ? new Core.Money.Minutes(l.Value) + " of staff time" : new Core.Money.Money(l.Value).ToString();

    public static string Schools(int n) => Count(n, "school");

    /// <summary>"1 claim", "2 claims"</summary>
    public static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{Gov.Number(n)} {what}s";

    /// <summary>"1 claim … awaits", "2 claims … await"</summary>
    private static string Await(int n) => n == 1 ? "awaits" : "await";

    /// <summary>What closing the year would lapse or carry forward now, per budget category (for finance, before they choose).</summary>
    public static async Task<IReadOnlyList<UnspentLine>> UnspentAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, long yearId,
        CancellationToken ct)
    {
        EnsureFinance(caller, programmeId);
        await YearAsync(db, programmeId, yearId, ct);
        return await UnspentLinesAsync(db, programmeId, yearId, ct);
    }

    private static async Task<List<UnspentLine>> UnspentLinesAsync(GrantLedgerDb db, long programmeId, long yearId, CancellationToken ct)
    {
        var categories = await db.CategoriesOf(programmeId).ToDictionaryAsync(c => c.Id, ct);
        // summed by PostgreSQL: a national programme's year has 96,000 school budget accounts, and only their sums are shown
        var rows = await UnspentAccounts(db, yearId).GroupBy(a => a.CategoryId!.Value)
            .Select(g => new { CategoryId = g.Key, Amount = g.Sum(a => a.CreditsPosted - a.DebitsPosted), Schools = g.Count() }).ToListAsync(ct);
        return Lines(rows.Select(r => (r.CategoryId, r.Amount, r.Schools)), categories);
    }

    /// <summary>
    /// What closing the year would move now, before finance chooses how: per budget category, the allocation left unspent
    /// and the schools it is left with, the fingerprint of those figures to close on them alone, whether the
    /// year has closed, and from which day it can be; and the claims still awaiting a decision, which the close waits for.
    /// </summary>
    public sealed record YearEndPreview(long YearId, string Year, bool Closed, DateOnly EndsOn, DateOnly ClosableFrom, IReadOnlyList<UnspentLine> Lines,
        string Fingerprint, IReadOnlyList<string> UndecidedClaims);

    public static async Task<YearEndPreview> PreviewYearEndAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, long yearId, CancellationToken ct)
    {
        EnsureFinance(caller, programmeId);
        var year = await YearAsync(db, programmeId, yearId, ct);
        var lines = year.ClosedAt is null ? await UnspentLinesAsync(db, programmeId, yearId, ct) : [];
        var undecided = await UndecidedAsync(db, yearId, ct);
        return new YearEndPreview(year.Id, year.Code, year.ClosedAt is not null, year.EndsOn, Core.Rules.Closes.From(year.EndsOn), lines, FingerprintOf(lines),
            undecided.Take(100).Select(ClaimAccess.Reference).ToList());
    }

    /// <summary>
    /// The year's approved claims with money not yet paid (approved, or in a payment run not yet paid), and what they pay. Closing
    /// the year leaves them payable: their money is in the year's payable accounts, and later payment runs pay them, dated when paid.
    /// </summary>
    public sealed record StillToPay(int Claims, long Pence)
    {
        /// <summary>"2 approved claims of 2025-26, £500.00 in all, are not yet paid: …", or that none is.</summary>
        public string Said(string year, bool closed) => Claims == 0
            ? $"No approved claim of {year} is waiting to be paid."
            : $"{Count(Claims, "approved claim")} of {year}, {new Core.Money.Money(Pence)}{(Claims == 1 ? "," : " in all,")} {(Claims == 1 ? "is" : "are")} not yet paid: "
              + $"{(closed ? "closing the year left" : "closing the year leaves")} {(Claims == 1 ? "it" : "them")} payable, and later payment runs pay {(Claims == 1 ? "it" : "them")}.";
    }

    public static async Task<StillToPay> StillToPayAsync(GrantLedgerDb db, long yearId, CancellationToken ct) =>
        await db.Database.SqlQuery<StillToPay>($"""
            SELECT count(*)::int AS "Claims", COALESCE(sum(o.pence), 0)::bigint AS "Pence"
              FROM claim c
             CROSS JOIN LATERAL (SELECT COALESCE(sum(COALESCE(l.sanctioned_pence, l.amount_pence)), 0)::bigint AS pence
                                   FROM claim_line l
                                  WHERE l.claim_id = c.id AND l.category_id IS NOT NULL AND l.money_hold_id IS NOT NULL) o
             WHERE c.programme_year_id = {yearId} AND c.state IN ('approved', 'in-payment-run') AND o.pence > 0
            """).SingleAsync(ct);

    /// <summary>The year's claims awaiting a decision (submitted, under review or awaiting second approval), oldest first.</summary>
    private static Task<List<long>> UndecidedAsync(GrantLedgerDb db, long yearId, CancellationToken ct) =>
        db.Set<Claim>().Where(c => c.ProgrammeYearId == yearId && ClaimReads.Live.Contains(c.State) && !ClaimReads.Approved.Contains(c.State))
            .OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);

    /// <summary>What the accounts have unspent, per budget category: the figures checked before the close, and those it moved.</summary>
    private static List<UnspentLine> Figures(IEnumerable<Account> available, IReadOnlyDictionary<long, BudgetCategory> categories) =>
        Lines(available.GroupBy(a => a.CategoryId!.Value).Select(g => (g.Key, g.Sum(a => a.CreditsPosted - a.DebitsPosted), g.Count())), categories);

    /// <summary>
    /// A half-term closed, with its claims still drafts and those awaiting a decision (submitted, under review or awaiting a
    /// second approval). Unlike a year's, a half-term's close does not wait for them: its claims' holds and decisions are
    /// entries dated when they are made, not in the half-term, so reviews and payments go on; its drafts can no longer be
    /// added to or submitted (moved to an open half-term, or deleted). The warning says so.
    /// </summary>
    public sealed record PeriodClosed(Period Period, int DraftClaims, int UndecidedClaims)
    {
        public string? Warning => (DraftClaims, UndecidedClaims) switch
        {
            (0, 0) => null,
            var (drafts, undecided) => string.Join(" ", new[]
            {
                drafts == 0 ? null : $"{Count(drafts, "draft claim")} of {Period.Name} can no longer be added to or submitted: the school moves each to an open half-term or deletes it.",
                undecided == 0 ? null : $"{Count(undecided, "claim")} of {Period.Name} still {Await(undecided)} a decision: they are reviewed and paid as before.",
            }.Where(s => s is not null)),
        };
    }

    public static async Task<PeriodClosed> ClosePeriodAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId, long periodId,
        CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            EnsureFinance(caller, programmeId);
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM programme_year WHERE id = {yearId} FOR UPDATE", ct);
            var year = await YearAsync(db, programmeId, yearId, ct);
            var period = year.Periods.SingleOrDefault(p => p.Id == periodId) ?? throw new NotFound("half-term", periodId);
            if (period.ClosedAt is not null)
                throw new RuleBroken("period-closed", $"{Years.HalfTerm(period.Name, year.Code)} is already closed.", 409);
            Closes.EnsureEnded("period-not-ended", Years.HalfTerm(period.Name, year.Code), period.EndsOn, UkTime.Today);
            var open = year.Periods.Where(p => p.StartsOn < period.StartsOn && p.ClosedAt is null).OrderBy(p => p.StartsOn).ToList();
            if (open.Count > 0)
                throw new RuleBroken("earlier-period-open", $"Close the half-terms in order: {string.Join(", ", open.Select(p => p.Name))} first.", 409,
                    details: new Dictionary<string, object?> { ["open"] = open.Select(p => p.Id).ToList() });
            (period.ClosedAt, period.ClosedBy) = (await db.NowAsync(ct), caller.Id); // the time of its audit event
            var left = await db.Set<Claim>().OfHalfTerm(db, period.Id).GroupBy(c => c.State).Select(g => new { State = g.Key, Count = g.Count() })
                .ToListAsync(ct);
            var closed = new PeriodClosed(period, left.Where(s => s.State == "draft").Sum(s => s.Count),
                left.Where(s => ClaimReads.Live.Contains(s.State) && !ClaimReads.Approved.Contains(s.State)).Sum(s => s.Count));
            audit.Record(AuditAction.PeriodClosed, period.Id, programmeId, new
            {
                year = year.Code, period = period.Code, period.StartsOn, period.EndsOn, draftClaims = closed.DraftClaims, undecidedClaims = closed.UndecidedClaims,
            });
            await db.SaveChangesAsync(ct);
            return closed;
        }, ct);

    public static async Task<YearEndReport> CloseYearAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId, YearEnd r,
        CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            EnsureFinance(caller, programmeId);
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM programme_year WHERE id = {yearId} FOR UPDATE", ct);
            var year = await YearAsync(db, programmeId, yearId, ct);
            if (year.ClosedAt is not null) throw new RuleBroken("year-closed", $"{year.Code} is already closed.", 409);
            Closes.EnsureEnded("year-not-ended", year.Code, year.EndsOn, UkTime.Today);
            var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Id == programmeId, ct);

            // Nothing may be held: a claim awaiting a decision would be stranded in a closed year.
            var undecided = await UndecidedAsync(db, yearId, ct);
            if (undecided.Count > 0)
                throw new RuleBroken("claims-undecided",
                    $"{Count(undecided.Count, "claim")} of {year.Code} still {Await(undecided.Count)} a decision (submitted, under review or awaiting second approval): decide them before closing the year.",
                    409, details: new Dictionary<string, object?> { ["claims"] = undecided.Take(100).Select(ClaimAccess.Reference).ToList() });

            var categories = await db.CategoriesOf(programmeId).ToDictionaryAsync(c => c.Id, ct);
            var available = await UnspentAccounts(db, yearId).ToListAsync(ct);
            if (r.Fingerprint is { } checkedFigures)
            {
                var figures = Figures(available, categories);
                if (FingerprintOf(figures) != checkedFigures)
                    throw new RuleBroken("year-end-changed",
                        $"The figures have changed since they were checked: closing {year.Code} now would move " +
                        (figures.Count == 0 ? "nothing" : string.Join("; ", figures.Select(l => $"{l.Category}: {Describe(l)}"))) + ". Check them again before closing the year.",
                        409, field: "fingerprint", details: new Dictionary<string, object?> { ["lines"] = figures, ["fingerprint"] = FingerprintOf(figures) });
            }

            var errors = new FieldErrors();
            var rules = new Dictionary<long, string>();
            for (var i = 0; i < (r.Rules?.Count ?? 0); i++)
            {
                var rule = r.Rules![i];
                if (rule.CategoryId is not { } id || !categories.ContainsKey(id)) errors.Add($"rules[{i}].categoryId", "is not a budget category of this programme");
                else if (rule.Treatment is not ("lapse" or "carry-forward")) errors.Add($"rules[{i}].treatment", "must be lapse or carry-forward");
                else if (!rules.TryAdd(id, rule.Treatment)) errors.Add($"rules[{i}].categoryId", "appears more than once");
            }
            foreach (var id in available.Select(a => a.CategoryId!.Value).Distinct().Where(id => !rules.ContainsKey(id)))
                errors.Add("rules", $"say whether unspent {categories[id].Name} lapses or carries forward");
            ProgrammeYear? next = null;
            if (rules.ContainsValue("carry-forward"))
            {
                next = r.NextYearId is { } n ? await db.ProgrammeYears.AsNoTracking().SingleOrDefaultAsync(y => y.Id == n && y.ProgrammeId == programmeId, ct) : null;
                if (next is null || next.StartsOn <= year.StartsOn || next.ClosedAt is not null)
                    errors.Add("nextYearId", "carrying forward needs a later, open year of the programme to carry into");
            }
            errors.ThrowIfAny();

            var p = new ProgrammeRef(programme.Id, programme.Code);
            var y = new YearRef(year.Id, year.Code);
            var schools = await db.Schools.AsNoTracking().Where(s => s.ProgrammeId == programmeId).ToDictionaryAsync(s => s.Id, ct);
            var (conn, tx) = await db.NpgsqlAsync(ct);
            var unspentThen = await UnspentOnTheLastDayAsync(conn, tx, programmeId, year.EndsOn, available, ct);
            // (from, to, what lapses or carries forward dated the year's last day, and what came free after it)
            var moves = new List<(AccountSpec From, AccountSpec To, long Then, long Since)>();
            foreach (var a in available.OrderBy(a => a.Code))
            {
                var unit = Units.Parse(a.Unit);
                var (school, category) = (BudgetYear.Ref(schools[a.SchoolId!.Value]), BudgetYear.Ref(categories[a.CategoryId!.Value]));
                var amount = a.CreditsPosted - a.DebitsPosted;
                var (then, since) = (unspentThen[a.Id], amount - unspentThen[a.Id]);
                if (rules[a.CategoryId.Value] == "lapse") moves.Add((Chart.Available(p, y, school, category), Chart.Lapsed(p, y, unit), then, since));
                else
                {
                    var ny = new YearRef(next!.Id, next.Code);
                    moves.Add((Chart.Available(p, y, school, category), Chart.CarriedForward(p, y, unit), then, since));
                    moves.Add((Chart.BroughtForward(p, ny, unit), Chart.Available(p, ny, school, category), then, since));
                }
            }

            long? entryId = null, sinceEntryId = null;
            if (moves.Count > 0)
            {
                var ids = await Accounts.EnsureAsync(conn, tx, programmeId, moves.SelectMany(x => new[] { x.From, x.To }).ToList(), ct);
                var treatments = string.Join("; ", rules.Select(x => $"{categories[x.Key].Name} {(x.Value == "lapse" ? "lapses" : "carries forward to " + next!.Code)}"));
                async Task<long?> PostAsync(DateOnly on, string description, Func<(AccountSpec From, AccountSpec To, long Then, long Since), long> amount)
                {
                    var transfers = moves.Where(x => amount(x) > 0).Select(x => new TransferDraft(x.From.Unit, ids[x.From], ids[x.To], amount(x))).ToList();
                    if (transfers.Count == 0) return null;
                    return (await Journal.PostAsync(conn, tx, new EntryDraft(programmeId, on, description, caller.Id, CauseType.YearEnd, year.Id, transfers), ct)).EntryId;
                }
                entryId = await PostAsync(year.EndsOn, $"Year end {year.Code}: unspent allocation {treatments}", x => x.Then);
                sinceEntryId = await PostAsync(UkTime.Today,
                    $"Year end {year.Code}: allocation released after {Closes.Long(year.EndsOn)} by claims decided since: {treatments}", x => x.Since);
                entryId ??= sinceEntryId;
            }
            foreach (var (id, treatment) in rules)
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    INSERT INTO year_end_rule (programme_year_id, category_id, treatment, next_year_id, entry_id)
                    VALUES ({yearId}, {id}, {treatment}, {(treatment == "carry-forward" ? next!.Id : null)}, {entryId})
                    """, ct);

            var now = await db.NowAsync(ct); // the time of the year's audit event and entries
            foreach (var period in year.Periods.Where(x => x.ClosedAt is null)) (period.ClosedAt, period.ClosedBy) = (now, caller.Id);
            await db.SaveChangesAsync(ct);
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE programme_year SET closed_at = {now}, closed_by = {caller.Id} WHERE id = {yearId}", ct);

            var lines = rules.Select(x =>
            {
                var unit = Units.Parse(categories[x.Key].Unit);
                var mine = available.Where(a => a.CategoryId == x.Key).ToList();
                return new YearEndLine(x.Key, categories[x.Key].Name, unit.ToCode(), x.Value, Amounts.Format(unit, mine.Sum(a => a.CreditsPosted - a.DebitsPosted)), mine.Count);
            }).ToList();
            audit.Record(AuditAction.YearClosed, yearId, programmeId, new { year = year.Code, entryId, releasedSinceEntryId = sinceEntryId == entryId ? null : sinceEntryId, nextYear = next?.Code, lines });
            await db.SaveChangesAsync(ct);
            return new YearEndReport(yearId, year.Code, entryId, lines);
        }, ct);
}

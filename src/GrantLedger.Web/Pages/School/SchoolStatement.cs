using System.Globalization;
using CsvHelper;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// One movement of a school's money: one journal entry's effect on one category, in the school's words.
/// </summary>
/// <param name="Amount">what moved: the amount allocated, held, approved, released or paid (never negative)</param>
/// <param name="Change">its effect on what the school has available: + allocated or released, − held or moved away</param>
/// <param name="Available">the money available across all the school's categories after it</param>
/// <param name="ClaimId">the claim it belongs to, if any</param>
public sealed record StatementRow(long EntryId, DateOnly Date, string What, long? ClaimId, string Category, long Amount, long Change, long Available);

/// <param name="Closing">each category's available at the end of the period: for the whole year, or a period open at its end,
/// the dashboard's Available column</param>
/// <param name="Unit">money (pence) or staff time (minutes): what every amount of the view counts</param>
public sealed record SchoolStatementView(IReadOnlyList<StatementRow> Rows, IReadOnlyList<(string Category, long Available)> Closing, Unit Unit = Unit.Gbp)
{
    /// <summary>An amount of the view as a person reads it: "£250.00", "1 day".</summary>
    public string Say(long amount) => Unit.Describe(amount);

    /// <summary>A change, signed: "+£50.00", "-1 day".</summary>
    public string Signed(long change) => change > 0 ? "+" + Say(change) : Say(change);

    public long ClosingTotal => Closing.Sum(c => c.Available);
}

/// <summary>The ids and headings of a statement's two tables on the page (money's, or staff time's).</summary>
public sealed record StatementTables(string Id, string ClosingId, string Caption, string ClosingCaption, string CategoryHeader, string AmountHeader,
    string ChangeHeader, string RunningHeader);

/// <summary>
/// A school's money for a year told as it happened, from the journal entries on its money accounts (…:available,
/// …:payable, …:paid of each category): what each did to the money the school has available, and why, from the entry's
/// cause (the allocation, virement, claim and its step, payment run or year end). Staff time (a category's allowance in
/// minutes: …:available, …:used) is told the same way in its own view (<see cref="ForSchoolAsync"/> with <see cref="Unit.Minutes"/>).
/// Read in three queries (the accounts, their categories, their transfers with their causes), whatever the number of rows.
/// Starting from nothing, the rows sum to each category's available on the dashboard (<see cref="Allocations.BudgetFigures"/>): a
/// year's accounts are that year's alone. A period of the year (<see cref="StatementPeriod"/>) is cut from the same rows: the
/// earlier ones summed per category into its brought-forward rows, so that it ends where the year's rows up to its end do.
/// A closed year's year-end lines (what lapsed or carried forward) are told on the day it was closed, as they happened, not on
/// the last day they are dated in the ledger (<see cref="Movement.Shown"/>): the running figure never reads below nought.
/// </summary>
public static class SchoolStatement
{
    private sealed record Movement(long EntryId, long TransferId, DateOnly ValueDate, long AccountId, string Kind, long Amount,
        long DebitsPosted, long CreditsPosted, long DebitsPending, string CauseType, long? CauseId, string? ReversedCause, string? Trigger,
        long? OtherSchoolId, string? OtherSchool, string? OtherCategory, string OtherLeaf, string? VirementReason, string? CauseYear, string? NextYear,
        string? Remittance, DateOnly? CauseYearEndsOn, DateTimeOffset? CauseYearClosedAt)
    {
        /// <summary>Money or time leaving the year at its close, lapsed or carried forward (not what the next year brings forward).</summary>
        public bool LeavesTheYear => CauseType == "year_end" && OtherLeaf is "lapsed" or "carried-forward";

        /// <summary>
        /// The day the statement tells it on: its value date, but the day its year was closed for what left the year then. The
        /// year end lapses or carries forward what was unspent at the end of its last day and every day since (Closing), and is
        /// recorded after every claim decided since: told on its value date, before those claims' holds and releases, it read as
        /// the school overdrawn until they were released.
        /// </summary>
        public DateOnly Shown => LeavesTheYear && CauseYearClosedAt is { } closed && UkTime.DateOn(closed) > ValueDate ? UkTime.DateOn(closed) : ValueDate;
    }

    /// <param name="period">the days to show (<see cref="StatementPeriod"/>): the rows before it are brought forward, one row per
    /// category, and those after it left out; the whole year when null</param>
    public static async Task<SchoolStatementView> ForSchoolAsync(GrantLedgerDb db, long schoolId, long yearId, CancellationToken ct,
        Unit unit = Unit.Gbp, StatementPeriod? period = null)
    {
        period ??= StatementPeriod.WholeYear;
        var code = unit.ToCode();
        var accounts = await db.Accounts.AsNoTracking()
            .Where(a => a.SchoolId == schoolId && a.ProgrammeYearId == yearId && a.Unit == code && a.CategoryId != null)
            .Select(a => new { a.Id, a.Code, CategoryId = a.CategoryId!.Value }).ToListAsync(ct);
        if (accounts.Count == 0) return new SchoolStatementView([], [], unit);
        var categoryIds = accounts.Select(a => a.CategoryId).Distinct().ToList();
        var categories = await db.Categories.AsNoTracking().Where(c => categoryIds.Contains(c.Id)).OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        var byAccount = accounts.ToDictionary(a => a.Id, a => (a.CategoryId, Leaf: a.Code[(a.Code.LastIndexOf(':') + 1)..]));
        var ids = accounts.Select(a => a.Id).ToArray();

        var movements = await db.Database.SqlQuery<Movement>($"""
            SELECT e.entry_id AS "EntryId", e.transfer_id AS "TransferId", e.value_date AS "ValueDate", e.account_id AS "AccountId",
                   e.kind AS "Kind", e.amount AS "Amount", e.debits_posted AS "DebitsPosted", e.credits_posted AS "CreditsPosted",
                   e.debits_pending AS "DebitsPending", j.cause_type AS "CauseType", j.cause_id AS "CauseId", r.cause_type AS "ReversedCause",
                   (SELECT t.trigger FROM claim_transition t WHERE j.cause_type = 'claim' AND t.claim_id = j.cause_id AND t.entry_id = j.id
                     ORDER BY t.id LIMIT 1) AS "Trigger",
                   o.school_id AS "OtherSchoolId", os.name AS "OtherSchool", oc.name AS "OtherCategory",
                   regexp_replace(o.code, '^.*:', '') AS "OtherLeaf", v.reason AS "VirementReason", cy.code AS "CauseYear", ny.code AS "NextYear",
                   cy.ends_on AS "CauseYearEndsOn", cy.closed_at AS "CauseYearClosedAt",
                   -- a payment as the school's bank statement shows it: by its remittance reference
                   (SELECT p.remittance_reference FROM payment_run_payee p WHERE j.cause_type = 'payment_run' AND p.payment_run_id = j.cause_id
                       AND p.school_id = a.school_id) AS "Remittance"
              FROM transfer_effect e
              JOIN journal_entry j ON j.id = e.entry_id
              LEFT JOIN journal_entry r ON r.id = j.reverses_entry_id
              JOIN account a ON a.id = e.account_id
              JOIN account o ON o.id = e.other_account_id
              LEFT JOIN school os ON os.id = o.school_id
              LEFT JOIN budget_category oc ON oc.id = o.category_id
              LEFT JOIN virement v ON v.id = CASE WHEN j.cause_type = 'virement' THEN j.cause_id WHEN r.cause_type = 'virement' THEN r.cause_id END
              LEFT JOIN programme_year cy ON j.cause_type = 'year_end' AND cy.id = j.cause_id
              LEFT JOIN year_end_rule yr ON j.cause_type = 'year_end' AND yr.programme_year_id = j.cause_id AND yr.category_id = a.category_id
              LEFT JOIN programme_year ny ON ny.id = yr.next_year_id
             WHERE e.account_id = ANY({ids})
             ORDER BY e.value_date, e.entry_id, e.transfer_id, e.side DESC
            """).ToListAsync(ct);

        var names = categories.ToDictionary(c => c.Id, c => c.Name);
        var rows = new List<(long CategoryId, StatementRow Row)>();
        long running = 0;
        // one row per entry and category, in the order their first transfer comes on the day it is told on (Movement.Shown)
        foreach (var group in movements.OrderBy(m => m.Shown).ThenBy(m => m.EntryId).GroupBy(m => (m.EntryId, byAccount[m.AccountId].CategoryId)))
        {
            var category = group.Key.CategoryId;
            var onAvailable = group.Where(m => byAccount[m.AccountId].Leaf == "available").ToList();
            var change = onAvailable.Sum(m => m.CreditsPosted - m.DebitsPosted - m.DebitsPending);
            var (what, amount) = Describe(group.First(), onAvailable, group.ToList(), schoolId, names[category], change, unit);
            running += change;
            var first = group.First();
            rows.Add((category, new StatementRow(first.EntryId, first.Shown, what, first.CauseType == "claim" ? first.CauseId : null,
                names[category], amount, change, running)));
        }

        // the rows are in date order: those before the period come first, those after it last
        var before = rows.TakeWhile(r => period.From is { } from && r.Row.Date < from).ToList();
        var shown = rows.Skip(before.Count).TakeWhile(r => period.To is not { } to || r.Row.Date <= to).ToList();
        var broughtForward = new List<StatementRow>();
        running = 0;
        foreach (var category in categories.Where(c => before.Any(r => r.CategoryId == c.Id)))
        {
            var change = before.Where(r => r.CategoryId == category.Id).Sum(r => r.Row.Change);
            running += change;
            broughtForward.Add(new StatementRow(0, period.From!.Value, StatementPeriod.BroughtForward, null, category.Name, Math.Abs(change), change, running));
        }
        var closing = categories.Select(c => (c.Name, before.Concat(shown).Where(r => r.CategoryId == c.Id).Sum(r => r.Row.Change))).ToList();
        return new SchoolStatementView([.. broughtForward, .. shown.Select(r => r.Row)], closing, unit);
    }

    /// <summary>
    /// The rows as CSV for the school's books: a header row, dates yyyy-MM-dd, money as "-250.00" and staff time as whole minutes
    /// (with the page's words for the time beside them, "1 day"), and no cell a spreadsheet would run as a formula
    /// (<see cref="Infrastructure.Csv.FormulaSafe"/>, as the exports do: a category is named by an admin).
    /// </summary>
    public static byte[] Csv(SchoolStatementView statement)
    {
        var money = statement.Unit == Unit.Gbp;
        string Number(long amount) => money ? new Money(amount).ToDecimalString() : amount.ToString(CultureInfo.InvariantCulture);
        using var stream = new MemoryStream();
        using (var csv = CsvWriter.Create(stream, new CsvWriterOptions(), leaveOpen: true))
        {
            csv.WriteHeader(money
                ? ["Date", "What happened", "Category", "Amount", "Change to available", "Available"]
                : ["Date", "What happened", "Allowance", "Time (minutes)", "Change to what is left (minutes)", "Left (minutes)", "Time"]);
            foreach (var r in statement.Rows)
            {
                string[] cells = [r.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.What, r.Category, Number(r.Amount), Number(r.Change), Number(r.Available)];
                foreach (var cell in money ? cells : [.. cells, statement.Say(r.Amount)])
                    csv.WriteField(Infrastructure.Csv.FormulaSafe(cell));
                csv.EndRecord();
            }
            csv.Flush();
        }
        return stream.ToArray();
    }

    private static string Day(DateOnly d) => d.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>What happened, said as the school would, and the amount that moved.</summary>
    private static (string What, long Amount) Describe(Movement entry, List<Movement> onAvailable, List<Movement> all, long schoolId,
        string category, long change, Unit unit)
    {
        var moved = Math.Abs(change);
        var counter = onAvailable.FirstOrDefault() ?? entry;
        string Other() => counter.OtherLeaf == "unallocated" ? "the programme's unallocated budget" // taken back (Vire)
            : counter.OtherSchoolId == schoolId || counter.OtherSchoolId is null
            ? counter.OtherCategory ?? "another budget"
            : $"{counter.OtherSchool}'s {counter.OtherCategory}";
        string Reason() => string.IsNullOrWhiteSpace(counter.VirementReason) ? "" : $": {counter.VirementReason}";
        switch (entry.CauseType)
        {
            case "allocation":
                return ($"Allocation for {category}", moved);
            case "virement":
                return ($"Virement {(change >= 0 ? "from" : "to")} {Other()}{Reason()}", moved);
            case "claim":
            {
                var claim = ClaimAccess.Reference(entry.CauseId ?? 0);
                var held = onAvailable.Where(m => m.Kind == "pending").Sum(m => m.Amount);
                var posted = onAvailable.Where(m => m.Kind == "post_pending").Sum(m => m.Amount);
                var resolved = onAvailable.Where(m => m.Kind is "post_pending" or "void_pending").Sum(m => -m.DebitsPending);
                if (held > 0) return ($"Claim {claim} submitted: held", held);
                var trigger = entry.Trigger ?? (posted > 0 ? "approve" : "release");
                if (trigger is "approve" or "second-approve")
                    return posted == resolved
                        ? ($"Claim {claim} approved", posted)
                        : ($"Claim {claim} approved {unit.Describe(posted)} of {unit.Describe(resolved)}, {unit.Describe(resolved - posted)} released", posted);
                var done = trigger switch { "withdraw" => "withdrawn", "return" => "returned", "reject" => "rejected", _ => "decided" };
                return ($"Claim {claim} {done}: released", resolved);
            }
            case "payment_run":
                return ($"Paid in payment run {PaymentRuns.Reference(entry.CauseId ?? 0)}{(entry.Remittance is { } remittance ? $", remittance {remittance}" : "")}",
                    all.Where(m => m.Kind == "posted").Sum(m => m.CreditsPosted));
            case "year_end":
            {
                // what was unspent at the end of the year's last day, or what claims decided since released (Closing)
                var which = counter.CauseYearEndsOn is not { } last ? "unspent allocation"
                    : counter.ValueDate <= last ? $"allocation unspent on {Day(last)}" : $"allocation released since {Day(last)}";
                return counter.OtherLeaf switch
                {
                    "lapsed" => ($"Year-end {counter.CauseYear}: {which} lapsed", moved),
                    "carried-forward" => ($"Year-end {counter.CauseYear}: {which} carried forward to {counter.NextYear}", moved),
                    "brought-forward" => ($"Brought forward from {counter.CauseYear}", moved),
                    _ => ($"Year-end {counter.CauseYear}", moved),
                };
            }
            case "reversal" when entry.ReversedCause == "allocation":
                return ($"Allocation for {category} reversed", moved);
            case "reversal" when entry.ReversedCause == "virement":
                // the reversal moves the other way: money back means the virement had taken it away
                return ($"Virement {(change >= 0 ? "to" : "from")} {Other()} reversed{Reason()}", moved);
            default:
                return ("Correction", moved);
        }
    }
}

/// <summary>
/// The days of a year a statement is read for, by value date, each end included; either end may be left open (the year's
/// start, or everything so far). A school business manager reconciles month by month or term by term.
/// </summary>
public sealed record StatementPeriod(DateOnly? From, DateOnly? To)
{
    public static readonly StatementPeriod WholeYear = new(null, null);

    /// <summary>What the rows that open a period are called: each category's available at the end of the day before it.</summary>
    public const string BroughtForward = "Brought forward";

    public bool IsWholeYear => From is null && To is null;

    /// <summary>The period as a link carries it, after the year: "&amp;from=2026-10-01&amp;to=2026-10-31", or nothing.</summary>
    public string Query => (From is { } f ? $"&from={f:yyyy-MM-dd}" : "") + (To is { } t ? $"&to={t:yyyy-MM-dd}" : "");

    /// <summary>
    /// Why dates read for a year's statement are refused, per field: each must be one of the year's days and not later than
    /// today in the UK (the ledger does not know the future yet), and the end not before the start.
    /// </summary>
    public static IEnumerable<(string Field, string Message)> Refusals(DateOnly? from, DateOnly? to, Programmes.ProgrammeYear year, DateOnly today)
    {
        var refused = new List<(string, string)>();
        foreach (var (field, label, date) in new[] { ("from", "The start date", from), ("to", "The end date", to) })
        {
            if (date is not { } d) continue;
            if (d < year.StartsOn || d > year.EndsOn)
                refused.Add((field, $"{label} must be in {year.Code}, from {year.StartsOn.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)} to {year.EndsOn.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)}"));
            else if (Core.Rules.NotInTheFuture.Refusal(d, today, "the ledger does not know it yet") is { } future)
                refused.Add((field, $"{label} {future}"));
        }
        if (refused.Count == 0 && from > to) refused.Add(("to", "The end date must be the same as or after the start date"));
        return refused;
    }
}

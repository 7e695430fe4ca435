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

/// <param name="Closing">each money category's available at the end: the dashboard's Available column</param>
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
/// year's accounts are that year's alone.
/// </summary>
public static class SchoolStatement
{
    private sealed record Movement(long EntryId, long TransferId, DateOnly ValueDate, long AccountId, string Kind, long Amount,
        long DebitsPosted, long CreditsPosted, long DebitsPending, string CauseType, long? CauseId, string? ReversedCause, string? Trigger,
        long? OtherSchoolId, string? OtherSchool, string? OtherCategory, string OtherLeaf, string? VirementReason, string? CauseYear, string? NextYear);

    public static async Task<SchoolStatementView> ForSchoolAsync(GrantLedgerDb db, long schoolId, long yearId, CancellationToken ct,
        Unit unit = Unit.Gbp)
    {
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
                   regexp_replace(o.code, '^.*:', '') AS "OtherLeaf", v.reason AS "VirementReason", cy.code AS "CauseYear", ny.code AS "NextYear"
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
        var rows = new List<StatementRow>();
        var available = categories.ToDictionary(c => c.Id, _ => 0L);
        long running = 0;
        // one row per entry and category, in the order their first transfer comes
        foreach (var group in movements.GroupBy(m => (m.EntryId, byAccount[m.AccountId].CategoryId)))
        {
            var category = group.Key.CategoryId;
            var onAvailable = group.Where(m => byAccount[m.AccountId].Leaf == "available").ToList();
            var change = onAvailable.Sum(m => m.CreditsPosted - m.DebitsPosted - m.DebitsPending);
            var (what, amount) = Describe(group.First(), onAvailable, group.ToList(), schoolId, names[category], change, unit);
            running += change;
            available[category] += change;
            var first = group.First();
            rows.Add(new StatementRow(first.EntryId, first.ValueDate, what, first.CauseType == "claim" ? first.CauseId : null, names[category],
                amount, change, running));
        }
        return new SchoolStatementView(rows, categories.Select(c => (c.Name, available[c.Id])).ToList(), unit);
    }

    /// <summary>
    /// The rows as CSV for the school's books: a header row, dates yyyy-MM-dd, amounts as "-250.00", and no cell a spreadsheet
    /// would run as a formula (<see cref="Infrastructure.Csv.FormulaSafe"/>, as the exports do: a category is named by an admin).
    /// </summary>
    public static byte[] Csv(SchoolStatementView statement)
    {
        using var stream = new MemoryStream();
        using (var csv = CsvWriter.Create(stream, new CsvWriterOptions(), leaveOpen: true))
        {
            csv.WriteHeader(["Date", "What happened", "Category", "Amount", "Change to available", "Available"]);
            foreach (var r in statement.Rows)
            {
                foreach (var cell in new[]
                         {
                             r.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.What, r.Category, new Money(r.Amount).ToDecimalString(),
                             new Money(r.Change).ToDecimalString(), new Money(r.Available).ToDecimalString(),
                         })
                    csv.WriteField(Infrastructure.Csv.FormulaSafe(cell));
                csv.EndRecord();
            }
            csv.Flush();
        }
        return stream.ToArray();
    }

    /// <summary>What happened, said as the school would, and the amount that moved.</summary>
    private static (string What, long Amount) Describe(Movement entry, List<Movement> onAvailable, List<Movement> all, long schoolId,
        string category, long change, Unit unit)
    {
        var moved = Math.Abs(change);
        var counter = onAvailable.FirstOrDefault() ?? entry;
        string Other() => counter.OtherSchoolId == schoolId || counter.OtherSchoolId is null
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
                return ($"Paid in payment run {PaymentRuns.Reference(entry.CauseId ?? 0)}",
                    all.Where(m => m.Kind == "posted").Sum(m => m.CreditsPosted));
            case "year_end":
                return counter.OtherLeaf switch
                {
                    "lapsed" => ($"Year-end {counter.CauseYear}: unspent allocation lapsed", moved),
                    "carried-forward" => ($"Year-end {counter.CauseYear}: unspent allocation carried forward to {counter.NextYear}", moved),
                    "brought-forward" => ($"Brought forward from {counter.CauseYear}", moved),
                    _ => ($"Year-end {counter.CauseYear}", moved),
                };
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

using GrantLedger.Core.Ledger;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

/// <summary>The school's statement page and its two CSVs (money, staff time): each reads the year and the period the same way.</summary>
public abstract class StatementPage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>
    /// The period asked for (<see cref="StatementPeriod"/>): from and to as a link gives them (from=2026-10-01) or as the page's
    /// GOV.UK date inputs send them (from-day, from-month, from-year). A date that cannot be read, or is refused, is an error on
    /// its field, and the whole year is returned in its place.
    /// </summary>
    protected StatementPeriod ReadPeriod(ProgrammeYear year)
    {
        var (from, to) = (ReadDay("from", "the start date"), ReadDay("to", "the end date"));
        if (HasErrors) return StatementPeriod.WholeYear;
        foreach (var (field, message) in StatementPeriod.Refusals(from, to, year, UkTime.Today)) AddError(field, message);
        return HasErrors ? StatementPeriod.WholeYear : new StatementPeriod(from, to);
    }

    private DateOnly? ReadDay(string field, string label)
    {
        var text = Typed(field).Trim();
        if (text.Length == 0) return ReadDate(field, label, required: false);
        if (IsoDate.TryParse(text, out var date)) return date;
        AddError(field, $"{char.ToUpperInvariant(label[0])}{label[1..]} must be a real date, written like 2026-10-05");
        return null;
    }

    /// <summary>
    /// The statement of the caller's school for the year and period asked for, as CSV (<see cref="SchoolStatement.Csv"/>); a
    /// period refused answers 400 with each field and why, one a line, in plain text.
    /// </summary>
    protected async Task<IActionResult> CsvAsync(long? year, Unit unit, string name, CancellationToken ct)
    {
        var (school, _, shown) = await SchoolBudget.CallersYearsAsync(Db, Caller, year, ct);
        if (shown is null) return Redirect("/school/statement");
        var period = ReadPeriod(shown);
        if (HasErrors)
            return new ContentResult
            {
                StatusCode = StatusCodes.Status400BadRequest, ContentType = "text/plain; charset=utf-8",
                Content = string.Concat(Errors.Select(e => $"{e.Field}: {e.Message}\n")),
            };
        var statement = await SchoolStatement.ForSchoolAsync(Db, school.Id, shown.Id, ct, unit, period);
        var days = (period.From is { } f ? $"-from-{f:yyyy-MM-dd}" : "") + (period.To is { } t ? $"-to-{t:yyyy-MM-dd}" : "");
        return File(Csv.ForSpreadsheets(SchoolStatement.Csv(statement)), "text/csv; charset=utf-8", $"{name}-{school.Urn}-{shown.Code}{days}.csv");
    }
}

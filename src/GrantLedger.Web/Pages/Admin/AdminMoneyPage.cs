using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// The programme admin's pages that move a year's budget (funding, allocating, virements): the year shown (?yearId=, else the
/// current year; another programme's is not found), and a form checked by its use case before it is confirmed. The answers go
/// on, hidden, to the check-your-answers page, and the final post reads and checks them again, trusting nothing from the first.
/// </summary>
public abstract class AdminMoneyPage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>The year worked on: ?yearId=, else the current year.</summary>
    [BindProperty(SupportsGet = true)] public long? YearId { get; set; }
    public Programme Programme { get; private set; } = null!;
    public ProgrammeYear? Year { get; private set; }
    /// <summary>True when the answers were checked by the use case and are shown to confirm.</summary>
    public bool Checking { get; protected set; }

    private const string AntiforgeryField = "__RequestVerificationToken";

    /// <summary>The programme an admin of every programme chose on the allocations page (?programmeId=); a year given names its own.</summary>
    [BindProperty(SupportsGet = true, Name = "programmeId")] public long? ChosenProgrammeId { get; set; }

    /// <summary>Every programme, for the allocations page's choice, when the admin administers them all; else empty.</summary>
    public IReadOnlyList<(string Value, string Text)> ProgrammeOptions { get; private set; } = [];

    private long? chosen;

    /// <summary>
    /// The programme worked on: the admin's own; for an admin of every programme, the one <see cref="ChooseProgrammeAsync"/>
    /// settled (their pages answered "page not found", as if no programme were theirs).
    /// </summary>
    protected long ProgrammeId => Caller.ProgrammeId ?? chosen ?? throw new NotFound("programme", "any");

    /// <summary>
    /// For an admin of every programme: the programme of the record the page is about (the year given, the entry to reverse),
    /// else the one chosen, else the first. Nothing for an admin of one programme, whose own it is.
    /// </summary>
    protected async Task ChooseProgrammeAsync(long? ofRecord, CancellationToken ct)
    {
        if (Caller.ProgrammeId is not null) return;
        var programmes = await ProgrammesAsync(ct);
        ProgrammeOptions = programmes.Select(p => (p.Id.ToString(), p.Name)).ToList();
        chosen = ofRecord ?? ChosenProgrammeId ?? programmes.FirstOrDefault()?.Id;
        if (chosen is not { } id || programmes.All(p => p.Id != id)) throw new NotFound("programme", chosen?.ToString() ?? "any");
    }

    /// <summary>
    /// What the page says of a year closed at its year end, or null while it is open: nothing more can be posted in it, so the
    /// pages offer no funding, allocation, virement or reversal that the use cases would refuse.
    /// </summary>
    public string? YearClosed => Year is null ? null : Closed(Year);

    /// <summary>What a page says of a year closed at its year end (<see cref="YearClosed"/>), or null while it is open.</summary>
    protected static string? Closed(ProgrammeYear year) => year.ClosedAt is { } at
        ? $"{year.Code} was closed on {UkTime.Of(at):d MMMM yyyy}: nothing more can be funded, allocated, moved or reversed in it."
        : null;

    /// <summary>
    /// Of these entries, those that moved money in a year closed at its year end (<see cref="Closed"/>, the year of their
    /// accounts, as the reversal page finds it): no page offers to reverse them, as the reversal would be refused.
    /// </summary>
    public static async Task<IReadOnlySet<long>> OfClosedYearsAsync(GrantLedgerDb db, IReadOnlyCollection<long> entryIds, CancellationToken ct)
    {
        var years = await (
            from t in db.Transfers.AsNoTracking()
            where entryIds.Contains(t.EntryId)
            from a in db.Accounts.AsNoTracking()
            where (a.Id == t.DebitAccountId || a.Id == t.CreditAccountId) && a.ProgrammeYearId != null
            from y in db.ProgrammeYears.AsNoTracking()
            where y.Id == a.ProgrammeYearId
            select new { t.EntryId, Year = y }).ToListAsync(ct);
        return years.Where(x => Closed(x.Year) is not null).Select(x => x.EntryId).ToHashSet();
    }

    /// <summary>The programme has more schools than a list can hold (<see cref="Gov.MostSchoolsInAList"/>): a school is typed by its URN.</summary>
    public bool ByUrn { get; private set; }

    /// <summary>The programme's schools to choose from, by name, when they fit a list (<see cref="ByUrn"/> false).</summary>
    public IReadOnlyList<(string Value, string Text)> SchoolOptions { get; private set; } = [];

    /// <summary>Reads the programme's schools for <see cref="SchoolField"/>: a list of them, or none where they are typed by URN.</summary>
    protected async Task LoadSchoolChoicesAsync(CancellationToken ct)
    {
        var schools = Db.Schools.AsNoTracking().Where(s => s.ProgrammeId == ProgrammeId);
        ByUrn = await schools.CountAsync(ct) > Gov.MostSchoolsInAList;
        SchoolOptions = ByUrn ? [] : (await schools.OrderBy(s => s.Name).ThenBy(s => s.Urn).ToListAsync(ct)).Select(s => (s.Id.ToString(), $"{s.Name} ({s.Urn})")).ToList();
    }

    /// <summary>
    /// A school chosen from the list (<paramref name="idField"/>), or typed by its URN (<paramref name="urnField"/>) in a
    /// programme of more schools than a list can hold; <paramref name="hint"/> is the list's, and the URN's when given.
    /// </summary>
    public IHtmlContent SchoolField(string idField, string label, string urnField, string urnLabel, string? hint = null) => ByUrn
        ? Gov.Input(this, urnField, urnLabel, hint: hint ?? "Its six-digit Unique Reference Number, as the schools' list gives it",
            width: "govuk-input--width-10", inputMode: "numeric", spellcheck: "false")
        : Gov.Select(this, idField, label, SchoolOptions, hint: hint, blank: "Select the school");

    /// <summary>The school <see cref="SchoolField"/> posted: its id or its URN as typed (left to the use case to find), or neither, left out.</summary>
    protected (long? SchoolId, string? Urn) ReadSchool(string idField, string urnField) => ByUrn
        ? (null, Given(urnField) ? Typed(urnField).Trim() : null)
        : (Given(idField) ? ReadId(idField) : null, null);

    /// <summary>The forms' caption: "Allocations 2026-27", with the programme's name for an admin of every programme.</summary>
    public string Caption => $"Allocations {Year?.Code}" + (ProgrammeOptions.Count > 1 ? $", {Programme.Name}" : "");

    /// <summary>"?yearId=…" when a year was chosen: the links and forms keep it.</summary>
    public string YearQuery => YearId is { } id ? $"?yearId={id}" : "";

    protected async Task LoadYearAsync(CancellationToken ct)
    {
        if (Caller.ProgrammeId is null)
            await ChooseProgrammeAsync(YearId is { } given
                ? await Db.ProgrammeYears.AsNoTracking().Where(y => y.Id == given).Select(y => (long?)y.ProgrammeId).FirstOrDefaultAsync(ct)
                  ?? throw new NotFound("year", given)
                : null, ct);
        Programme = await Db.Programmes.AsNoTracking().SingleAsync(p => p.Id == ProgrammeId, ct);
        Year = YearId is { } id ? await Years.FindAsync(Db, ProgrammeId, id, ct) : await School.SchoolBudget.CurrentYearAsync(Db, ProgrammeId, ct);
    }

    /// <summary>The date a posting will be dated: the one given, else as the use cases choose it (<see cref="BudgetYear.ValueDate(ProgrammeYear, DateOnly?, Core.Rules.FieldErrors, string)"/>).</summary>
    public DateOnly DatedOn(DateOnly? given) => new BudgetYear(Programme, Year!).ValueDate(given, new FieldErrors(), "");

    /// <summary>A value date in a closed half-term or year, as the pages write dates (<see cref="GovPage.InClosedPeriod"/>), or left blank where it would be.</summary>
    protected override string? Reworded(RuleBroken rule) => InClosedPeriod(rule, "The value date") ?? LeftBlank(rule);

    /// <summary>
    /// A value date left blank that would fall in a closed half-term (the year's last day once it has ended: half-terms close
    /// in order once ended, so today's is never closed): the half-terms still open to enter one in, or that none is.
    /// </summary>
    private string? LeftBlank(RuleBroken rule)
    {
        if (rule.Rule != "period-closed" || rule.Details.GetValueOrDefault("wouldBeDated") is not string would || Year is null
            || !DateOnly.TryParseExact(would, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var dated))
            return null;
        if (YearClosed is { } closed) return closed;
        var open = Year.Periods.Where(p => p.ClosedAt is null).OrderBy(p => p.StartsOn).Select(p => p.Name).ToList();
        var why = $"left blank, the value date would be {dated:d MMMM yyyy}"
                  + (Year.Periods.FirstOrDefault(p => p.StartsOn <= dated && dated <= p.EndsOn) is { } period ? $", in {period.Name}, which is closed" : "");
        return open.Count == 0
            ? $"No half-term of {Year.Code} is still open, so nothing more can be posted in it: {why}"
            : $"Enter a value date in a half-term of {Year.Code} that is still open ({string.Join(", ", open[..^1])}{(open.Count > 1 ? " or " : "")}{open[^1]}): {why}";
    }

    /// <summary>The fields posted, to carry on hidden to the next step (not the token nor the one-time key, which the page writes itself).</summary>
    public IEnumerable<(string Name, string Value)> Answers() =>
        !Request.HasFormContentType ? []
        : Request.Form.Where(f => f.Key is not (AntiforgeryField or FormKeyField or "yearId"))
            .SelectMany(f => f.Value.Select(v => (f.Key, v ?? "")));

    /// <summary>Runs the use case in a transaction rolled back: what it would refuse is shown, and nothing is written.</summary>
    protected Task<bool> CheckAsync(Func<Task> work, Func<string, string> fieldFor) =>
        HasErrors ? AttemptAsync(work, fieldFor) : AttemptAsync(() => Db.RolledBackAsync(work), fieldFor);

    /// <summary>
    /// An amount as typed in the category's unit: pounds ("1,234.50") for money, days ("4.5", a day of 7.5 hours) for staff
    /// time, as the school's pages take them. Null, with the error on the field, when it cannot be read.
    /// </summary>
    protected (Money? Amount, long? Minutes) ReadAmount(string field, string label, string unit)
    {
        if (unit == "GBP") return (ReadMoney(field, label), null);
        var text = Typed(field).Trim();
        if (text.Length == 0)
        {
            AddError(field, $"Enter {label}");
            return (null, null);
        }
        var days = ReadQuantity(field, label);
        if (days is null) return (null, null);
        if (days.Value.Hundredths * 450 % 100 != 0)
        {
            AddError(field, $"{char.ToUpperInvariant(label[0])}{label[1..]} must be a whole number of minutes: days to two places, an even number of hundredths, like 4.5");
            return (null, null);
        }
        return (null, days.Value.Hundredths * 450 / 100);
    }

    /// <summary>An amount in its unit as people read it: "£1,234.50", or staff time ("4.5 days").</summary>
    public static string Show(string unit, long amount) =>
        unit == "GBP" ? new Money(amount).ToString() : Gov.StaffTime(amount);

    /// <summary>
    /// Amounts read side by side (a row of a table, a check's "now" and "after"), as <see cref="Show"/> shows them but staff
    /// time all in one unit (<see cref="Minutes.InOneUnit"/>): a row had read "100 days | 0 days | 124 hours | 80 days".
    /// </summary>
    public static Func<long, string> SideBySide(string unit, params IEnumerable<long> figures) =>
        unit == "GBP" ? amount => new Money(amount).ToString() : Minutes.InOneUnit(figures);

    /// <summary>The balance of the year's unallocated account in each unit: what can still be allocated.</summary>
    protected async Task<Dictionary<string, long>> UnallocatedAsync(CancellationToken ct)
    {
        var code = Chart.Unallocated(new ProgrammeRef(Programme.Id, Programme.Code), new YearRef(Year!.Id, Year.Code), Unit.Gbp).Code;
        return await Db.Accounts.AsNoTracking().Where(a => a.ProgrammeId == Programme.Id && a.Code == code)
            .ToDictionaryAsync(a => a.Unit, a => a.CreditsPosted - a.DebitsPosted - a.DebitsPending, ct);
    }
}

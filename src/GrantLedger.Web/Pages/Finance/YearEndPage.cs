using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// What the year-end pages share: the year being closed (the earliest open one unless chosen), what
/// each budget category has left unspent, and finance's choices as typed — one radio group per
/// category ("treatment-{id}": lapse or carry-forward) and the year to carry into ("nextYearId").
/// The choices travel in the query string between the pages, so a change link loses nothing.
/// </summary>
public abstract class YearEndPage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ProgrammeYear? Year { get; private set; }
    public IReadOnlyList<ProgrammeYear> OpenYears { get; private set; } = [];
    public IReadOnlyList<ProgrammeYear> NextYears { get; private set; } = [];
    public IReadOnlyList<Closing.UnspentLine> Unspent { get; private set; } = [];
    public IReadOnlyList<Period> OpenPeriods { get; private set; } = [];
    /// <summary>The year's approved claims not yet paid: closing leaves them payable, for later payment runs.</summary>
    public Closing.StillToPay ToPay { get; private set; } = new(0, 0);
    /// <summary>Today in the UK: the year is offered for closing once its last day is before it.</summary>
    public DateOnly Today { get; } = Core.Ledger.UkTime.Today;
    public bool Ended => Year is not null && Core.Rules.Closes.Ended(Year.EndsOn, Today);
    /// <summary>e.g. "1 September 2027"</summary>
    public string ClosableFrom => Year is null ? "" : Core.Rules.Closes.Long(Core.Rules.Closes.From(Year.EndsOn));

    /// <summary>For a year that has not ended, the use case's refusal in the error summary; true when it has ended.</summary>
    protected Task<bool> EnsureEndedAsync() =>
        AttemptAsync(() =>
        {
            Core.Rules.Closes.EnsureEnded("year-not-ended", Year!.Code, Year.EndsOn, Today);
            return Task.CompletedTask;
        });

    protected long ProgrammeId => Caller.ProgrammeId ?? throw new Core.Rules.Forbidden("finance users belong to one programme");

    protected async Task LoadAsync(long? yearId, CancellationToken ct)
    {
        var years = await Db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).Where(y => y.ProgrammeId == ProgrammeId)
            .OrderBy(y => y.StartsOn).ToListAsync(ct);
        OpenYears = years.Where(y => y.ClosedAt is null).ToList();
        Year = yearId is { } id ? years.SingleOrDefault(y => y.Id == id) ?? throw new Core.Rules.NotFound("programme year", id) : OpenYears.FirstOrDefault();
        if (Year is null) return;
        NextYears = OpenYears.Where(y => y.StartsOn > Year.StartsOn).ToList();
        OpenPeriods = Year.Periods.Where(p => p.ClosedAt is null).OrderBy(p => p.StartsOn).ToList();
        if (Year.ClosedAt is null)
        {
            Unspent = await Closing.UnspentAsync(Db, Caller, ProgrammeId, Year.Id, ct);
            ToPay = await Closing.StillToPayAsync(Db, Year.Id, ct);
        }
    }

    public static string TreatmentField(long categoryId) => $"treatment-{categoryId}";

    protected override IReadOnlyDictionary<string, string> WhenLeftOut =>
        Unspent.ToDictionary(u => TreatmentField(u.CategoryId), u => $"Select if unspent {u.Category} lapses or carries forward")
            .Append(new("nextYearId", "Select the year to carry unspent allocation forward into")).ToDictionary();

    public static string Treatment(string? value) => value == "carry-forward" ? "Carries forward" : "Lapses";

    /// <summary>The choices as typed; missing ones are field errors. Null when any is missing.</summary>
    protected Closing.YearEnd? ReadChoices()
    {
        var rules = new List<Closing.YearEndRule>();
        foreach (var u in Unspent)
        {
            var t = Typed(TreatmentField(u.CategoryId));
            if (t is "lapse" or "carry-forward") rules.Add(new(u.CategoryId, t));
            else LeftOut(TreatmentField(u.CategoryId));
        }
        long? next = null;
        if (rules.Any(r => r.Treatment == "carry-forward"))
        {
            next = ReadId("nextYearId");
            if (NextYears.Count == 0)
                AddError("nextYearId", "There is no later open year to carry forward into: select lapse, or ask the programme admin to add the next year");
            else if (next is null || NextYears.All(y => y.Id != next)) LeftOut("nextYearId");
        }
        return HasErrors ? null : new Closing.YearEnd(rules, next, Typed("fingerprint") is { Length: > 0 } f ? f : null);
    }

    /// <summary>The query string that carries the choices to the next page (or back to change them).</summary>
    public string ChoicesQuery()
    {
        var parts = new List<string> { $"yearId={Year?.Id}" };
        foreach (var u in Unspent)
            if (Typed(TreatmentField(u.CategoryId)) is { Length: > 0 } t) parts.Add($"{TreatmentField(u.CategoryId)}={Uri.EscapeDataString(t)}");
        // an id or nothing: what was typed in place of one is not carried (ReadChoices asks again for it if it is needed)
        if (ParseId(Typed("nextYearId")) is { } n) parts.Add($"nextYearId={n}");
        return string.Join("&", parts);
    }
}

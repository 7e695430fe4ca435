using System.Text.RegularExpressions;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Adds an academic year with the half-terms' dates the admin sets, as <c>POST /api/v1/programmes/{id}/years</c> does with
/// its periods (<see cref="Years.AddAsync"/>): the year's code; then the first day of each half-term after Autumn 1, which
/// begins on 1 September (each half-term ends the day before the next begins, Summer 2 on 31 August); then the six
/// half-terms to check; then the year. The use case checks every step, in a transaction rolled back until the last; the
/// page only turns first days into the six half-terms and says its refusals beside the dates they are about.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed partial class NewYearModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public enum Steps { Code, Dates, Check }

    public Steps Step { get; private set; } = Steps.Code;

    /// <summary>The year after the programme's latest, else the academic year of today: what the code's field offers.</summary>
    public string SuggestedCode { get; private set; } = "";

    /// <summary>The year's code as posted (none is the suggestion only on the first page).</summary>
    public string Code => Request.HasFormContentType ? Typed("code").Trim() : SuggestedCode;

    /// <summary>The calendar year the code's academic year begins in, or null when the code is not one.</summary>
    public int? StartYear => Years.StartYear(Code);

    /// <summary>The half-terms whose first day is asked (Autumn 1 begins on 1 September), each with its date input's name.</summary>
    public static readonly IReadOnlyList<(string Field, string Name)> Asked =
        Years.HalfTerms.Skip(1).Select(h => (h.Code + "StartsOn", h.Name)).ToList();

    /// <summary>The fields the check carries on, hidden, to its confirming form: the code and each date's three parts.</summary>
    public static readonly IReadOnlyList<string> Answers =
        ["code", .. Asked.SelectMany(a => new[] { a.Field + "-day", a.Field + "-month", a.Field + "-year" })];

    /// <summary>The six half-terms checked, to show before the year is added.</summary>
    public IReadOnlyList<Years.NewPeriod> HalfTerms { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } =
        new Dictionary<string, string> { ["code"] = "The academic year" }.Concat(Asked.Select(a => KeyValuePair.Create(a.Field, $"The first day of {a.Name}")))
            .ToDictionary();

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } =
        new Dictionary<string, string> { ["code"] = "Enter the academic year, such as 2027-28" }.Concat(Asked.Select(a => KeyValuePair.Create(a.Field, $"Enter the first day of {a.Name}")))
            .ToDictionary();

    private async Task<long> LoadAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var latest = await Db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == programmeId).MaxAsync(y => (DateOnly?)y.StartsOn, ct);
        var today = Core.Ledger.UkTime.Today;
        var y = latest is { } l ? l.Year + 1 : today.Month >= 9 ? today.Year : today.Year - 1;
        SuggestedCode = $"{y}-{(y + 1) % 100:00}";
        return programmeId;
    }

    /// <summary>Where the programme's set-up lists its years.</summary>
    public string Back => (Caller.ProgrammeId is null ? $"/admin/programme?programmeId={ProgrammeId}" : "/admin/programme") + "#years";

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    /// <summary>The code, checked by the use case (with the usual half-terms, nothing written); then the dates are asked.</summary>
    public async Task<IActionResult> OnPostCodeAsync(CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        Given("code");
        if (await CheckAsync(programmeId, null, ct)) Step = Steps.Dates;
        return Page();
    }

    /// <summary>The dates, checked by the use case with the code (nothing written); then the six half-terms are shown to check.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        var periods = ReadPeriods();
        if (await CheckAsync(programmeId, periods, ct))
        {
            Step = Steps.Check;
            HalfTerms = periods!;
        }
        else Step = AfterRefusal;
        return Page();
    }

    /// <summary>
    /// Where a refusal of the dates' form or of the check's leads: back to the dates as typed, the code among them as a field
    /// of its own when the code was what was refused (a year another admin added meanwhile), so that nothing typed is lost;
    /// to the code alone when it is no academic year at all (its dates cannot be placed).
    /// </summary>
    private Steps AfterRefusal => StartYear is null ? Steps.Code : Steps.Dates;

    /// <summary>Back from the check to the dates, as given.</summary>
    public async Task<IActionResult> OnPostChangeAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        Step = Steps.Dates;
        return Page();
    }

    /// <summary>Adds the year: the answers read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        var periods = ReadPeriods();
        string? added = null;
        var next = await OnceAsync(async () =>
        {
            added = (await AddAsync(programmeId, periods, ct)).Code;
            return Back;
        }, "the year was added");
        if (next is null)
        {
            Step = AfterRefusal;
            return Page();
        }
        if (added is not null) SayDone($"The year {added} was added with its six half-terms");
        return next;
    }

    /// <summary>The first days as typed, made the six half-terms; null when the code is no year (the use case says so).</summary>
    private List<Years.NewPeriod>? ReadPeriods()
    {
        var starts = Asked.Select(a => ReadDate(a.Field, $"the first day of {a.Name}")).ToList();
        if (StartYear is not { } y) return null;
        starts.Insert(0, new DateOnly(y, 9, 1));
        return Years.HalfTerms.Select((h, i) => new Years.NewPeriod(h.Code, starts[i], i < 5 ? starts[i + 1]?.AddDays(-1) : new DateOnly(y + 1, 8, 31)))
            .ToList();
    }

    /// <summary>The use case run in a transaction rolled back: what it would refuse is shown, and nothing is written.</summary>
    private Task<bool> CheckAsync(long programmeId, List<Years.NewPeriod>? periods, CancellationToken ct) =>
        HasErrors ? AttemptAsync(() => AddAsync(programmeId, periods, ct)) : AttemptAsync(() => Db.RolledBackAsync(() => AddAsync(programmeId, periods, ct), ct));

    /// <summary>The use case, its refusals of the half-terms said of the first days the admin typed.</summary>
    private async Task<ProgrammeYear> AddAsync(long programmeId, List<Years.NewPeriod>? periods, CancellationToken ct)
    {
        try
        {
            return await Years.AddAsync(Db, Audit, Caller, programmeId, new Years.NewYear(Code, periods), ct);
        }
        catch (InvalidInput e)
        {
            throw Reworded(e, periods ?? []);
        }
    }

    /// <summary>
    /// A refusal of half-term i (periods[i], periods[i].endsOn, …) is about one of the two first days it lies between: its own,
    /// when that is outside the year; else the next one, outside the year or not after it. One message a date, the year first.
    /// </summary>
    private InvalidInput Reworded(InvalidInput e, List<Years.NewPeriod> periods)
    {
        var said = new Dictionary<string, string>();
        void Say(string field, string message, bool first = false)
        {
            if (first || !said.ContainsKey(field)) said[field] = message;
        }
        var (opens, closes) = StartYear is { } y ? (new DateOnly(y, 9, 1), new DateOnly(y + 1, 8, 31)) : (DateOnly.MinValue, DateOnly.MaxValue);
        bool Outside(int i) => periods[i].StartsOn is { } d && (d < opens || d > closes);
        string Within(int i) => $"{Years.HalfTerms[i].Name} must begin within the academic year, {opens:d MMMM yyyy} to {closes:d MMMM yyyy}";
        string Field(int i) => i is >= 1 and <= 5 ? Asked[i - 1].Field : "";

        foreach (var (key, messages) in e.Errors)
            foreach (var message in messages)
            {
                var m = PeriodKey().Match(key);
                if (key == "code")
                    Say("code", message.StartsWith("must be an academic year")
                        ? "must be written as the year it begins, a hyphen and the next year's last two digits, such as 2027-28" : message);
                else if (!m.Success || periods.Count != 6) Say("", $"The half-terms {message}");
                else
                {
                    var i = int.Parse(m.Groups[1].Value);
                    var ends = m.Groups[2].Value == "endsOn";
                    if (message.StartsWith("is required")) Say(Field(ends ? i + 1 : i), message);
                    else if (i > 0 && Outside(i)) Say(Field(i), Within(i), first: true);
                    else if (i < 5 && Outside(i + 1)) Say(Field(i + 1), Within(i + 1), first: true);
                    else if (i < 5) Say(Field(i + 1), $"{Years.HalfTerms[i + 1].Name} must begin after {Years.HalfTerms[i].Name}, which begins on {periods[i].StartsOn:d MMMM yyyy}");
                    else Say("", $"{Years.HalfTerms[i].Name} {message}");
                }
            }
        return new InvalidInput(said.ToDictionary(s => s.Key, s => new[] { s.Value }));
    }

    [GeneratedRegex(@"^periods\[([0-5])\](?:\.(\w+))?$")] private static partial Regex PeriodKey();
}

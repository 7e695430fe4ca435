using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

[Authorize(Roles = Roles.FunderFinance)]
public sealed class PeriodsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public IReadOnlyList<Period> Periods { get; private set; } = [];
    public string YearCode { get; private set; } = "";
    /// <summary>Today in the UK: a half-term is offered for closing once its last day is before it.</summary>
    public DateOnly Today { get; } = Core.Ledger.UkTime.Today;
    /// <summary>What closing a half-term left in it: its drafts and its claims awaiting a decision.</summary>
    public string? Warning { get; private set; }
    /// <summary>The other years finance works in (started and not closed), each a link to its half-terms.</summary>
    public IReadOnlyList<ProgrammeYear> OtherYears { get; private set; } = [];
    /// <summary>The year shown: ?yearId=, else the current year.</summary>
    [BindProperty(SupportsGet = true)] public long? YearId { get; set; }
    private ProgrammeYear? _year;

    private async Task LoadAsync(CancellationToken ct)
    {
        var programmeId = Caller.ProgrammeId ?? 0;
        _year = YearId is { } id
            ? await Db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).SingleOrDefaultAsync(y => y.Id == id && y.ProgrammeId == programmeId, ct)
              ?? throw new Core.Rules.NotFound("programme year", id)
            : await School.SchoolBudget.CurrentYearAsync(Db, programmeId, ct);
        YearCode = _year?.Code ?? "No year";
        Periods = _year?.Periods.OrderBy(p => p.StartsOn).ToList() ?? [];
        OtherYears = (await School.SchoolBudget.WorkingYearsAsync(Db, programmeId, ct)).Where(y => y.Id != _year?.Id).ToList();
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(long periodId, CancellationToken ct)
    {
        await LoadAsync(ct);
        Closing.PeriodClosed? closed = null;
        if (_year is not null && await AttemptAsync(async () => closed = await Closing.ClosePeriodAsync(Db, Audit, Caller, Caller.ProgrammeId!.Value, _year.Id, periodId, ct)))
        {
            // what the close left in the half-term is told on the page; nothing to tell, it is shown afresh
            if (closed!.Warning is null) return Redirect(YearId is { } shown ? $"/finance/periods?yearId={shown}" : "/finance/periods");
            Warning = closed.Warning;
        }
        await LoadAsync(ct);
        return Page();
    }
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// The programme's payment runs, newest first, 50 a page with the true count (it listed the newest 500 without a word), and
/// building a new one (the maker of maker–checker). The auditor reads the runs of the programme chosen, and the programme's
/// admins theirs, with nothing to do.
/// </summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class RunsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    /// <summary>The reader builds runs and has runs waiting for them: finance, not the auditor or an admin.</summary>
    public bool Builds => Caller.Role == Roles.FunderFinance;

    public const int PageSize = 50;
    public IReadOnlyList<PaymentRunSummary> Runs { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    /// <summary>What each run of the page was built for: its area and half-term.</summary>
    public Func<long?, long?, (string Area, string HalfTerm)> BuiltFor { get; private set; } = (_, _) => ("", "");
    /// <summary>The runs' statuses to list them by, as the API's <c>state</c> names them.</summary>
    public static IReadOnlyList<(string Value, string Text)> States { get; } =
        [("", "All runs"), .. PaymentReads.States.Select(s => (s, Gov.Words(s)))];
    /// <summary>A status was chosen: the list is of the runs found.</summary>
    public bool Filtered { get; private set; }
    public List<(string, string)> Areas { get; private set; } = [];
    public List<(string, string)> Periods { get; private set; } = [];
    public FinanceToDo ToDo { get; private set; } = FinanceToDo.None;
    public string OwedHref => ListOf("/finance/owed", ProgrammeId!.Value);

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["areaId"] = "The area", ["periodId"] = "The half-term", ["asOf"] = "The date", ["state"] = "The status",
    };

    private async Task LoadAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var state = Request.Query["state"].ToString() is { Length: > 0 } asked ? asked : null;
        if (state is not null && !PaymentReads.States.Contains(state))
            AddError("state", "Select the status from the list");
        else
        {
            Filtered = state is not null;
            var runs = await PaymentReads.OfProgrammeAsync(Db, Caller, programmeId, state, ct);
            Paging = Paging.Of(await runs.CountAsync(ct), Typed("page"), PageSize);
            Runs = await PaymentReads.SummariesAsync(runs.OrderByDescending(r => r.Id).Skip(Paging.Skip).Take(PageSize), ct);
            BuiltFor = await PaymentReads.BuiltForAsync(Db, Runs.Select(r => (r.AreaId, r.PeriodId)), ct);
        }
        if (!Builds) return;
        ToDo = await FinanceToDo.ForProgrammeAsync(Db, programmeId, ct);
        Areas = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct, all: "All areas");
        // last year's half-terms too while it is open: its Summer 2 claims are approved and paid in the autumn
        var years = await School.SchoolBudget.WorkingYearsAsync(Db, programmeId, ct);
        Periods = [("", "All half-terms"), .. years.SelectMany(y => y.Periods.OrderBy(p => p.StartsOn).Select(p => (p.Id.ToString(), Programmes.Years.HalfTerm(p.Name, y.Code))))];
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Builds) throw new Core.Rules.Forbidden("payment runs are built by the funder finance team");
        await LoadAsync(ct);
        var asOf = ReadDate("asOf", "the date", required: false);
        var (areaId, periodId) = (ReadId("areaId"), ReadId("periodId"));
        if (HasErrors) return Page(); // a date that could not be read is not today, which the use case takes a date left blank for
        long runId = 0;
        if (await AttemptAsync(async () => runId = (await PaymentRuns.BuildAsync(Db, Audit, Caller, ProgrammeId!.Value,
                new(areaId, periodId, asOf), ct)).Id))
            return Redirect($"/finance/runs/{runId}");
        return Page();
    }
}

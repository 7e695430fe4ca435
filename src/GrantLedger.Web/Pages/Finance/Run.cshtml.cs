using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// A payment run; its buttons are what the run's lifecycle allows this finance user now, under the run's summary. Its payments
/// are listed 100 a page, in the payment file's order, and can be found by school (a name or URN) and by status: a national run
/// pays 1,680 schools, and listed whole it put the buttons below them all. The auditor and the programme's admins read it
/// with no buttons: the run's lifecycle allows its steps to finance alone.
/// </summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class RunModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 100;
    public const int MostSearch = 200;

    /// <summary>A payment's statuses, as the run's payees have them, and how the filter names them.</summary>
    public static IReadOnlyList<(string Value, string Text)> Statuses { get; } =
        [("", "All payments"), ("pending", "Waiting for confirmation"), ("paid", "Paid"), ("failed", "Failed"), ("cancelled", "Cancelled")];

    /// <summary>The run with its totals; its payees are read a page at a time (<see cref="Payees"/>).</summary>
    public PaymentRunView View { get; private set; } = null!;
    /// <summary>A confirmation has come for at least one payment: the run's page says what was paid.</summary>
    public bool AnyConfirmed { get; private set; }
    /// <summary>The area and half-term the run was built for, as the build form names them.</summary>
    public (string Area, string HalfTerm) BuiltFor { get; private set; }
    /// <summary>This page of the payments the filters find (every one of them for the CSV).</summary>
    public IReadOnlyList<PayeeView> Payees { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    /// <summary>A filter was given: the list is of the payments found, not of the run's.</summary>
    public bool Filtered { get; private set; }
    /// <summary>The filters are offered when the run's payments are more than a page, or one was given.</summary>
    public bool ShowFilters => Filtered || View.PayeeCount > PageSize;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["q"] = "The search", ["status"] = "The status" };

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    private Task LoadAsync(long id, CancellationToken ct) => LoadAsync(id, paged: true, ct);

    /// <param name="paged">this page's payments (the page), or every one the filters find (the CSV)</param>
    private async Task LoadAsync(long id, bool paged, CancellationToken ct)
    {
        var q = ReadSearch("q", "The search", MostSearch);
        var status = Filled("status");
        if (status is not null && !Statuses.Any(s => s.Value == status && s.Value != "")) AddError("status", "Select the status from the list");
        Filtered = q is not null || status is not null;
        // a filter that cannot be read lists nothing rather than everything
        var unreadable = ErrorFor("q") is not null || ErrorFor("status") is not null;
        IQueryable<PaymentRunPayee> Found(IQueryable<PaymentRunPayee> payees)
        {
            if (unreadable) return payees.Where(p => false);
            // the schools found as the admin's list and the ledger's claims find them (Schools.Matching), among the run's payees
            if (q is not null)
            {
                var matching = Db.Schools.AsNoTracking().Matching(q).Select(s => s.Id);
                payees = payees.Where(p => matching.Contains(p.SchoolId));
            }
            return status is null ? payees : payees.Where(p => p.Status == status);
        }
        var (view, totals, payees) = await PaymentReads.PageAsync(Db, Caller, id, Found,
            count => paged ? (Paging = Paging.Of(count, Typed("page"), PageSize)).Skip : 0, paged ? PageSize : int.MaxValue, ct);
        (View, Payees) = (view, payees);
        BuiltFor = (await PaymentReads.BuiltForAsync(Db, [(View.AreaId, View.PeriodId)], ct))(View.AreaId, View.PeriodId);
        AnyConfirmed = totals.AnyPayeeConfirmed;
    }

    /// <summary>The payments the filters find, every page of them, as the API's CSV has them.</summary>
    public async Task<IActionResult> OnGetCsvAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, paged: false, ct);
        return HasErrors ? Page() : PaymentReads.PayeesCsv(View, Payees).ForSpreadsheets();
    }

    /// <summary>The CSV's link: this page's filters, no page number.</summary>
    public string CsvHref => SearchHref($"/finance/runs/{View.Id}", ["q", "status"], ("handler", "csv"));

    /// <summary>The table's caption: "2 payments", "Payments 101 to 200 of 1,680"; what the filters found, "1 payment found".</summary>
    public string Caption => Paging.Caption("payment", "payments", Payees.Count) + (Filtered ? " found" : "");

    /// <summary>Back to the runs: of the run's programme, for a reader who may choose among programmes (the auditor).</summary>
    public string RunsHref => ListOf("/finance", View.ProgrammeId);

    /// <summary>The run's page listing only its failed payments.</summary>
    public string FailedHref => $"/finance/runs/{View.Id}?status=failed#payees";

    private async Task<IActionResult> AfterAsync(long id, bool ok, CancellationToken ct)
    {
        if (ok) return Redirect($"/finance/runs/{id}");
        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostApproveAsync(long id, CancellationToken ct) =>
        await AfterAsync(id, await AttemptAsync(() => PaymentRuns.FireAsync(Db, Audit, Caller, id, PaymentRunTrigger.Approve, null, null, ct)), ct);

    public async Task<IActionResult> OnPostExportAsync(long id, CancellationToken ct) =>
        await AfterAsync(id, await AttemptAsync(() => PaymentRuns.ExportAsync(Db, Audit, Caller, id, null, ct)), ct);

    public async Task<IActionResult> OnPostCancelAsync(long id, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(Typed("reason"))) AddError("reason", "Enter the reason for cancelling the run");
        return await AfterAsync(id, await AttemptAsync(() => PaymentRuns.FireAsync(Db, Audit, Caller, id, PaymentRunTrigger.Cancel, Typed("reason"), null, ct)), ct);
    }
}

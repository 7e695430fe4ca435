using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>A payment run; its buttons are what the run's lifecycle allows this finance user now.</summary>
[Authorize(Roles = Roles.FunderFinance)]
public sealed class RunModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public PaymentRunView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await PaymentReads.DetailAsync(Db, Caller, id, ct);

    private async Task<IActionResult> AfterAsync(long id, bool ok, CancellationToken ct)
    {
        if (ok) return Redirect($"/finance/runs/{id}");
        View = await PaymentReads.DetailAsync(Db, Caller, id, ct);
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

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>The payment file of an exported run, byte for byte as it left.</summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class RunFileModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var (run, file) = await PaymentRuns.WithFileAsync(Db, Caller, id, ct);
        if (file is null) return Redirect($"/finance/runs/{id}");
        return File(file, "text/csv; charset=utf-8", $"{run.Reference}.csv");
    }
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Ledger;

[Authorize(Roles = Roles.Staff)]
public sealed class StatementModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Statement Statement { get; private set; } = null!;
    /// <summary>The last value date shown: the as-of date of the ledger page that linked here (asOf), or to, as the API's statement takes it.</summary>
    public DateOnly? UpTo { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, string? asOf, string? to, CancellationToken ct)
    {
        if ((asOf ?? to) is { } text)
        {
            if (!Core.Ledger.IsoDate.TryParse(text, out var date))
                return BadRequest();
            UpTo = date;
        }
        Statement = await LedgerReads.StatementAsync(Db, Caller, id, null, UpTo, ct);
        return Page();
    }
}

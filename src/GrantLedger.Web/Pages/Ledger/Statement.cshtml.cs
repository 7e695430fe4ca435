using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Ledger;

[Authorize(Roles = Roles.Staff)]
public sealed class StatementModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Statement Statement { get; private set; } = null!;
    /// <summary>The last value date shown: the as-of date of the ledger page that linked here (asOf), or to, as the API's statement takes it.</summary>
    public DateOnly? UpTo { get; private set; }

    /// <summary>
    /// The accounts of the statement's programme, as of its date when it has one, as the accounts page that linked here
    /// showed them: "/ledger" alone is the first programme's, now, so an auditor back from a PINS statement read
    /// Difference Matters' accounts at today's balances.
    /// </summary>
    public string BackHref { get; private set; } = "/ledger";

    public async Task<IActionResult> OnGetAsync(long id, string? asOf, string? to, CancellationToken ct)
    {
        if ((asOf ?? to) is { } text)
        {
            if (!Core.Ledger.IsoDate.TryParse(text, out var date))
                return BadRequest();
            UpTo = date;
        }
        Statement = await LedgerReads.StatementAsync(Db, Caller, id, null, UpTo, ct);
        var programmeId = await Db.Accounts.Where(a => a.Id == id).Select(a => a.ProgrammeId).SingleAsync(ct);
        BackHref = $"/ledger?programmeId={programmeId}" + (UpTo is { } d ? $"&asOf-day={d.Day}&asOf-month={d.Month}&asOf-year={d.Year}" : "");
        return Page();
    }
}

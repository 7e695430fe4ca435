using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// An account's transfers with the running balance, 500 a page (PINS's unallocated account has one per school and
/// category allocated: 6,721 rows, 4.4 MB on one page); each balance is the running one over the whole statement. The page
/// reads its own lines from the database, and counts the rest there: it read every line to show 500.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class StatementModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 500;
    /// <summary>The page's lines, with the account.</summary>
    public Statement Statement { get; private set; } = null!;
    /// <summary>The whole statement's count and its opening and closing balances.</summary>
    public StatementTotals Totals { get; private set; } = null!;
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    public IReadOnlyList<StatementLine> Lines { get; private set; } = [];
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
        Totals = await LedgerReads.StatementTotalsAsync(Db, Caller, id, null, UpTo, ct);
        Paging = Paging.Of(Totals.Lines, Request.Query["page"], PageSize);
        Statement = await LedgerReads.StatementAsync(Db, Caller, id, null, UpTo, after: null, limit: PageSize, skip: Paging.Skip, ct);
        Lines = Statement.Lines;
        var programmeId = await Db.Accounts.Where(a => a.Id == id).Select(a => a.ProgrammeId).SingleAsync(ct);
        BackHref = $"/ledger?programmeId={programmeId}" + (UpTo is { } d ? $"&asOf-day={d.Day}&asOf-month={d.Month}&asOf-year={d.Year}" : "");
        return Page();
    }

    public string Caption => Paging.Caption("transfer", "transfers", Lines.Count);
}

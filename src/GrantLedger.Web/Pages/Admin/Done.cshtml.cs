using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>The confirmation of funding, an allocation, a virement or the reversal of one: its journal entry, of the admin's own programme only.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class DoneModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public GrantLedger.Web.Ledger.JournalEntry Entry { get; private set; } = null!;
    public IReadOnlyList<(string Unit, long Amount)> Totals { get; private set; } = [];

    /// <summary>The year whose allocations the entry moved, for "Back to allocations".</summary>
    public long? YearId { get; private set; }

    public async Task OnGetAsync(long entryId, CancellationToken ct)
    {
        var causes = new[] { "funding", "allocation", "virement", "reversal" };
        Entry = await Db.JournalEntries.AsNoTracking().Include(e => e.Transfers)
                    .SingleOrDefaultAsync(e => e.Id == entryId && causes.Contains(e.CauseType), ct) is { } found && Caller.SeesWholeProgramme(found.ProgrammeId)
            ? found : throw new NotFound("journal entry", entryId); // another programme's, as one that does not exist (an admin of every programme sees each)
        // the entry's year, for the way back: from another year's allocations the link led to the current year's
        var account = Entry.Transfers.Select(t => t.CreditAccountId).FirstOrDefault();
        YearId = await Db.Accounts.AsNoTracking().Where(a => a.Id == account).Select(a => a.ProgrammeYearId).FirstOrDefaultAsync(ct);
        Totals = Entry.Transfers.GroupBy(t => t.Unit).OrderBy(g => g.Key == "GBP" ? 0 : 1).Select(g => (g.Key, g.Sum(t => t.Amount))).ToList();
    }

    public string Heading => Entry.CauseType switch
    {
        "funding" => "Funding recorded",
        "allocation" => "Allocation made",
        "reversal" => "Entry reversed",
        _ => "Money moved",
    };
}

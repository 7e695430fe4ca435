using System.Text.Json;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>Closing the year, step 3: the confirmation, with what lapsed and what carried forward (the report the use case returned).</summary>
[Authorize(Roles = Roles.FunderFinance)]
public sealed class YearEndDoneModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Programmes.ProgrammeYear Year { get; private set; } = null!;
    public Closing.YearEndReport? Report { get; private set; }
    /// <summary>The year end's ledger entries, in order: what was unspent on the year's last day, and what claims decided since released.</summary>
    public IReadOnlyList<(long Id, DateOnly ValueDate)> Entries { get; private set; } = [];
    public Closing.StillToPay ToPay { get; private set; } = new(0, 0);

    public async Task OnGetAsync(long yearId, CancellationToken ct)
    {
        var programmeId = Caller.ProgrammeId ?? throw new Core.Rules.Forbidden("finance users belong to one programme");
        Year = await Db.ProgrammeYears.AsNoTracking().SingleOrDefaultAsync(y => y.Id == yearId && y.ProgrammeId == programmeId, ct)
               ?? throw new Core.Rules.NotFound("programme year", yearId);
        if (TempData[YearEndCheckModel.ReportKey] is string json) Report = JsonSerializer.Deserialize<Closing.YearEndReport>(json);
        if (Year.ClosedAt is null) return;
        Entries = (await Db.JournalEntries.AsNoTracking().Where(e => e.ProgrammeId == programmeId && e.CauseType == "year_end" && e.CauseId == yearId)
            .OrderBy(e => e.Id).Select(e => new { e.Id, e.ValueDate }).ToListAsync(ct)).Select(e => (e.Id, e.ValueDate)).ToList();
        ToPay = await Closing.StillToPayAsync(Db, yearId, ct);
    }
}

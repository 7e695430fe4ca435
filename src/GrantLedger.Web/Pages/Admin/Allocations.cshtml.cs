using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// The year's funding, what is still unallocated, its allocations as the API lists them, and its fundings and virements: each
/// with its journal entry and the entry that reversed it, or a link to reverse it.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class AllocationsModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    /// <summary>
    /// A unit's figures for the year, which tie as the workbook's check does: funded + brought forward = allocated to schools (net)
    /// + lapsed + carried forward + unallocated. The year-end's three are the balances of its accounts (<see cref="Core.Ledger.Chart"/>).
    /// </summary>
    public sealed record UnitFigures(string Unit, long Funded, long Unallocated, long? UnallocatedAccountId,
        long BroughtForward = 0, long Lapsed = 0, long CarriedForward = 0);

    /// <summary>Whether a year end moved anything into or out of the year: the funding table then gives what it moved.</summary>
    public bool YearEndMoved => Figures.Any(f => f.BroughtForward != 0 || f.Lapsed != 0 || f.CarriedForward != 0);

    public IReadOnlyList<UnitFigures> Figures { get; private set; } = [];
    public IReadOnlyList<AllocationsController.AllocationItem> Items { get; private set; } = [];
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];

    /// <summary>A funding or a virement of the year: its journal entry, and the entry that reversed it if one did.</summary>
    public sealed record MoneyEntry(DateOnly ValueDate, string Description, string Unit, long Amount, long EntryId, long? ReversedBy);

    public IReadOnlyList<MoneyEntry> Fundings { get; private set; } = [];
    public IReadOnlyList<MoneyEntry> Virements { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        Years = await Db.ProgrammeYears.AsNoTracking().Where(y => y.ProgrammeId == ProgrammeId).OrderByDescending(y => y.StartsOn).ToListAsync(ct);
        if (Year is null) return;
        Items = await AllocationList.ForYearAsync(Db, Caller, ProgrammeId, Year.Id, after: null, limit: null, ct);
        var yearId = Year.Id;
        Fundings = await EntriesAsync("funding", Db.Fundings.Where(f => f.ProgrammeYearId == yearId).Select(f => f.Id), ct);
        Virements = await EntriesAsync("virement", Db.Virements.Where(v => v.ProgrammeYearId == yearId).Select(v => v.Id), ct);
        var prefix = $"{Programme.Code}:{Year.Code}:";
        string[] codes = [prefix + "funding", prefix + "unallocated", prefix + "brought-forward", prefix + "lapsed", prefix + "carried-forward"];
        var accounts = await Db.Accounts.AsNoTracking()
            .Where(a => a.ProgrammeId == ProgrammeId && a.ProgrammeYearId == Year.Id && codes.Contains(a.Code))
            .ToListAsync(ct);
        Figures = accounts.GroupBy(a => a.Unit).OrderBy(g => g.Key == "GBP" ? 0 : 1).Select(g =>
        {
            GrantLedger.Web.Ledger.Account? Of(string purpose) => g.FirstOrDefault(a => a.Code == prefix + purpose);
            long Debit(string purpose) => Of(purpose) is { } a ? a.DebitsPosted - a.CreditsPosted : 0;
            long Credit(string purpose) => Of(purpose) is { } a ? a.CreditsPosted - a.DebitsPosted : 0;
            var unallocated = Of("unallocated");
            return new UnitFigures(g.Key, Debit("funding"),
                unallocated is null ? 0 : unallocated.CreditsPosted - unallocated.DebitsPosted - unallocated.DebitsPending, unallocated?.Id,
                Debit("brought-forward"), Credit("lapsed"), Credit("carried-forward"));
        }).ToList();
    }

    /// <summary>The entries of one cause (each a single transfer: a funding's, a virement's), in the order posted.</summary>
    private async Task<IReadOnlyList<MoneyEntry>> EntriesAsync(string cause, IQueryable<long> causeIds, CancellationToken ct) =>
        await Db.JournalEntries.AsNoTracking()
            .Where(e => e.ProgrammeId == ProgrammeId && e.CauseType == cause && causeIds.Select(id => (long?)id).Contains(e.CauseId))
            .OrderBy(e => e.Id)
            .Select(e => new MoneyEntry(e.ValueDate, e.Description, e.Transfers.Select(t => t.Unit).First(), e.Transfers.Sum(t => t.Amount), e.Id,
                Db.JournalEntries.Where(r => r.ReversesEntryId == e.Id).Select(r => (long?)r.Id).FirstOrDefault()))
            .ToListAsync(ct);
}

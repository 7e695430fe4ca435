using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;
using static GrantLedger.Web.Allocations.AllocationsController;

namespace GrantLedger.Web.Allocations;

/// <summary>A year's allocations as the API lists them and the programme admin's allocations page shows them.</summary>
public static class AllocationList
{
    /// <summary>Each allocation with its journal entry, value date and totals per unit, and the entry that reversed it if one did.</summary>
    /// <param name="after">the API's page: the allocations after this id (null: from the first)</param>
    /// <param name="limit">the API's page: at most this many (null: all of them, as the allocations page shows them)</param>
    public static async Task<IReadOnlyList<AllocationItem>> ForYearAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, long yearId,
        long? after, int? limit, CancellationToken ct)
    {
        caller.EnsureWholeProgramme(programmeId);
        await Years.FindAsync(db, programmeId, yearId, ct);
        var cause = CauseType.Allocation.ToCode();
        var allocations = db.Allocations.AsNoTracking().Where(a => a.ProgrammeYearId == yearId && (after == null || a.Id > after)).OrderBy(a => a.Id);
        var rows = await (
            from a in limit is { } n ? allocations.Take(n) : allocations
            join e in db.JournalEntries on new { Type = cause, Id = (long?)a.Id } equals new { Type = e.CauseType, Id = e.CauseId }
            orderby a.Id
            select new
            {
                Allocation = a, EntryId = e.Id, e.ValueDate,
                Totals = e.Transfers.GroupBy(t => t.Unit).Select(g => new { Unit = g.Key, Amount = g.Sum(t => t.Amount) }).ToList(),
                ReversedBy = db.JournalEntries.Where(r => r.ReversesEntryId == e.Id).Select(r => (long?)r.Id).FirstOrDefault(),
            }).ToListAsync(ct);
        return rows.Select(r => new AllocationItem(r.Allocation.Id, r.Allocation.ProgrammeYearId, r.Allocation.Method, r.Allocation.Description,
            r.Allocation.LineCount, r.Allocation.CreatedBy, r.Allocation.CreatedAt, r.EntryId, r.ValueDate,
            r.Totals.OrderBy(t => t.Unit).Select(t => new Allocate.Total(t.Unit, Amounts.Format(t.Unit, t.Amount))).ToList(), r.ReversedBy)).ToList();
    }
}

using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using ReverseEntry = GrantLedger.Web.Ledger.Reverse;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Reverses a funding, allocation or virement entry of the admin's programme, as POST /api/v1/journal-entries/{id}/reversal
/// does: the entry shown, a reason and a value date checked by the use case (nothing written), what will move back shown to
/// confirm, then posted once. An entry of another cause, or one already reversed, is shown with why, and no form.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ReverseModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["reason"] = "The reason", ["valueDate"] = "The value date",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["reason"] = "Enter the reason for the reversal",
    };

    /// <summary>
    /// One transfer of the entry as it moved: from its debit account to its credit account, by name (a school's with its URN:
    /// schools of one name have accounts of one name) and by id; a reversal moves it back.
    /// </summary>
    public sealed record Move(string Unit, long Amount, string From, string To, long FromId = 0, long ToId = 0);

    public JournalEntry Entry { get; private set; } = null!;
    public IReadOnlyList<Move> Moves { get; private set; } = [];

    public const int MostMovesListed = 20;

    /// <summary>
    /// The moves as the page lists them: each one; or, for an entry of more than <see cref="MostMovesListed"/> (an allocation
    /// to every PINS school has 1,680), summed by unit and the account the money came from, "to 1,680 accounts", its lines
    /// in the journal (<see cref="Summed"/>).
    /// </summary>
    public IReadOnlyList<Move> Listed => Summed
        ? Moves.GroupBy(m => (m.Unit, m.FromId)).Select(g => g.Select(m => m.ToId).Distinct().Count() is var n and > 1
            ? new Move(g.Key.Unit, g.Sum(m => m.Amount), g.First().From, $"{Gov.Number(n)} accounts")
            : new Move(g.Key.Unit, g.Sum(m => m.Amount), g.First().From, g.First().To)).ToList()
        : Moves;

    public bool Summed => Moves.Count > MostMovesListed;
    /// <summary>The year the entry's accounts are of (<see cref="ReverseEntry.YearOfAsync"/>): the reversal is dated in it, and the way back leads to its allocations.</summary>
    public ProgrammeYear? EntryYear { get; private set; }
    /// <summary>Why the entry cannot be reversed here (the use case's words), or null.</summary>
    public string? NotHere { get; private set; }
    /// <summary>The entry that reversed this one, if one did.</summary>
    public long? ReversedBy { get; private set; }

    public string? Reason { get; private set; }
    public DateOnly Dated { get; private set; }

    public string BackHref => EntryYear is { } y ? $"/admin/allocations?yearId={y.Id}" : "/admin/allocations";

    /// <summary>The date a reversal sent without one takes, as the use case dates it.</summary>
    public DateOnly DatedWhenNotGiven => EntryYear is { } y ? BudgetYear.DateWhenNotGiven(y, UkTime.Today) : UkTime.Today;

    private async Task LoadAsync(long entryId, CancellationToken ct)
    {
        if (Caller.ProgrammeId is null) // an admin of every programme: the entry's own
            await ChooseProgrammeAsync(await Db.JournalEntries.AsNoTracking().Where(e => e.Id == entryId).Select(e => (long?)e.ProgrammeId).FirstOrDefaultAsync(ct)
                                       ?? throw new NotFound("journal entry", entryId), ct);
        Entry = await Db.JournalEntries.AsNoTracking().Include(e => e.Transfers)
                    .SingleOrDefaultAsync(e => e.Id == entryId && e.ProgrammeId == ProgrammeId, ct)
                ?? throw new NotFound("journal entry", entryId);
        var transfers = Entry.Transfers.Where(t => t.Kind is "posted" or "post_pending").OrderBy(t => t.Id).ToList();
        var ids = transfers.SelectMany(t => new[] { t.DebitAccountId, t.CreditAccountId }).Distinct().ToList();
        var accounts = await Db.Accounts.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var schoolIds = accounts.Values.Select(a => a.SchoolId).OfType<long>().Distinct().ToList();
        var urns = await Db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.Urn, ct);
        // a school's account is named after the school, and PINS has seven schools of each name: its URN tells them apart
        string Named(long id) => accounts[id] is { SchoolId: { } school } a ? $"{a.Name} (URN {urns[school]})" : accounts[id].Name;
        Moves = transfers.Select(t => new Move(t.Unit, t.Amount, Named(t.DebitAccountId), Named(t.CreditAccountId),
            t.DebitAccountId, t.CreditAccountId)).ToList();
        EntryYear = await ReverseEntry.YearOfAsync(Db, Entry.ProgrammeId, accounts.Values, ct);
        if (!ReverseEntry.Reversible(Entry.CauseType)) NotHere = Capital(ReverseEntry.NotReversibleHere(entryId, Entry.CauseType).Message);
        else if (EntryYear is { } year)
            NotHere = Closed(year); // its year closed at its year end: the reversal would be refused
        ReversedBy = await Db.JournalEntries.AsNoTracking().Where(e => e.ReversesEntryId == entryId).Select(e => (long?)e.Id).FirstOrDefaultAsync(ct);
    }

    public Task OnGetAsync(long entryId, CancellationToken ct) => LoadAsync(entryId, ct);

    private ReverseEntry.Request Read()
    {
        Given("reason");
        var date = ReadDate("valueDate", "the value date", required: false);
        Reason = Filled("reason");
        Dated = date ?? DatedWhenNotGiven;
        return new ReverseEntry.Request(Reason, date);
    }

    /// <summary>The reason and date, checked by the use case (nothing written), then what will move back shown to confirm.</summary>
    public async Task<IActionResult> OnPostAsync(long entryId, CancellationToken ct)
    {
        await LoadAsync(entryId, ct);
        var request = Read();
        Checking = await CheckAsync(() => ReverseEntry.HandleAsync(Db, Audit, Caller, entryId, request, ct), f => f);
        return Page();
    }

    /// <summary>Back from the check to the form, with the answers as given.</summary>
    public async Task<IActionResult> OnPostChangeAsync(long entryId, CancellationToken ct)
    {
        await LoadAsync(entryId, ct);
        return Page();
    }

    /// <summary>Reverses the entry: the answers read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(long entryId, CancellationToken ct)
    {
        await LoadAsync(entryId, ct);
        var request = Read();
        return await OnceAsync(async () =>
        {
            var view = await ReverseEntry.HandleAsync(Db, Audit, Caller, entryId, request, ct);
            return $"/admin/allocations/done/{view.Id}";
        }, $"entry {entryId} was reversed") ?? Page();
    }

    /// <summary>Why the entry was posted, as the journal names it: "Allocation 12".</summary>
    public string Cause => Gov.Record(Entry.CauseType, Entry.CauseId);
}

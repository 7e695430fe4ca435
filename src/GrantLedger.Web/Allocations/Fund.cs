using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;

namespace GrantLedger.Web.Allocations;

/// <summary>Records money (or a pool of staff time) granted for a programme year: funding → unallocated, dated today or earlier.</summary>
public static class Fund
{
    public sealed record Request([property: OneOf(typeof(Units), nameof(Units.Codes))] string? Unit, Core.Money.Money? Amount, long? Minutes, [property: MaxText(MostReference)] string? Reference, DateOnly? ValueDate);

    public const int MostReference = 200;

    /// <param name="ValueDate">the entry's date: the one sent, or, sent without one, today while the year runs and its last day once it has ended</param>
    public sealed record View(long Id, long YearId, string Unit, string Amount, string Reference, long EntryId, DateOnly ValueDate);

    public static async Task<View> HandleAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId,
        Request r, CancellationToken ct)
    {
        var budget = await BudgetYear.LoadForAdminAsync(db, caller, programmeId, yearId, ct);
        var errors = new FieldErrors();
        var unit = r.Unit is null ? (r.Minutes is not null ? Unit.Minutes : Unit.Gbp)
                 : Units.TryParse(r.Unit, out var u) ? u : Unit.Gbp;
        if (r.Unit is not null && !Units.TryParse(r.Unit, out _)) errors.Add("unit", "must be GBP or MIN");
        var amount = new Quantity(r.Amount, r.Minutes).Read(unit, "", errors);
        var reference = errors.Text("reference", r.Reference, MostReference);
        var valueDate = budget.ValueDate(r.ValueDate, errors, "funding is posted once it is granted");
        errors.ThrowIfAny();

        return await db.InTransactionAsync(async () =>
        {
            var funding = new Funding
            {
                ProgrammeId = programmeId, ProgrammeYearId = yearId, Unit = unit.ToCode(), Amount = amount,
                Reference = reference!, CreatedBy = caller.Id,
            };
            db.Fundings.Add(funding);
            await db.SaveChangesAsync(ct);

            var (conn, tx) = await db.NpgsqlAsync(ct);
            var from = Chart.Funding(budget.ProgrammeRef, budget.YearRef, unit);
            var to = Chart.Unallocated(budget.ProgrammeRef, budget.YearRef, unit);
            var ids = await Accounts.EnsureAsync(conn, tx, programmeId, [from, to], ct);
            var entry = await Journal.PostAsync(conn, tx, new EntryDraft(programmeId, valueDate,
                $"Funding {budget.Year.Code}: {funding.Reference}", caller.Id, CauseType.Funding, funding.Id,
                [new TransferDraft(unit, ids[from], ids[to], amount)]), ct);

            audit.Record(AuditAction.FundingPosted, funding.Id, programmeId,
                new { year = budget.Year.Code, unit = unit.ToCode(), amount = Amounts.Format(unit, amount), funding.Reference, entryId = entry.EntryId });
            await db.SaveChangesAsync(ct);
            return new View(funding.Id, yearId, funding.Unit, Amounts.Format(unit, amount), funding.Reference, entry.EntryId, valueDate);
        }, ct);
    }
}

using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Allocations;

/// <summary>
/// A virement: moves allocated budget between categories of a school, or between schools, in one
/// unit: available → available; or takes it back from a school to the year's unallocated budget in its unit
/// (<c>"to": {"unallocated": true}</c>), from where it can be allocated again: a school that closes, or will not spend it.
/// What is reserved by submitted claims cannot be moved. It is dated today or earlier, as a
/// claim's work is (<see cref="NotInTheFuture"/>): it records budget moved, not budget planned.
/// </summary>
public static class Vire
{
    /// <param name="Unallocated">true, as <c>to</c> alone: the year's unallocated budget in the unit of <c>from</c>, with no school or category</param>
    public sealed record Budget(long? SchoolId, [property: MaxText(6, Pattern = Programmes.Schools.UrnPattern)] string? Urn, long? CategoryId,
        bool? Unallocated = null);
    public sealed record Request(Budget? From, Budget? To, Core.Money.Money? Amount, long? Minutes, [property: MaxText(MostReason)] string? Reason, DateOnly? ValueDate);

    public const int MostReason = 500;
    /// <param name="ValueDate">the entry's date: the one sent, or, sent without one, today while the year runs and its last day once it has ended</param>
    public sealed record View(long Id, long YearId, string FromAccount, string ToAccount, string Unit, string Amount, string Reason, long EntryId, DateOnly ValueDate);

    public static async Task<View> HandleAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId,
        Request r, CancellationToken ct)
    {
        var budget = await BudgetYear.LoadForAdminAsync(db, caller, programmeId, yearId, ct);
        var categories = await budget.CategoriesAsync(db, ct);
        var errors = new FieldErrors();
        if (r.From?.Unallocated is true)
            errors.Add("from.unallocated", "budget leaves the unallocated budget by an allocation (POST …/allocations), not a virement");
        var from = await ResolveAsync(db, programmeId, r.From, "from", categories, errors, ct);
        var takeBack = TakesBack(r.To, errors);
        var to = takeBack ? null : await ResolveAsync(db, programmeId, r.To, "to", categories, errors, ct);
        var reason = errors.Text("reason", r.Reason, MostReason); // one line: it becomes the entry's description
        var valueDate = budget.ValueDate(r.ValueDate, errors, "a virement moves budget on the day it is made");
        long amount = 0;
        if (from is not null && (to is not null || takeBack))
        {
            if (to is not null && from.Value.Category.Unit != to.Value.Category.Unit)
                errors.Add("to.categoryId", "a virement moves one unit: both categories must be money, or both staff time");
            else if (to is not null && from.Value.School.Id == to.Value.School.Id && from.Value.Category.Id == to.Value.Category.Id)
                errors.Add("to", "must be a different school or category from 'from'");
            amount = new Quantity(r.Amount, r.Minutes).Read(Units.Parse(from.Value.Category.Unit), "", errors);
        }
        errors.ThrowIfAny();

        var (p, y) = (budget.ProgrammeRef, budget.YearRef);
        var fromSpec = Chart.Available(p, y, BudgetYear.Ref(from!.Value.School), BudgetYear.Ref(from.Value.Category));
        var unit = fromSpec.Unit;
        var toSpec = takeBack ? Chart.Unallocated(p, y, unit) : Chart.Available(p, y, BudgetYear.Ref(to!.Value.School), BudgetYear.Ref(to.Value.Category));
        return await db.InTransactionAsync(async () =>
        {
            var (conn, tx) = await db.NpgsqlAsync(ct);
            var ids = await Accounts.EnsureAsync(conn, tx, programmeId, [fromSpec, toSpec], ct);
            var virement = new Virement
            {
                ProgrammeId = programmeId, ProgrammeYearId = yearId, FromAccountId = ids[fromSpec], ToAccountId = ids[toSpec],
                Unit = unit.ToCode(), Amount = amount, Reason = reason!, CreatedBy = caller.Id,
            };
            db.Virements.Add(virement);
            await db.SaveChangesAsync(ct);
            PostedEntry entry;
            try
            {
                entry = await Journal.PostAsync(conn, tx, new EntryDraft(programmeId, valueDate, $"Virement: {virement.Reason}",
                    caller.Id, CauseType.Virement, virement.Id, [new TransferDraft(unit, ids[fromSpec], ids[toSpec], amount)]), ct);
            }
            catch (LimitExceeded e)
            {
                throw new RuleBroken("virement-exceeds-available",
                    $"{from.Value.School.Name} (URN {from.Value.School.Urn}) has only {unit.Describe(amount - e.Shortfall)} of {from.Value.Category.Name} available " +
                    $"(allocated less claimed and reserved): the virement is {unit.Describe(e.Shortfall)} too much.", 422, "amount",
                    new Dictionary<string, object?>
                    {
                        ["available"] = Amounts.Format(unit, amount - e.Shortfall),
                        ["shortfall"] = Amounts.Format(unit, e.Shortfall),
                    });
            }
            audit.Record(AuditAction.VirementPosted, virement.Id, programmeId,
                new { from = fromSpec.Code, to = toSpec.Code, unit = unit.ToCode(), amount = Amounts.Format(unit, amount), virement.Reason, entryId = entry.EntryId });
            await db.SaveChangesAsync(ct);
            return new View(virement.Id, yearId, fromSpec.Code, toSpec.Code, unit.ToCode(), Amounts.Format(unit, amount), virement.Reason, entry.EntryId, valueDate);
        }, ct);
    }

    /// <summary>Whether <paramref name="to"/> is the year's unallocated budget: <c>unallocated</c> true (false is a school's budget, as
    /// when it is left out), and then no school or category given.</summary>
    private static bool TakesBack(Budget? to, FieldErrors errors)
    {
        if (to?.Unallocated is not true) return false;
        foreach (var (field, given) in new[] { ("schoolId", to.SchoolId is not null), ("urn", to.Urn is not null), ("categoryId", to.CategoryId is not null) })
            if (given)
                errors.Add($"to.{field}", "is not given with unallocated: budget goes back to the year's unallocated budget in the unit of 'from'");
        return true;
    }

    private static async Task<(School School, BudgetCategory Category)?> ResolveAsync(GrantLedgerDb db, long programmeId, Budget? b,
        string field, Dictionary<long, BudgetCategory> categories, FieldErrors errors, CancellationToken ct)
    {
        if (b is null)
        {
            errors.Add(field, "is required: give schoolId (or urn) and categoryId");
            return null;
        }
        if (b.SchoolId is not null && b.Urn is not null)
        {
            errors.Add($"{field}.urn", Allocate.BothSchoolIdAndUrn);
            return null;
        }
        var school = await db.Schools.AsNoTracking()
            .Where(s => s.ProgrammeId == programmeId && (b.SchoolId != null ? s.Id == b.SchoolId : s.Urn == b.Urn))
            .SingleOrDefaultAsync(ct);
        if (school is null)
            errors.Add(b.SchoolId is null && b.Urn is not null ? $"{field}.urn" : $"{field}.schoolId",
                b.SchoolId is null && b.Urn is null ? "give schoolId or urn" : "no such school in this programme");
        if (b.CategoryId is not { } cid || !categories.TryGetValue(cid, out var category))
        {
            errors.Add($"{field}.categoryId", b.CategoryId is null ? "is required" : $"category {b.CategoryId} is not a category of this programme");
            return null;
        }
        return school is null ? null : (school, category);
    }
}

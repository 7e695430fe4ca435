using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Allocations;

/// <summary>
/// Allocates a year's unallocated budget to schools, per category: explicit amounts per school,
/// one total split across chosen schools by the largest-remainder rule (the parts sum exactly and
/// differ by at most 1p), or the same amount to each. One journal entry, one transfer per school
/// and category, all or nothing; more than is unallocated is refused, saying by how much. It is dated
/// today or earlier (<see cref="NotInTheFuture"/>): an allocation dated ahead could be claimed at once.
/// </summary>
public static class Allocate
{
    /// <summary>
    /// A school is named by its id or its URN, not both: given both, the id was used and the URN ignored without a word, so
    /// money went to a school the request did not ask for when they differed (found in a review of the API).
    /// </summary>
    public const string BothSchoolIdAndUrn = "give schoolId or urn, not both";

    public sealed record Line(long? SchoolId, [property: MaxText(6, Pattern = Programmes.Schools.UrnPattern)] string? Urn, long? CategoryId, Money? Amount, long? Minutes);

    /// <summary>Which schools share (split) or each receive (each) the amount.</summary>
    public sealed record Spread(long? CategoryId, Money? Amount, long? Minutes, List<long>? SchoolIds, List<long>? AreaIds, bool? AllSchools);

    public sealed record Request(DateOnly? ValueDate, [property: MaxText(MostDescription)] string? Description, List<Line>? Lines, Spread? Split, Spread? Each);

    public const int MostDescription = 500;

    public sealed record Total(string Unit, string Amount);
    /// <param name="ValueDate">the entry's date: the one sent, or, sent without one, today while the year runs and its last day once it has ended</param>
    public sealed record View(long Id, long YearId, string Method, string Description, int LineCount, IReadOnlyList<Total> Totals, long EntryId, DateOnly ValueDate);

    private sealed record Planned(School School, BudgetCategory Category, long Amount);

    public static async Task<View> HandleAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId,
        Request r, CancellationToken ct)
    {
        var budget = await BudgetYear.LoadForAdminAsync(db, caller, programmeId, yearId, ct);
        var errors = new FieldErrors();
        var valueDate = budget.ValueDate(r.ValueDate, errors, "a school can claim its allocation from the day it is given");
        if (new[] { r.Lines is not null, r.Split is not null, r.Each is not null }.Count(x => x) != 1)
            errors.Add("lines", "give exactly one of lines (an amount per school), split (one total shared) or each (the same amount to each school)");
        var given = errors.Text("description", r.Description, MostDescription, required: false); // one line: the entry's description
        errors.ThrowIfAny();

        var categories = await budget.CategoriesAsync(db, ct);
        var schools = await db.Schools.AsNoTracking().Where(s => s.ProgrammeId == programmeId).ToListAsync(ct);
        var plan = r.Lines is not null
            ? FromLines(r.Lines, schools, categories, errors)
            : FromSpread(r.Split ?? r.Each!, r.Split is not null ? "split" : "each", schools,
                await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).Select(a => a.Id).ToListAsync(ct), categories, errors);
        errors.ThrowIfAny();

        var method = r.Lines is not null ? "explicit" : r.Split is not null ? "split" : "each";
        var description = given ?? $"Allocation {budget.Year.Code}";
        var totals = plan.GroupBy(p => p.Category.Unit).Select(g => new Total(g.Key, Amounts.Format(g.Key, g.Sum(p => p.Amount)))).ToList();

        return await db.InTransactionAsync(async () =>
        {
            var allocation = new Allocation
            {
                ProgrammeId = programmeId, ProgrammeYearId = yearId, Method = method, Description = description,
                LineCount = plan.Count, CreatedBy = caller.Id,
            };
            db.Allocations.Add(allocation);
            await db.SaveChangesAsync(ct);

            var (p, y) = (budget.ProgrammeRef, budget.YearRef);
            var targets = plan.Select(x => Chart.Available(p, y, BudgetYear.Ref(x.School), BudgetYear.Ref(x.Category))).ToList();
            var sources = targets.Select(t => t.Unit).Distinct().ToDictionary(unit => unit, unit => Chart.Unallocated(p, y, unit));
            var (conn, tx) = await db.NpgsqlAsync(ct);
            var ids = await Accounts.EnsureAsync(conn, tx, programmeId, [.. targets, .. sources.Values], ct);
            var transfers = plan.Select((x, i) =>
                new TransferDraft(targets[i].Unit, ids[sources[targets[i].Unit]], ids[targets[i]], x.Amount)).ToList();

            PostedEntry entry;
            try
            {
                entry = await Journal.PostAsync(conn, tx,
                    new EntryDraft(programmeId, valueDate, description, caller.Id, CauseType.Allocation, allocation.Id, transfers), ct);
            }
            catch (LimitExceeded e)
            {
                var requested = plan.Where(x => Units.Parse(x.Category.Unit) == e.Unit).Sum(x => x.Amount);
                var left = requested - e.Shortfall;
                throw new RuleBroken("allocation-exceeds-unallocated",
                    $"The allocation gives {e.Unit.Describe(requested)} but " +
                    (left == 0 ? $"nothing of that unit is unallocated in {budget.Year.Code}: fund the year with it first."
                        : $"only {e.Unit.Describe(left)} is unallocated in {budget.Year.Code}: it is {e.Unit.Describe(e.Shortfall)} too much."), 422,
                    details: new Dictionary<string, object?>
                    {
                        ["unit"] = e.Unit.ToCode(),
                        ["requested"] = Amounts.Format(e.Unit, requested),
                        ["unallocated"] = Amounts.Format(e.Unit, requested - e.Shortfall),
                        ["shortfall"] = Amounts.Format(e.Unit, e.Shortfall),
                    });
            }

            audit.Record(AuditAction.AllocationPosted, allocation.Id, programmeId,
                new { year = budget.Year.Code, method, description, lines = plan.Count, totals, entryId = entry.EntryId });
            await db.SaveChangesAsync(ct);
            return new View(allocation.Id, yearId, method, description, plan.Count, totals, entry.EntryId, valueDate);
        }, ct);
    }

    private static List<Planned> FromLines(List<Line> lines, List<School> schools, Dictionary<long, BudgetCategory> categories, FieldErrors errors)
    {
        if (lines.Count == 0) errors.Add("lines", "must have at least one line");
        var byId = schools.ToDictionary(s => s.Id);
        var byUrn = schools.ToDictionary(s => s.Urn);
        var plan = new List<Planned>(lines.Count);
        var seen = new HashSet<(long, long)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var field = $"lines[{i}].";
            School? school = null;
            if (line.SchoolId is not null && line.Urn is not null) errors.Add(field + "urn", BothSchoolIdAndUrn);
            else if (line.SchoolId is { } id && !byId.TryGetValue(id, out school)) errors.Add(field + "schoolId", $"school {id} is not in this programme");
            else if (line.SchoolId is null && line.Urn is { } urn && !byUrn.TryGetValue(urn, out school)) errors.Add(field + "urn", $"no school with URN {urn} is in this programme");
            else if (line.SchoolId is null && line.Urn is null) errors.Add(field + "schoolId", "give schoolId or urn");
            BudgetCategory? category = null;
            if (line.CategoryId is not { } cid || !categories.TryGetValue(cid, out category))
                errors.Add(field + "categoryId", line.CategoryId is null ? "is required" : $"category {line.CategoryId} is not a category of this programme");
            if (category is null) continue;
            var amount = new Quantity(line.Amount, line.Minutes).Read(Units.Parse(category.Unit), field, errors);
            if (school is null) continue;
            if (!seen.Add((school.Id, category.Id))) errors.Add(field + "categoryId", $"{school.Name} (URN {school.Urn}) already has a line for {category.Name}");
            plan.Add(new Planned(school, category, amount));
        }
        return plan;
    }

    private static List<Planned> FromSpread(Spread s, string name, List<School> schools, IReadOnlyCollection<long> areaIds,
        Dictionary<long, BudgetCategory> categories, FieldErrors errors)
    {
        if (s.CategoryId is not { } cid || !categories.TryGetValue(cid, out var category))
        {
            errors.Add($"{name}.categoryId", s.CategoryId is null ? "is required" : $"category {s.CategoryId} is not a category of this programme");
            return [];
        }
        var amount = new Quantity(s.Amount, s.Minutes).Read(Units.Parse(category.Unit), $"{name}.", errors);
        if (amount <= 0) return [];
        var chosen = (s.AllSchools == true, s.SchoolIds, s.AreaIds) switch
        {
            (true, null, null) => schools,
            (false, { } ids, null) => schools.Where(x => ids.Contains(x.Id)).ToList(),
            (false, null, { } areas) => schools.Where(x => areas.Contains(x.AreaId)).ToList(),
            _ => null,
        };
        if (chosen is null)
        {
            errors.Add($"{name}.schoolIds", "choose the schools with exactly one of schoolIds, areaIds or allSchools: true");
            return [];
        }
        // each refusal names the field the request chose its schools by
        var by = s.SchoolIds is not null ? "schoolIds" : s.AreaIds is not null ? "areaIds" : "allSchools";
        if (s.SchoolIds is { } wanted && wanted.Except(chosen.Select(x => x.Id)).FirstOrDefault() is var unknown and not 0)
            errors.Add($"{name}.schoolIds", $"school {unknown} is not in this programme");
        if (s.AreaIds is { } givenAreas && givenAreas.Except(areaIds).FirstOrDefault() is var unknownArea and not 0)
            errors.Add($"{name}.areaIds", $"area {unknownArea} is not an area of this programme");
        // named twice is refused, as a school and category twice in lines is: merged without a word, a split over [1, 1, 2]
        // gave each school half, where the list asked for thirds
        foreach (var (field, ids) in new[] { ("schoolIds", s.SchoolIds), ("areaIds", s.AreaIds) })
            if (ids?.GroupBy(x => x).FirstOrDefault(g => g.Count() > 1) is { } twice)
                errors.Add($"{name}.{field}", $"{(field == "schoolIds" ? "school" : "area")} {twice.Key} is named more than once");
        if (chosen.Count == 0)
        {
            if (!errors.Any) errors.Add($"{name}.{by}", by == "areaIds" ? "no school of this programme is in the areas chosen" : "no schools chosen");
            return [];
        }
        chosen = chosen.OrderBy(x => x.Urn).ToList();
        var shares = name == "split" ? Split.Evenly(amount, chosen.Count) : Enumerable.Repeat(amount, chosen.Count).ToArray();
        if (shares.Any(x => x == 0)) errors.Add($"{name}.amount", $"is too small to give every one of the {chosen.Count} schools something");
        return chosen.Select((school, i) => new Planned(school, category, shares[i])).ToList();
    }
}

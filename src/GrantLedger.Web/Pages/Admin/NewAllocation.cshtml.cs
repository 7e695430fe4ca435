using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Allocates one category's money (or staff time) to the programme's schools, or one area's: the same to each, or a total split
/// by the largest remainder, as POST …/allocations does with "each" or "split", after checking the answers.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class NewAllocationModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    public static readonly IReadOnlyList<(string, string)> Methods =
        [("each", "The same to each school"), ("split", "Split a total between them (the pennies left over go one each, largest remainder first)")];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["categoryId"] = "The category", ["schools"] = "The schools", ["method"] = "How", ["amount"] = "The amount",
        ["valueDate"] = "The value date", ["description"] = "The description",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["categoryId"] = "Select the budget category", ["schools"] = "Select which schools", ["method"] = "Select how to allocate",
    };

    public IReadOnlyList<BudgetCategory> Categories { get; private set; } = [];
    public IReadOnlyList<(string Value, string Text)> SchoolChoices { get; private set; } = [];

    /// <summary>What the check shows: the category, the schools, each one's share, the total and what is left unallocated after.</summary>
    public sealed record Plan(BudgetCategory Category, string Schools, long Least, long Most, long Total, long UnallocatedBefore, DateOnly Dated);
    public Plan? Checked { get; private set; }

    private List<Programmes.School> _schools = [];

    private async Task LoadAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        Categories = await Db.CategoriesOf(ProgrammeId).ToListAsync(ct);
        _schools = await Db.Schools.AsNoTracking().Where(s => s.ProgrammeId == ProgrammeId).ToListAsync(ct);
        var areas = await Db.Areas.AsNoTracking().Where(a => a.ProgrammeId == ProgrammeId).OrderBy(a => a.Name).ToListAsync(ct);
        SchoolChoices = [("all", $"All the programme's schools ({_schools.Count})"),
            .. areas.Select(a => ($"area-{a.Id}", $"The schools of {a.Name} ({_schools.Count(s => s.AreaId == a.Id)})"))];
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    private static string FieldOf(string f)
    {
        var name = f.StartsWith("split.") ? f[6..] : f.StartsWith("each.") ? f[5..] : f;
        return name switch { "minutes" => "amount", "schoolIds" or "areaIds" or "allSchools" => "schools", "lines" => "method", "" => "amount", _ => name }; // a shortfall is of the amount
    }

    private (Allocate.Request Request, BudgetCategory? Category, List<Programmes.School> Chosen) Read()
    {
        var categoryId = Given("categoryId") ? ReadId("categoryId") : null;
        var category = Categories.FirstOrDefault(c => c.Id == categoryId);
        if (categoryId is not null && category is null) AddError("categoryId", WhenLeftOut["categoryId"]);
        var schools = Given("schools") ? ReadChoice("schools", SchoolChoices.Select(c => c.Value), WhenLeftOut["schools"]) : null;
        var method = Given("method") ? ReadChoice("method", Methods.Select(m => m.Item1), WhenLeftOut["method"]) : null;
        var (money, minutes) = ReadAmount("amount", "the amount", category?.Unit ?? "GBP");
        var date = ReadDate("valueDate", "the value date", required: false);
        var description = Filled("description");
        long? areaId = schools?.StartsWith("area-") == true ? long.Parse(schools[5..]) : null;
        var spread = new Allocate.Spread(categoryId, money, minutes, null, areaId is null ? null : [areaId.Value], schools == "all" ? true : null);
        var chosen = schools is null ? [] : _schools.Where(s => schools == "all" || s.AreaId == areaId).ToList();
        return (new Allocate.Request(date, description, null, method == "split" ? spread : null, method == "split" ? null : spread), category, chosen);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var (request, category, chosen) = Read();
        if (await CheckAsync(() => Allocate.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct), FieldOf))
        {
            var spread = (request.Split ?? request.Each)!;
            var amount = category!.Unit == "GBP" ? spread.Amount!.Value.Pence : spread.Minutes!.Value;
            var shares = request.Split is not null ? Core.Money.Split.Evenly(amount, chosen.Count) : Enumerable.Repeat(amount, chosen.Count).ToArray();
            var unallocated = (await UnallocatedAsync(ct)).GetValueOrDefault(category.Unit);
            Checking = true;
            Checked = new Plan(category, SchoolChoices.First(c => c.Value == Typed("schools")).Text, shares.Min(), shares.Max(),
                shares.Sum(), unallocated, DatedOn(request.ValueDate));
        }
        return Page();
    }

    public async Task<IActionResult> OnPostChangeAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Allocates: the answers read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var (request, _, _) = Read();
        return await OnceAsync(async () =>
        {
            var view = await Allocate.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct);
            return $"/admin/allocations/done/{view.EntryId}";
        }, "the allocation was made") ?? Page();
    }
}

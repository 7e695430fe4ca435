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
/// Allocates one category's money (or staff time) to one school, as POST …/allocations does with one of its <c>lines</c>, after
/// checking the answers: the school chosen from a list, or typed by its URN in a programme of more schools than a list can hold.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class SchoolAllocationModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["schoolId"] = "The school", ["schoolUrn"] = "The school's URN", ["categoryId"] = "The category", ["amount"] = "The amount",
        ["valueDate"] = "The value date", ["description"] = "The description",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["schoolId"] = "Select the school", ["schoolUrn"] = "Enter the URN of the school", ["categoryId"] = "Select the budget category",
    };

    public IReadOnlyList<BudgetCategory> Categories { get; private set; } = [];

    /// <summary>What the check shows: the school and category, the amount, what the school has available now, and what is left unallocated after.</summary>
    public sealed record Plan(Programmes.School School, BudgetCategory Category, long Amount, long AvailableNow, long UnallocatedBefore, DateOnly Dated);
    public Plan? Checked { get; private set; }

    private async Task LoadAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        Categories = await Db.CategoriesOf(ProgrammeId).ToListAsync(ct);
        await LoadSchoolChoicesAsync(ct);
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    private string FieldOf(string f) => f switch
    {
        "lines[0].schoolId" or "lines[0].urn" => ByUrn ? "schoolUrn" : "schoolId", "lines[0].categoryId" => "categoryId",
        "lines[0].amount" or "lines[0].minutes" or "lines" or "" => "amount", // a shortfall is of the amount
        _ => f,
    };

    private (Allocate.Request Request, BudgetCategory? Category) Read()
    {
        var school = ReadSchool("schoolId", "schoolUrn");
        var categoryId = Given("categoryId") ? ReadId("categoryId") : null;
        var category = Categories.FirstOrDefault(c => c.Id == categoryId);
        if (categoryId is not null && category is null) AddError("categoryId", WhenLeftOut["categoryId"]);
        var (money, minutes) = ReadAmount("amount", "the amount", category?.Unit ?? "GBP");
        var date = ReadDate("valueDate", "the value date", required: false);
        return (new Allocate.Request(date, Filled("description"), [new Allocate.Line(school.SchoolId, school.Urn, categoryId, money, minutes)], null, null), category);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var (request, category) = Read();
        if (await CheckAsync(() => Allocate.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct), FieldOf))
        {
            var line = request.Lines![0];
            var school = await Db.Schools.AsNoTracking()
                .SingleAsync(s => s.ProgrammeId == ProgrammeId && (line.SchoolId != null ? s.Id == line.SchoolId : s.Urn == line.Urn), ct);
            var figures = (await School.SchoolBudget.ForSchoolAsync(Db, school.Id, Year.Id, ct)).FirstOrDefault(f => f.CategoryId == category!.Id);
            Checking = true;
            Checked = new Plan(school, category!, line.Amount?.Pence ?? line.Minutes!.Value, figures?.Figures.Available ?? 0,
                (await UnallocatedAsync(ct)).GetValueOrDefault(category!.Unit), DatedOn(request.ValueDate));
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
        var (request, _) = Read();
        return await OnceAsync(async () =>
        {
            var view = await Allocate.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct);
            return $"/admin/allocations/done/{view.EntryId}";
        }, "the allocation was made") ?? Page();
    }
}

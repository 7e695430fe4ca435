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
/// Moves allocated budget from one school's category to another's (or the same school's other category), or takes it back
/// to the year's unallocated budget, as POST …/virements does.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class VirementModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["fromSchoolId"] = "The school to move from", ["fromCategoryId"] = "The category to move from", ["toSchoolId"] = "The school to move to",
        ["fromUrn"] = "The URN of the school to move from", ["toUrn"] = "The URN of the school to move to",
        ["toCategoryId"] = "The category to move to", ["amount"] = "The amount", ["reason"] = "The reason", ["valueDate"] = "The value date",
        ["toKind"] = "Where the money goes",
    };

    public const string ToUnallocated = "unallocated";
    public static readonly IReadOnlyList<(string Value, string Text)> ToKinds =
    [
        ("school", "A school's budget: the school and category below"),
        (ToUnallocated, "Back to the programme's unallocated budget for the year, to allocate again"),
    ];

    /// <summary>Whether the money goes back to the year's unallocated budget rather than to a school's.</summary>
    public bool TakesBack => Typed("toKind") == ToUnallocated;

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["fromSchoolId"] = "Select the school to move from", ["fromCategoryId"] = "Select the category to move from",
        ["toSchoolId"] = "Select the school to move to", ["toCategoryId"] = "Select the category to move to",
        ["fromUrn"] = "Enter the URN of the school to move from", ["toUrn"] = "Enter the URN of the school to move to",
        ["reason"] = "Enter the reason for the virement",
    };

    public IReadOnlyList<BudgetCategory> Categories { get; private set; } = [];

    /// <summary>What the check shows: each side with what it has available now.</summary>
    public sealed record Side(Programmes.School School, BudgetCategory Category, long AvailableNow);
    /// <param name="To">the school's budget it goes to, or null: back to the year's unallocated budget</param>
    public sealed record Plan(Side From, Side? To, long Amount, string Reason, DateOnly Dated);
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
        "from" or "from.schoolId" or "from.urn" => ByUrn ? "fromUrn" : "fromSchoolId", "from.categoryId" => "fromCategoryId",
        "to.schoolId" or "to.urn" => ByUrn ? "toUrn" : "toSchoolId", "to" or "to.categoryId" => "toCategoryId", "minutes" => "amount",
        "to.unallocated" => "toKind", _ => f,
    };

    private Vire.Request Read()
    {
        long? Id(string field) => Given(field) ? ReadId(field) : null;
        var (fromSchool, fromCategory) = (ReadSchool("fromSchoolId", "fromUrn"), Id("fromCategoryId"));
        var kind = Filled("toKind");
        if (kind is not (null or "school" or ToUnallocated)) AddError("toKind", "Select where the money goes");
        // the school and category below are for a school's budget: typed, then money sent back, they are left aside
        Vire.Budget To()
        {
            var (school, category) = (ReadSchool("toSchoolId", "toUrn"), Id("toCategoryId"));
            return new Vire.Budget(school.SchoolId, school.Urn, category);
        }
        var from = new Vire.Budget(fromSchool.SchoolId, fromSchool.Urn, fromCategory);
        var to = TakesBack ? new Vire.Budget(null, null, null, Unallocated: true) : To();
        var unit = Categories.FirstOrDefault(c => c.Id == fromCategory)?.Unit ?? "GBP";
        var (money, minutes) = ReadAmount("amount", "the amount", unit);
        Given("reason");
        var date = ReadDate("valueDate", "the value date", required: false);
        return new Vire.Request(from, to, money, minutes,
            Filled("reason"), date);
    }

    private async Task<Side> SideAsync(Vire.Budget b, CancellationToken ct)
    {
        var school = await Db.Schools.AsNoTracking().SingleAsync(s => (b.SchoolId != null ? s.Id == b.SchoolId : s.Urn == b.Urn) && s.ProgrammeId == ProgrammeId, ct);
        var category = Categories.Single(c => c.Id == b.CategoryId);
        var figures = (await School.SchoolBudget.ForSchoolAsync(Db, school.Id, Year!.Id, ct)).FirstOrDefault(f => f.CategoryId == category.Id);
        return new Side(school, category, figures?.Figures.Available ?? 0);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var request = Read();
        if (await CheckAsync(() => Vire.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct), FieldOf))
        {
            var from = await SideAsync(request.From!, ct);
            Checking = true;
            Checked = new Plan(from, TakesBack ? null : await SideAsync(request.To!, ct), request.Amount?.Pence ?? request.Minutes!.Value, request.Reason!,
                DatedOn(request.ValueDate));
        }
        return Page();
    }

    public async Task<IActionResult> OnPostChangeAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Moves the money: the answers read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var request = Read();
        return await OnceAsync(async () =>
        {
            var view = await Vire.HandleAsync(Db, Audit, Caller, ProgrammeId, Year.Id, request, ct);
            return $"/admin/allocations/done/{view.EntryId}";
        }, "the money was moved") ?? Page();
    }
}

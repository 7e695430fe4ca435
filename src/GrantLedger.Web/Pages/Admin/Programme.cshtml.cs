using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// The programme's set-up: its years with their half-terms (a year is added on a page of its own, <see cref="NewYearModel"/>),
/// its areas and its budget categories, each added as the API's POST adds it (<see cref="SetUp.AddAreaAsync"/>,
/// <see cref="SetUp.AddCategoryAsync"/>). The two forms' fields are named apart (areaCode, categoryCode, …) so that each
/// refusal is told beside its own form's field.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ProgrammeModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public Programme Programme { get; private set; } = null!;
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public IReadOnlyList<Area> Areas { get; private set; } = [];
    public IReadOnlyList<BudgetCategory> Categories { get; private set; } = [];

    public static readonly (string, string)[] Kinds = CategoryKinds.All.Select(k => (k, Gov.CategoryKind(k))).ToArray();

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["areaCode"] = "The area's code", ["areaName"] = "The area's name",
        ["categoryCode"] = "The category's code", ["categoryName"] = "The category's name", ["categoryKind"] = "The kind of category",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["areaCode"] = "Enter the area's code", ["areaName"] = "Enter the area's name",
        ["categoryCode"] = "Enter the category's code", ["categoryName"] = "Enter the category's name", ["categoryKind"] = "Select the kind of category",
    };

    private async Task<long> LoadAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        Programme = await Db.Programmes.AsNoTracking().SingleAsync(p => p.Id == programmeId, ct);
        Years = await Db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).Where(y => y.ProgrammeId == programmeId).OrderBy(y => y.StartsOn).ToListAsync(ct);
        Areas = await Db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).OrderBy(a => a.Name).ToListAsync(ct);
        Categories = await Db.CategoriesOf(programmeId).ToListAsync(ct);
        return programmeId;
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    private string Back(long programmeId, string anchor) => (Caller.ProgrammeId is null ? $"/admin/programme?programmeId={programmeId}" : "/admin/programme") + anchor;

    /// <summary>Runs one form's use case once per its key; its fields' refusals named as the page names them (code → areaCode).</summary>
    private async Task<IActionResult> AddAsync(string prefix, Func<long, Task<string>> add, string done, CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        string? said = null;
        var next = await OnceAsync(async () =>
        {
            try
            {
                said = await add(programmeId);
            }
            catch (Core.Rules.InvalidInput e)
            {
                throw new Core.Rules.InvalidInput(e.Errors.ToDictionary(kv => Named(prefix, kv.Key), kv => kv.Value));
            }
            catch (Core.Rules.RuleBroken e) when (e.Field is { } field)
            {
                throw new Core.Rules.RuleBroken(e.Rule, e.Message, e.Status, Named(prefix, field), e.Details);
            }
            return Back(programmeId, prefix == "category" ? "#categories" : "#areas");
        }, done);
        if (next is null)
        {
            await LoadAsync(ct);
            return Page();
        }
        if (said is not null) SayDone(said);
        return next;
    }

    private static string Named(string prefix, string field) => field.Length == 0 ? prefix + "Code" : prefix + char.ToUpperInvariant(field[0]) + field[1..];

    public async Task<IActionResult> OnPostAreaAsync(CancellationToken ct)
    {
        Given("areaCode");
        return await AddAsync("area", async programmeId =>
        {
            var area = await SetUp.AddAreaAsync(Db, Audit, Caller, programmeId, new SetUp.NewArea(Typed("areaCode").Trim(), Typed("areaName")), ct);
            return $"The area {area.Name} was added";
        }, "the area was added", ct);
    }

    public async Task<IActionResult> OnPostCategoryAsync(CancellationToken ct)
    {
        Given("categoryCode");
        Given("categoryKind");
        return await AddAsync("category", async programmeId =>
        {
            var category = await SetUp.AddCategoryAsync(Db, Audit, Caller, programmeId,
                new SetUp.NewCategory(Typed("categoryCode").Trim(), Typed("categoryName"), null, Typed("categoryKind")), ct);
            return $"The budget category {category.Name} was added";
        }, "the budget category was added", ct);
    }
}

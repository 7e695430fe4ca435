using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// An area or a budget category renamed, as <c>PATCH /api/v1/areas/{id}</c> and <c>PATCH /api/v1/categories/{id}</c> do
/// (<see cref="Corrections"/>): the code, and a category's kind and unit, stay.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ChangeNameModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>"area" or "budget category", as the page says it.</summary>
    public string What { get; private set; } = "";
    public string Code { get; private set; } = "";
    public string Name { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["name"] = "The name" };
    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["name"] = "Enter the name" };

    /// <summary>The area or category, when it is one of the caller's programme's; another programme's is not found, as if it were not there.</summary>
    private async Task LoadAsync(string kind, long id, CancellationToken ct)
    {
        var found = kind == "areas"
            ? await Db.Areas.AsNoTracking().Where(a => a.Id == id).Select(a => new Found("area", a.ProgrammeId, a.Code, a.Name)).SingleOrDefaultAsync(ct)
            : await Db.Categories.AsNoTracking().Where(c => c.Id == id).Select(c => new Found("budget category", c.ProgrammeId, c.Code, c.Name)).SingleOrDefaultAsync(ct);
        if (found is null || !Caller.SeesWholeProgramme(found.ProgrammeId)) throw new NotFound(kind == "areas" ? "area" : "budget category", id);
        (What, Code, Name) = (found.What, found.Code, found.Name);
    }

    private sealed record Found(string What, long ProgrammeId, string Code, string Name);

    public Task OnGetAsync(string kind, long id, CancellationToken ct) => LoadAsync(kind, id, ct);

    public async Task<IActionResult> OnPostAsync(string kind, long id, CancellationToken ct)
    {
        await LoadAsync(kind, id, ct);
        var (before, request) = (Name, new Corrections.NameChange(Typed("name")));
        string? after = null;
        var next = await OnceAsync(async () =>
        {
            after = kind == "areas"
                ? (await Corrections.ChangeAreaAsync(Db, Audit, Caller, id, request, ct)).Name
                : (await Corrections.ChangeCategoryAsync(Db, Audit, Caller, id, request, ct)).Name;
            return $"/admin/programme#{(kind == "areas" ? "areas" : "categories")}";
        }, $"the {What}'s name was saved");
        if (next is null) return Page();
        if (after is not null)
            SayDone(after == before ? $"The {What} is still called {before}: it was not changed" : $"The {What} {before} is now called {after}");
        return next;
    }
}

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
/// A school's name or phase corrected, as <c>PATCH /api/v1/schools/{id}</c> does (<see cref="Corrections.ChangeSchoolAsync"/>:
/// the rules of adding one, audited with the old values and the new). Its URN and area stay.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class ChangeSchoolModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Programmes.School School { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["name"] = "The school's name", ["phase"] = "The phase of education",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["name"] = "Enter the school's name", ["phase"] = "Select the phase of education",
    };

    /// <summary>The school, when it is one of the caller's programme's; another programme's is not found, as if it were not there.</summary>
    private async Task LoadAsync(long id, CancellationToken ct)
    {
        var school = await Db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (school is null || !Caller.SeesWholeProgramme(school.ProgrammeId)) throw new NotFound("school", id);
        School = school;
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        var before = School;
        Programmes.School? changed = null;
        var next = await OnceAsync(async () =>
        {
            changed = await Corrections.ChangeSchoolAsync(Db, Audit, Caller, id, new Corrections.SchoolChange(Typed("name"), Typed("phase")), ct);
            return $"/admin/schools/{id}";
        }, "the school's name and phase were saved");
        if (next is null) return Page();
        if (changed is not null)
            SayDone(changed.Name == before.Name && changed.Phase == before.Phase ? "The school's name and phase were not changed"
                : changed.Name == before.Name ? $"The phase of education was changed from {before.Phase} to {changed.Phase}"
                : changed.Phase == before.Phase ? $"The school's name was changed from {before.Name} to {changed.Name}"
                : $"The school's name was changed from {before.Name} to {changed.Name}, and its phase from {before.Phase} to {changed.Phase}");
        return next;
    }
}

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
/// One school of the programme, and its payee reference set or changed as <c>PUT /api/v1/schools/{id}/payee-reference</c>
/// does (<see cref="PayeeReferences.SetAsync"/>: the same rule, audited with the old value and the new).
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class SchoolModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Programmes.School School { get; private set; } = null!;
    public string AreaName { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["payeeReference"] = "The payee reference" };
    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["payeeReference"] = "Enter the payee reference: the school's supplier reference in the funder's finance system",
    };

    /// <summary>The school, when it is one of the caller's programme's; another programme's is not found, as if it were not there.</summary>
    private async Task LoadAsync(long id, CancellationToken ct)
    {
        var school = await Db.Schools.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (school is null || !Caller.SeesWholeProgramme(school.ProgrammeId)) throw new NotFound("school", id);
        School = school;
        AreaName = await Db.Areas.Where(a => a.Id == school.AreaId).Select(a => a.Name).SingleAsync(ct);
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        var before = School.PayeeReference;
        Programmes.School? changed = null;
        if (!await AttemptAsync(async () => changed = await PayeeReferences.SetAsync(Db, Audit, Caller, id, new PayeeReferences.Change(Typed("payeeReference")), ct)))
            return Page();
        SayDone(changed!.PayeeReference == before ? $"The payee reference is still {before}: it was not changed"
            : before is null ? $"The payee reference was set to {changed.PayeeReference}"
            : $"The payee reference was changed from {before} to {changed.PayeeReference}");
        return Redirect($"/admin/schools/{id}");
    }
}

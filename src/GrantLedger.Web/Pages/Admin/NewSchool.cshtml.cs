using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>Enrols one school, as <c>POST /api/v1/programmes/{id}/schools</c> does (<see cref="Programmes.Schools.AddAsync"/>).</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class NewSchoolModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public List<(string, string)> AreaOptions { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["urn"] = "The URN", ["name"] = "The school's name", ["phase"] = "The phase of education", ["localAuthority"] = "The local authority",
        ["areaId"] = "The area", ["payeeReference"] = "The payee reference",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["urn"] = "Enter the school's URN", ["name"] = "Enter the school's name", ["phase"] = "Select the phase of education",
        ["areaId"] = "Select the area",
    };

    private async Task<long> LoadAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct);
        return programmeId;
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        Given("urn");
        var areaId = ReadId("areaId");
        var request = new Programmes.Schools.NewSchool(Typed("urn").Trim(), Typed("name"), Typed("phase"), Typed("localAuthority"), areaId,
            Typed("payeeReference"));
        Programmes.School? school = null;
        var next = await OnceAsync(async () =>
        {
            school = await Programmes.Schools.AddAsync(Db, Audit, Caller, programmeId, request, ct);
            return $"/admin/schools/{school.Id}";
        }, "the school was enrolled");
        if (next is null) return Page();
        if (school is not null) SayDone($"{school.Urn} {school.Name} was enrolled in the programme");
        return next;
    }
}

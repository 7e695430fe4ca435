using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Adds a user by the API's use case (<see cref="Users.CreateAsync"/>), with a one-time password the service makes
/// (<see cref="Passwords.Generate"/>): shown once, in the answer to the form's post, never kept anywhere the browser or a
/// log could give it back.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class NewUserModel(GrantLedgerDb db, AuditTrail audit, UserManager<AppUser> users) : GovPage(db, audit)
{
    public IReadOnlyList<(string, string)> RoleOptions { get; private set; } = [];
    public IReadOnlyList<(string, string)> Schools { get; private set; } = [];
    /// <summary>More schools than a list can hold (<see cref="Gov.MostSchoolsInAList"/>; PINS has 1,680): the school is typed by its URN.</summary>
    public bool ByUrn { get; private set; }
    public IReadOnlyList<(string, string)> Areas { get; private set; } = [];
    /// <summary>For an admin of every programme only: the programme a finance user or an admin works for.</summary>
    public IReadOnlyList<(string, string)> Programmes { get; private set; } = [];
    public AppUser? Created { get; private set; }
    public string? OneTimePassword { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["userName"] = "The user name", ["displayName"] = "The full name", ["email"] = "The email address", ["role"] = "The role",
        ["schoolId"] = "The school", ["schoolUrn"] = "The school's URN", ["areaId"] = "The area", ["programmeId"] = "The programme",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["userName"] = "Enter a user name", ["displayName"] = "Enter the user's full name", ["role"] = "Select the user's role",
    };

    private async Task LoadAsync(CancellationToken ct)
    {
        var all = Caller.ProgrammeId is null;
        // the roles the use case lets this admin give: their programme's, and for an admin of every programme the auditor too
        RoleOptions = Roles.All.Where(r => all || r != Roles.Auditor).Select(r => (r, Roles.Describe(r)))
            .OrderBy(r => r.r == Roles.SchoolBusinessManager ? 0 : r.r == Roles.AreaLead ? 1 : 2).ToList();
        var programmes = await ProgrammesAsync(ct);
        var names = programmes.ToDictionary(p => p.Id, p => p.Name);
        string In(long programmeId) => all ? $", {names.GetValueOrDefault(programmeId)}" : "";
        var ids = programmes.Select(p => p.Id).ToList();
        var schools = Db.Schools.AsNoTracking().Where(s => ids.Contains(s.ProgrammeId));
        // an admin of every programme chooses from a list: a URN is unique only within a programme
        ByUrn = !all && await schools.CountAsync(ct) > Gov.MostSchoolsInAList;
        Schools = ByUrn ? [] : (await schools.OrderBy(s => s.Name).ThenBy(s => s.Urn).ToListAsync(ct))
            .Select(s => (s.Id.ToString(), $"{s.Name} (URN {s.Urn}){In(s.ProgrammeId)}")).ToList();
        Areas = (await Db.Areas.AsNoTracking().Where(a => ids.Contains(a.ProgrammeId)).OrderBy(a => a.Name).ToListAsync(ct))
            .Select(a => (a.Id.ToString(), a.Name + In(a.ProgrammeId))).ToList();
        Programmes = all ? programmes.Select(p => (p.Id.ToString(), p.Name)).ToList() : [];
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    /// <summary>The school of the programme the URN typed names; none given is left to the use case ("a school is required").</summary>
    private async Task<long?> SchoolByUrnAsync(CancellationToken ct)
    {
        if (Filled("schoolUrn") is not { } urn) return null;
        var id = await Db.Schools.AsNoTracking().Where(s => s.ProgrammeId == Caller.ProgrammeId && s.Urn == urn).Select(s => (long?)s.Id).SingleOrDefaultAsync(ct);
        if (id is null) AddError("schoolUrn", $"No school of your programme has the URN {urn}");
        return id;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        var role = ReadChoice("role", RoleOptions.Select(r => r.Item1), WhenLeftOut["role"]);
        long? schoolId = role != Roles.SchoolBusinessManager ? null : ByUrn ? await SchoolByUrnAsync(ct) : ReadId("schoolId");
        long? areaId = role == Roles.AreaLead ? ReadId("areaId") : null;
        long? programmeId = role is Roles.FunderFinance or Roles.ProgrammeAdmin ? Caller.ProgrammeId ?? ReadId("programmeId") : null;
        var password = Passwords.Generate();
        AppUser? user = null;
        if (await AttemptAsync(async () => user = await Users.CreateAsync(Db, users, Audit, Caller,
                new Users.NewUser(Typed("userName"), Typed("displayName"), Typed("email"), password, role, programmeId, areaId, schoolId), madeByService: true, ct),
                f => ByUrn && f == "schoolId" ? "schoolUrn" : f))
        {
            (Created, OneTimePassword) = (user, password);
            Response.Headers.CacheControl = "no-store"; // as every answer here (Security.cs); said again where a password is
        }
        return Page();
    }
}

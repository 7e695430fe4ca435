using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>A user as the admin's pages show them: their role, the scope it works in and their status, in words.</summary>
public sealed record UserRow(AppUser User, string Role, string Scope, IReadOnlyList<string> Status)
{
    /// <summary>The page of the school a business manager works for (its details, payee reference and business managers); none for other roles.</summary>
    public string? ScopeHref => User.SchoolId is { } school ? $"/admin/schools/{school}" : null;

    /// <summary>The rows of <paramref name="users"/>, in their order, with their schools', areas' and programmes' names read once.</summary>
    public static async Task<List<UserRow>> OfAsync(GrantLedgerDb db, IReadOnlyList<AppUser> users, CancellationToken ct)
    {
        var (schoolIds, areaIds, programmeIds) = (users.Select(u => u.SchoolId).OfType<long>().Distinct().ToList(),
            users.Select(u => u.AreaId).OfType<long>().Distinct().ToList(), users.Select(u => u.ProgrammeId).OfType<long>().Distinct().ToList());
        var schools = await db.Schools.AsNoTracking().Where(s => schoolIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => $"{s.Name} (URN {s.Urn})", ct);
        var areas = await db.Areas.AsNoTracking().Where(a => areaIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var programmes = await db.Programmes.AsNoTracking().Where(p => programmeIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var now = DateTimeOffset.UtcNow;
        return users.Select(u => new UserRow(u, Roles.Describe(u.Role),
            u.SchoolId is { } s ? schools.GetValueOrDefault(s, $"school {s}")
            : u.AreaId is { } a ? areas.GetValueOrDefault(a, $"area {a}")
            : u.ProgrammeId is { } p ? programmes.GetValueOrDefault(p, $"programme {p}")
            : "Every programme", StatusOf(u, now))).ToList();
    }

    /// <summary>Active, or what stops the user: disabled, locked out after wrong passwords, a one-time password not yet replaced.</summary>
    public static IReadOnlyList<string> StatusOf(AppUser u, DateTimeOffset now)
    {
        var status = new List<string>();
        if (u.DisabledAt is not null) status.Add("Disabled");
        if (u.LockoutEnd is { } until && until > now) status.Add($"Locked out after wrong passwords until {UkTime.Of(until):d MMM yyyy HH:mm}");
        if (u.MustChoosePassword) status.Add("Must choose a password");
        return status.Count == 0 ? ["Active"] : status;
    }

    /// <summary>The admin's own account refused, in the pages' words (the user's page and its disable page).</summary>
    public static string? Reworded(Core.Rules.RuleBroken rule) =>
        rule.Rule == "cannot-disable-self" ? "You cannot disable or enable your own account: another programme admin does" : null;

    /// <summary>The user the caller administers, to show: 404 for one outside their programme, as for one that does not exist.</summary>
    public static async Task<UserRow> FindAsync(GrantLedgerDb db, CurrentUser caller, long id, CancellationToken ct)
    {
        var user = await Users.Administered(db, caller).SingleOrDefaultAsync(u => u.Id == id, ct) ?? throw new Core.Rules.NotFound("user", id);
        return (await OfAsync(db, [user], ct))[0];
    }
}

/// <summary>A one-time password just made, for the partial that shows it once (_OneTimePassword).</summary>
public sealed record OneTimePasswordShown(string DisplayName, string Password);

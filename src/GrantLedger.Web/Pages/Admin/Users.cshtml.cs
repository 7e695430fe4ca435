using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>The programme's users (those GET /api/v1/users gives the admin), by user name, filtered by role and a part of a name.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class UsersModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int MostSearch = 100;
    public IReadOnlyList<UserRow> Rows { get; private set; } = [];
    public static IEnumerable<(string, string)> RoleOptions => Roles.All.Select(r => (r, Roles.Describe(r))).Prepend(("", "All roles"));
    public bool Filtered { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var users = Users.Administered(Db, Caller);
        if (Typed("role").Trim() is { Length: > 0 } role)
        {
            if (Roles.All.Contains(role)) users = users.Where(u => u.Role == role);
            else AddError("role", "Select a role from the list");
            Filtered = true;
        }
        var q = Typed("q");
        if (FreeText.Problem(q, MostSearch, required: false) is { } problem) AddError("q", "Name " + problem);
        else if (FreeText.Kept(q) is { } part)
        {
            var like = "%" + part.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            users = users.Where(u => EF.Functions.ILike(u.UserName!, like, @"\") || EF.Functions.ILike(u.DisplayName, like, @"\"));
            Filtered = true;
        }
        if (HasErrors) return;
        Rows = await UserRow.OfAsync(Db, await users.OrderBy(u => u.UserName).ToListAsync(ct), ct);
    }
}

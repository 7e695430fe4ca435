using System.Globalization;
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
    /// <summary>Users a page: a national programme has a business manager or two for each of thousands of schools.</summary>
    public const int PageSize = 100;
    public IReadOnlyList<UserRow> Rows { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    public static IEnumerable<(string, string)> RoleOptions => Roles.All.Select(r => (r, Roles.Describe(r))).Prepend(("", "All roles"));
    public bool Filtered { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var users = Users.Administered(Db, Caller);
        if (Filled("role") is { } role)
        {
            if (Roles.All.Contains(role)) users = users.Where(u => u.Role == role);
            else AddError("role", "Select a role from the list");
            Filtered = true;
        }
        if (ReadSearch("q", "Name", MostSearch) is { } part)
        {
            var like = "%" + part.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            users = users.Where(u => EF.Functions.ILike(u.UserName!, like, @"\") || EF.Functions.ILike(u.DisplayName, like, @"\"));
            Filtered = true;
        }
        if (HasErrors) return;
        Paging = Paging.Of(await users.CountAsync(ct), Typed("page"), PageSize);
        Rows = await UserRow.OfAsync(Db, await users.OrderBy(u => u.UserName).Skip(Paging.Skip).Take(PageSize).ToListAsync(ct), ct);
    }

    /// <summary>"3 users" on one page; "Users 101 to 200 of 2,345" on one of several.</summary>
    public string Caption => Paging.Caption("user", "users", Rows.Count);

    /// <summary>This list's address with another page number, its filters kept.</summary>
    public string PageLink(int page) => SearchHref("/admin/users", ["role", "q"], ("page", page.ToString(CultureInfo.InvariantCulture)));
}

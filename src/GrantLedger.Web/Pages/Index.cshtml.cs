using GrantLedger.Web.Access;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace GrantLedger.Web.Pages;

/// <summary>Each role's start page.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => Redirect(CurrentUser.From(User).Role switch
    {
        Roles.SchoolBusinessManager => "/school",
        Roles.AreaLead => "/review",
        Roles.FunderFinance => "/finance",
        Roles.ProgrammeAdmin => "/approvals",
        _ => "/ledger",
    });
}

using Microsoft.AspNetCore.Mvc.RazorPages;

namespace GrantLedger.Web.Pages;

/// <summary>Where a refusal lands: answered 403 (or 404 for a record that does not exist), with a page that says nothing changed.</summary>
public sealed class ForbiddenModel : PageModel
{
    public bool Missing { get; private set; }

    public void OnGet(int? missing)
    {
        Missing = missing == 1;
        Response.StatusCode = Missing ? 404 : 403;
    }
}

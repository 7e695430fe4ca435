using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace GrantLedger.Web.Pages.Account;

/// <summary>
/// Issues yourself a token by the API's use case (<see cref="ApiTokens.IssueOwnAsync"/>, POST /api/v1/me/tokens), for the roles
/// the API lets: shown once, in the answer to the form's post (Cache-Control: no-store), never kept anywhere it could be read again.
/// </summary>
[Authorize(Roles = Roles.Writers)]
[EnableRateLimiting(Security.SignInPolicy)]
public sealed class NewTokenModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public TokenView? Issued { get; private set; }
    public string? Secret { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["name"] = "The token's name", ["days"] = "The number of days it works for",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["name"] = "Enter a name for the token, like the script that will use it",
    };

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        int? days = null;
        if (Filled("days") is { } typed)
        {
            if (int.TryParse(typed, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) days = n;
            else AddError("days", "The number of days it works for must be a whole number from 1 to 365, like 30");
        }
        // once per the form's key: a double click issued two tokens, the second's secret shown and the first's live, never seen
        (ApiToken Token, string Secret, AppUser User)? issued = null;
        var answer = await OnceAsync(async () =>
        {
            issued = await ApiTokens.IssueOwnAsync(Db, Audit, Caller, Typed("name"), days, ct);
            return "/account/tokens";
        }, $"the token {Typed("name").Trim()} was issued, and shown once only", shownOnce: true);
        if (answer is not PageResult || issued is not { } made) return answer ?? Page(); // refused (the work was rolled back), or done before
        var (t, secret, _) = made;
        (Issued, Secret) = (new TokenView(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt), secret);
        Response.Headers.CacheControl = "no-store"; // as every answer here (Security.cs); said again where a secret is
        return answer;
    }
}

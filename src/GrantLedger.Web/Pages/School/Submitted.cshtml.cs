using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class SubmittedModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    public async Task OnGetAsync(long id, CancellationToken ct) => View = await ClaimReads.DetailAsync(Db, Caller, id, ct);

    /// <summary>
    /// What submitting the claim holds, as the dashboard counts it (ClaimLedger reserves a line's money and, when it spends an
    /// allowance, its minutes): the money, and each allowance's staff time as every page writes it, a part that is zero left
    /// out: "£83.33 of your school's budget and 2.5 hours of its contact-time allowance". A claim of specialist days paid from
    /// no budget holds time alone, where the page said "£0.00".
    /// </summary>
    public static string Reserved(ClaimView c)
    {
        var parts = new List<string>();
        if (c.Claimed.Pence > 0) parts.Add($"{c.Claimed} of your school's budget");
        foreach (var allowance in c.Lines.Where(l => l.AllowanceCategoryId is not null && l.Minutes > 0).GroupBy(l => l.Allowance))
            parts.Add($"{Gov.StaffTime(allowance.Sum(l => l.Minutes!.Value))} of {(parts.Count == 0 ? "your school's" : "its")} {allowance.Key} allowance");
        return parts.Count < 3 ? string.Join(" and ", parts) : string.Join(", ", parts[..^1]) + " and " + parts[^1];
    }
}

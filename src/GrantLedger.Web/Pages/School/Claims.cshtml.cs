using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class ClaimsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26".</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public Paging Paging { get; private set; } = ClaimRows.None.Paging;

    /// <summary>The school's claims, newest first, a page at a time: the list stopped at the newest 200 without a word.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        var claims = ClaimReads.Filtered(Db, Caller, null, Caller.SchoolId, null, null, null);
        (Paging, Claims, HalfTerms) = await ClaimRows.ReadAsync(Db, claims.OrderByDescending(c => c.Id), Typed("page"), ct);
    }

    /// <summary>"12 claims, newest first"; "Claims 101 to 200 of 234, newest first" on one of several pages.</summary>
    public string Caption => Paging.Caption("claim", "claims", Claims.Count) + ", newest first";

    public string PageLink(int page) => $"/school/claims?page={page.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

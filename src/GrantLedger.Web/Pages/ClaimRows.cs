using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages;

/// <summary>
/// One page of a list of claims, 100 a page (a school's claims, the ledger's, the review and second-approval queues, a lead's
/// school): which page of how many, the page's claims in the list's order, and each one's half-term with its year ("Summer 2
/// 2025-26": in September a list holds both years' claims).
/// </summary>
public sealed record ClaimRows(Paging Paging, IReadOnlyList<ClaimSummary> Claims, IReadOnlyDictionary<long, string> HalfTerms)
{
    public const int PageSize = 100;

    /// <summary>An empty list, before one is read.</summary>
    public static ClaimRows None { get; } = new(new Paging(0, 1, PageSize), [], new Dictionary<long, string>());

    /// <summary>The page <paramref name="page"/> (the query's <c>?page=</c>; the first when none or it cannot be read) of the claims, counted all.</summary>
    public static async Task<ClaimRows> ReadAsync(GrantLedgerDb db, IOrderedQueryable<Claim> claims, string? page, CancellationToken ct)
    {
        var paging = Paging.Of(await claims.CountAsync(ct), page, PageSize);
        // the page's claims first, then their sums: PostgreSQL computes what a row selects for the rows an OFFSET skips too,
        // and summed the lines of every claim before the page (2.9 s for a page deep in a national programme's 300,000)
        var ids = await claims.Skip(paging.Skip).Take(PageSize).Select(c => c.Id).ToListAsync(ct);
        var rows = await ClaimReads.SummariesAsync(db, claims.Where(c => ids.Contains(c.Id)), ct);
        return new(paging, rows, await ClaimReads.HalfTermsAsync(db, rows.Select(c => c.Id), ct));
    }
}

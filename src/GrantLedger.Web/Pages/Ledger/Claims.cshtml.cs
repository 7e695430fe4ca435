using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The programme's claims, newest first, a page at a time, found by their reference, their school (name or URN), area,
/// status and half-term: the API's list (<see cref="ClaimReads.Filtered"/>). It showed the newest 500 with no filter, so
/// that at national scale an older claim could be reached only through the journal.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class LedgerClaimsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public const int PageSize = 100;
    public const int MostSearch = 200;

    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26".</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public List<(string, string)> AreaOptions { get; private set; } = [];
    public List<(string, string)> StateOptions { get; } = [("", "Any status"), .. ClaimReads.States.Select(s => (s, Gov.Words(s)))];
    public List<(string, string)> PeriodOptions { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["claim"] = "The claim", ["q"] = "The school", ["areaId"] = "The area", ["state"] = "The status", ["periodId"] = "The half-term",
    };

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct, all: "All areas");
        var periods = await Db.Periods.AsNoTracking()
            .Join(Db.ProgrammeYears.Where(y => y.ProgrammeId == programmeId), p => p.ProgrammeYearId, y => y.Id, (p, y) => new { p.Id, p.Name, p.StartsOn, y.Code })
            .OrderByDescending(p => p.StartsOn).ToListAsync(ct);
        PeriodOptions = [("", "All half-terms"), .. periods.Select(p => (p.Id.ToString(CultureInfo.InvariantCulture), Years.HalfTerm(p.Name, p.Code)))];

        var claimId = ReadReference("claim", "The claim", ClaimAccess.ReferencePrefix);
        var areaId = Chosen("areaId", AreaOptions);
        var periodId = Chosen("periodId", PeriodOptions);
        var state = Filled("state") is { } s ? (ClaimReads.States.Contains(s) ? s : Refused("state")) : null;
        var q = ReadSearch("q", "The school", MostSearch);
        if (HasErrors) return; // a filter that cannot be read lists nothing rather than everything

        var claims = ClaimReads.Filtered(Db, Caller, programmeId, null, areaId, state, periodId);
        if (claimId is { } id) claims = claims.Where(c => c.Id == id);
        if (q is not null)
        {
            var schools = Db.Schools.AsNoTracking().Where(x => x.ProgrammeId == programmeId).Matching(q);
            claims = claims.Where(c => schools.Any(x => x.Id == c.SchoolId));
        }
        Paging = Paging.Of(await claims.CountAsync(ct), Typed("page"), PageSize);
        Claims = await ClaimReads.SummariesAsync(Db, claims.OrderByDescending(c => c.Id).Skip(Paging.Skip).Take(PageSize), ct);
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, Claims.Select(c => c.Id), ct);
    }

    /// <summary>"3 claims" on one page; "Claims 101 to 200 of 2,345, newest first" on one of several.</summary>
    public string Caption => Paging.Pages == 1 ? Paging.Count("claim", "claims") : Paging.Range("Claims", Claims.Count) + ", newest first";

    /// <summary>Whether any filter but the programme is given: the empty list then says no claim matches, not that there are none.</summary>
    public bool Filtering => new[] { "claim", "q", "areaId", "state", "periodId" }.Any(f => Filled(f) is not null);

    /// <summary>This list's address with another page number, its filters kept.</summary>
    public string PageLink(int page) =>
        SearchHref("/ledger/claims", ["programmeId", "claim", "q", "areaId", "state", "periodId"], ("page", page.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A select's id, one of its options, or null when left at "all"; any other value is an error on the field.</summary>
    private long? Chosen(string field, List<(string Value, string Text)> options)
    {
        if (ReadId(field) is not { } id) return null;
        if (options.Any(o => o.Value == id.ToString(CultureInfo.InvariantCulture))) return id;
        Refused(field);
        return null;
    }

    private string? Refused(string field)
    {
        AddError(field, Unreadable(field));
        return null;
    }
}

using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
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
    public const int MostSearch = 200;

    public IReadOnlyList<ClaimSummary> Claims { get; private set; } = [];

    /// <summary>Each claim's half-term with its year, "Summer 2 2025-26".</summary>
    public IReadOnlyDictionary<long, string> HalfTerms { get; private set; } = new Dictionary<long, string>();

    public List<(string, string)> AreaOptions { get; private set; } = [];
    /// <summary>
    /// The statuses as the list's tags give them: a draft the reviewer returned is "Returned" (Gov.ClaimTag), so "Draft"
    /// finds the drafts never returned and "Returned" those that were, where the API's state draft is both.
    /// </summary>
    public List<(string, string)> StateOptions { get; } =
        [("", "Any status"), .. ClaimReads.States.SelectMany(s => s == "draft" ? new[] { (s, "Draft"), (Returned, "Returned") } : [(s, Gov.Words(s))])];

    private const string Returned = "returned";
    public List<(string, string)> PeriodOptions { get; private set; } = [];
    public Paging Paging { get; private set; } = ClaimRows.None.Paging;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["claim"] = "The claim", ["q"] = "The school", ["areaId"] = "The area", ["state"] = "The status", ["periodId"] = "The half-term",
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await FoundAsync(ct) is not { } claims) return Page();
        if (SeedToChoose) return Redirect(SearchHref("/ledger/claims", Filters, ("seed", NewSeed())));
        if (SampleSize is { } size)
        {
            Claims = await SampleAsync(claims, size, ct);
            return Page();
        }
        (Paging, Claims, HalfTerms) = await ClaimRows.ReadAsync(Db, claims.OrderByDescending(c => c.Id), Typed("page"), ct);
        return Page();
    }

    /// <summary>
    /// Every claim the filters find, not only a page's, newest first (or the sample, in the order drawn): amounts in pounds,
    /// staff time in minutes, times in UTC.
    /// </summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (await FoundAsync(ct) is not { } claims) return Page();
        if (SeedToChoose) return Redirect(SearchHref("/ledger/claims", Filters, ("handler", "csv"), ("seed", NewSeed())));
        var all = SampleSize is { } size ? await SampleAsync(claims, size, ct) : await ClaimReads.SummariesAsync(Db, claims.OrderByDescending(c => c.Id), ct);
        var halfTerms = await ClaimReads.HalfTermsAsync(Db, all.Select(c => c.Id), ct);
        var areas = AreaOptions.ToDictionary(a => a.Item1, a => a.Item2);
        return CsvAnswer.Of("claims.csv", CsvHeader, all, c =>
        [
            c.Reference, c.School.Urn, c.School.Name, areas.GetValueOrDefault(c.School.AreaId.ToString(CultureInfo.InvariantCulture)),
            halfTerms.GetValueOrDefault(c.Id) ?? c.Period, c.State, c.Claimed.ToDecimalString(), c.AllowanceMinutes.ToString(CultureInfo.InvariantCulture),
            Gov.Approved(c.State) ? (c.Sanctioned ?? c.Claimed).ToDecimalString() : null,
            Gov.Approved(c.State) ? c.ApprovedMinutes.ToString(CultureInfo.InvariantCulture) : null,
            c.SubmittedAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), c.Reason,
        ]).ForSpreadsheets();
    }

    public static readonly string[] CsvHeader =
        ["claim", "school_urn", "school", "area", "half_term", "state", "claimed", "claimed_minutes", "approved", "approved_minutes", "submitted_at", "reason"];

    /// <summary>The claims the filters find, or null (with the errors shown) when one cannot be read.</summary>
    private async Task<IQueryable<Claim>?> FoundAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct, all: "All areas");
        var periods = await Years.PeriodsInYears(Db).Where(h => h.ProgrammeId == programmeId).OrderByDescending(h => h.Period.StartsOn).ToListAsync(ct);
        PeriodOptions = [("", "All half-terms"), .. periods.Select(h => (h.Period.Id.ToString(CultureInfo.InvariantCulture), h.HalfTerm))];

        var claimId = ReadReference("claim", "The claim", ClaimAccess.ReferencePrefix);
        var areaId = Chosen("areaId", AreaOptions);
        var periodId = Chosen("periodId", PeriodOptions);
        var state = Filled("state") is { } s ? (StateOptions.Any(o => o.Item1 == s) ? s : Refused("state")) : null;
        var q = ReadSearch("q", "The school", MostSearch);
        SampleSize = ReadNumber("sample", "The sample size") is { } n ? n is >= 1 and <= MostSample ? (int)n : TooMany() : null;
        Seed = ReadSearch("seed", "The seed", MostSeed);
        if (HasErrors) return null; // a filter that cannot be read lists nothing rather than everything

        var claims = ClaimReads.Filtered(Db, Caller, programmeId, null, areaId, state == Returned ? "draft" : state, periodId);
        if (state == "draft") claims = claims.Where(c => c.Reason == null);
        if (state == Returned) claims = claims.Where(c => c.Reason != null);
        if (claimId is { } id) claims = claims.Where(c => c.Id == id);
        if (q is not null)
        {
            var schools = Db.Schools.AsNoTracking().Where(x => x.ProgrammeId == programmeId).Matching(q);
            claims = claims.Where(c => schools.Any(x => x.Id == c.SchoolId));
        }
        return claims;
    }

    public const int MostSample = 500, MostSeed = 100;

    /// <summary>The number of claims to draw at random from those the filters find, when a sample is asked for.</summary>
    public int? SampleSize { get; private set; }

    /// <summary>What the sample is drawn with: the same filters and seed draw the same claims while those the filters find stay the same.</summary>
    public string? Seed { get; private set; }

    /// <summary>How many claims the filters found that the sample was drawn from.</summary>
    public int Population { get; private set; }

    /// <summary>A sample asked for without a seed: the page chooses one and leads to the address that names it, so that the sample can be drawn again.</summary>
    private bool SeedToChoose => SampleSize is not null && Seed is null;

    private static string NewSeed() => System.Security.Cryptography.RandomNumberGenerator.GetInt32(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture);

    private int? TooMany()
    {
        AddError("sample", $"The sample size must be a whole number from 1 to {MostSample}");
        return null;
    }

    /// <summary>
    /// A sample of the claims found, drawn as anyone can draw it again without this service: each claim is ordered by the
    /// SHA-256 of the seed, a colon and its number ("482913:42", in UTF-8, as lower-case hex), and the first <paramref name="size"/>
    /// are taken, in that order; a larger sample with the same seed holds the smaller.
    /// </summary>
    private async Task<IReadOnlyList<ClaimSummary>> SampleAsync(IQueryable<Claim> claims, int size, CancellationToken ct)
    {
        var ids = await claims.Select(c => c.Id).ToListAsync(ct);
        Population = ids.Count;
        var drawn = ids.OrderBy(id => DrawKey(Seed!, id), StringComparer.Ordinal).Take(size).ToList();
        var order = drawn.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var sample = (await ClaimReads.SummariesAsync(Db, claims.Where(c => drawn.Contains(c.Id)), ct)).OrderBy(c => order[c.Id]).ToList();
        HalfTerms = await ClaimReads.HalfTermsAsync(Db, drawn, ct);
        return sample;
    }

    private static string N(int x) => x.ToString("#,0", CultureInfo.InvariantCulture);

    public static string DrawKey(string seed, long claimId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{seed}:{claimId.ToString(CultureInfo.InvariantCulture)}")));

    /// <summary>
    /// "3 claims" on one page; "Claims 101 to 200 of 2,345, newest first" on one of several; a sample's, "A sample of 25 of
    /// the 1,234 claims these filters find, drawn with the seed 482913, in the order drawn".
    /// </summary>
    public string Caption => SampleSize is { } size
        ? $"A sample of {N(Claims.Count)} of the {N(Population)} claim{(Population == 1 ? "" : "s")} these filters find, drawn with the seed {Seed}, in the order drawn"
        : Paging.Caption("claim", "claims", Claims.Count) + (Paging.Pages > 1 ? ", newest first" : "");

    /// <summary>Whether any filter but the programme is given: the empty list then says no claim matches, not that there are none.</summary>
    public bool Filtering => new[] { "claim", "q", "areaId", "state", "periodId" }.Any(f => Filled(f) is not null);

    /// <summary>This list's address with another page number, its filters kept.</summary>
    public string PageLink(int page) => SearchHref("/ledger/claims", Filters, ("page", page.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// A claim's page, which leads back to this list as it is (its filters, page or sample): an auditor testing a sample
    /// went back to the programme's whole list from each claim, and drew the sample again.
    /// </summary>
    public string ClaimHref(long id) => Request.QueryString.HasValue && Request.QueryString.Value!.Length > 1
        ? $"/ledger/claims/{id}?list={Uri.EscapeDataString(Request.QueryString.Value[1..])}" : $"/ledger/claims/{id}";

    /// <summary>The CSV of every claim these filters find.</summary>
    public string CsvLink => SearchHref("/ledger/claims", Filters, ("handler", "csv"));

    private static readonly string[] Filters = ["programmeId", "claim", "q", "areaId", "state", "periodId", "sample", "seed"];

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

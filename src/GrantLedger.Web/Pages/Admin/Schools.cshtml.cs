using System.Globalization;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// The programme's schools as its admin sets them up: the API's list (<see cref="Programmes.Schools.Visible"/>), by area
/// and by a name or URN searched for, a page at a time; a school without a payee reference flagged, since no payment
/// file can pay it.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class SchoolsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public const int PageSize = 100;
    public const int MostSearch = 200;

    public sealed record Row(long Id, string Urn, string Name, string Area, string? PayeeReference);

    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public List<(string, string)> AreaOptions { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    /// <summary>The programme's schools without a payee reference, whatever the filters.</summary>
    public int WithoutPayee { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["areaId"] = "The area", ["q"] = "The search" };

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct);
        var names = AreaOptions.ToDictionary(a => long.Parse(a.Item1, CultureInfo.InvariantCulture), a => a.Item2);

        var schools = Programmes.Schools.Visible(Db, Caller, programmeId);
        WithoutPayee = await schools.CountAsync(s => s.PayeeReference == null, ct);
        if (ReadId("areaId") is { } areaId)
        {
            if (names.ContainsKey(areaId)) schools = schools.Where(s => s.AreaId == areaId);
            else AddError("areaId", "Select the area from the list");
        }
        if (ReadSearch("q", "The search", MostSearch) is { } q) schools = schools.Matching(q);
        if (Typed("missing") == "1") schools = schools.Where(s => s.PayeeReference == null);
        if (HasErrors) return; // a filter that cannot be read lists nothing rather than everything

        Paging = Paging.Of(await schools.CountAsync(ct), Typed("page"), PageSize);
        Rows = (await schools.OrderBy(s => s.Urn).Skip(Paging.Skip).Take(PageSize)
                .Select(s => new { s.Id, s.Urn, s.Name, s.AreaId, s.PayeeReference }).ToListAsync(ct))
            .Select(s => new Row(s.Id, s.Urn, s.Name, names.GetValueOrDefault(s.AreaId, ""), s.PayeeReference)).ToList();
    }

    /// <summary>This list's address with another page number, its filters kept.</summary>
    public string PageLink(int page) => SearchHref("/admin/schools", ["programmeId", "areaId", "q", "missing"], ("page", page.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A link to another of the programme's admin pages, naming the programme for an admin who is not tied to one.</summary>
    public string To(string path) => Caller.ProgrammeId is null && ProgrammeId is { } id ? $"{path}?programmeId={id}" : path;
}

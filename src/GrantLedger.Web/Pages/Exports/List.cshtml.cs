using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Exports;

/// <summary>A programme's exports, newest first, with their progress; whoever the API lets read export jobs (auditors included).</summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ListModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public IReadOnlyList<ExportJobView> Jobs { get; private set; } = [];
    public bool MayStart => ExportText.MayStart(Caller);

    public const int PageSize = 50;

    /// <summary>Which page of how many: the page listed the newest 50 without a word, and an older export was out of reach.</summary>
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var jobs = await ExportJobs.OfProgrammeAsync(Db, Caller, await ProgrammeAsync(ct), ct);
        Paging = Paging.Of(await jobs.CountAsync(ct), Typed("page"), PageSize);
        Jobs = (await jobs.OrderByDescending(j => j.Id).Skip(Paging.Skip).Take(PageSize).ToListAsync(ct)).Select(ExportJobView.Of).ToList();
    }

    /// <summary>"3 exports, newest first"; "Exports 51 to 100 of 123, newest first" on one of several pages.</summary>
    public string Caption => Paging.Caption("export", "exports", Jobs.Count) + ", newest first";

    public string PageLink(int page) =>
        string.Create(CultureInfo.InvariantCulture, $"/exports?programmeId={ProgrammeId}&page={page}");
}

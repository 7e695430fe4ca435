using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// The programme's schools as finance answers "has our money been sent?": each with its payee reference and what has been
/// sent to it (how many payments, how much confirmed paid, how many failed or not yet confirmed), by name, 50 a page, found
/// by a name or the start of a URN. Each leads to the school's payments. Before, finance looked through every run's payments.
/// The auditor reads it too (read-only, every programme: the one chosen), and so do the programme's admins, who set the
/// schools' payee references: before, only the ledger's payment entries and the API showed them what had been sent to a
/// school.
/// </summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class SchoolsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    public const int PageSize = 50;
    public const int MostSearch = 200;

    public IReadOnlyList<Programmes.School> Schools { get; private set; } = [];
    public IReadOnlyDictionary<long, SchoolPaymentTotals> Totals { get; private set; } = new Dictionary<long, SchoolPaymentTotals>();
    public IReadOnlyDictionary<long, string> Areas { get; private set; } = new Dictionary<long, string>();
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    /// <summary>What the list says when it finds no school: the search, or the programme's having none.</summary>
    public string NoneFound { get; private set; } = "The programme has no schools yet.";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["q"] = "The search" };

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var search = ReadSearch("q", "The search", MostSearch);
        if (ErrorFor("q") is not null)
        {
            NoneFound = "Put the search right to list the schools."; // a search that cannot be read lists nothing rather than everything
            return;
        }
        var schools = Programmes.Schools.Visible(Db, Caller, programmeId);
        if (search is not null)
        {
            schools = schools.Matching(search);
            NoneFound = "No schools of the programme match this search.";
        }
        Paging = Paging.Of(await schools.CountAsync(ct), Typed("page"), PageSize);
        Schools = await schools.OrderBy(s => s.Name).ThenBy(s => s.Urn).Skip(Paging.Skip).Take(PageSize).ToListAsync(ct);
        Totals = await SchoolPayments.TotalsAsync(Db, Schools.Select(s => s.Id).ToList(), ct);
        Areas = (await AreaChoices.OfProgrammeAsync(Db, programmeId, ct)).ToDictionary(a => long.Parse(a.Value, System.Globalization.CultureInfo.InvariantCulture), a => a.Text);
    }

    /// <summary>What has been sent to the school, in words: "Nothing sent yet"; "3 payments: 1 failed, 1 not yet confirmed".</summary>
    public static string Sent(SchoolPaymentTotals? t)
    {
        if (t is null) return "Nothing sent yet";
        var said = new List<string>();
        if (t.Failed > 0) said.Add($"{Gov.Number(t.Failed)} failed");
        if (t.NotYetConfirmed > 0) said.Add($"{Gov.Number(t.NotYetConfirmed)} not yet confirmed");
        var count = t.Payments == 1 ? "1 payment" : $"{Gov.Number(t.Payments)} payments";
        return said.Count == 0 ? count : $"{count}: {string.Join(", ", said)}";
    }
}

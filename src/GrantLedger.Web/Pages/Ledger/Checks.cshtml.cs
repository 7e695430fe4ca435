using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The ledger's invariants over a programme's rows (/api/v1/audit/programmes/{id}/check-runs, <c>audit check</c>'s checks), run
/// in the background when asked for and kept: the page shows the last run (or the one chosen), each check holding or broken
/// with the rows that break it, each broken check in the error summary, and the programme's earlier runs.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class ChecksModel(GrantLedgerDb db, AuditTrail audit, LedgerCheckQueue queue) : ProgrammePage(db, audit)
{
    /// <summary>How many of the programme's runs the page lists.</summary>
    public const int Listed = 10;

    /// <summary>The run to show: its id in the address, else the programme's last.</summary>
    [BindProperty(SupportsGet = true, Name = "run")] public long? RunId { get; set; }

    public LedgerCheckRunView? Run { get; private set; }
    public IReadOnlyList<LedgerCheckRunView> Runs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        Runs = await LedgerCheckRuns.OfProgrammeAsync(Db, Caller, programmeId, null, Listed, ct);
        Run = RunId is { } id ? await LedgerCheckRuns.FindAsync(Db, Caller, id, ct) : Runs.FirstOrDefault();
        if (Run is not null && Run.ProgrammeId != programmeId) throw new Core.Rules.NotFound("check run", Run.Id); // another programme's run named beside this one
        if (Run?.Report is { } report)
            foreach (var (check, i) in report.Checks.Select((c, i) => (c, i)))
                if (!check.Holds) AddError(RowId(i), $"Does not hold: {check.Name}");
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        var run = await LedgerCheckRuns.RequestAsync(Db, Audit, Caller, programmeId, new(null), ct);
        queue.Wake();
        return Redirect($"/ledger/checks?programmeId={programmeId}&run={run.Id}");
    }

    public static string RowId(int index) => $"check-{index + 1}";

    /// <summary>A run's outcome in a word or two: waiting, running, failed, all hold, or how many checks are broken.</summary>
    public static (string Text, string Colour) Outcome(LedgerCheckRunView run) => run switch
    {
        { State: "queued" } => ("Waiting to start", "govuk-tag--grey"),
        { State: "running" } => ("Running", "govuk-tag--blue"),
        { State: "failed" } => ("Failed", "govuk-tag--red"),
        { Report: { Holds: true } } => ("All hold", "govuk-tag--green"),
        { Report: { } r } => (r.Checks.Count(c => !c.Holds) is var n && n == 1 ? "1 broken" : $"{n} broken", "govuk-tag--red"),
        _ => (run.State, ""),
    };
}

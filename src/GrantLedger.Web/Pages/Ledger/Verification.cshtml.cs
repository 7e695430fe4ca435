using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The hash chains the caller may see, recomputed from the records (/api/v1/audit/verification), and how far sealing lags
/// (/api/v1/audit/seal-status): each chain's count and head to note down, and the first record that does not match, named.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class VerificationModel(GrantLedgerDb db, AuditTrail audit, NpgsqlDataSource dataSource) : GovPage(db, audit)
{
    public Verification.Report Report { get; private set; } = null!;
    public AuditReads.SealStatus Lag { get; private set; } = null!;
    private IReadOnlyDictionary<string, string> _programmes = new Dictionary<string, string>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        IReadOnlyList<Verification.NotedHead> noted = [];
        try
        {
            noted = Verification.ReadNoted([Typed("noted")]);
        }
        catch (InvalidInput refused) // the chains are checked all the same; the heads that could not be read are named
        {
            foreach (var message in refused.Errors.Values.SelectMany(m => m))
                AddError("noted", $"The heads you noted: {message}");
        }
        Report = await Verification.VerifyVisibleAsync(dataSource, Caller, ct, noted);
        Lag = await AuditReads.SealStatusAsync(dataSource, Caller, ct);
        _programmes = (await ProgrammesAsync(ct)).ToDictionary(p => $"journal:{p.Id}", p => p.Name);
        // in the error summary, each linked to its chain's row, or to the head noted
        foreach (var (chain, i) in Report.Chains.Select((c, i) => (c, i)))
            if (chain.FirstMismatch is { } m) AddError(RowId(i), $"{Name(m.Chain)}: {m.Problem}");
        foreach (var m in Report.NeitherSealedNorQueued) AddError("", $"{Name(m.Chain)}: {m.Problem}");
        foreach (var (head, i) in Report.Noted.Select((h, i) => (h, i)))
            if (head.Result != "extended") AddError(NotedRowId(i), $"{Name(head.Chain)}: {head.Says}");
    }

    /// <summary>Each chain's head as this check verified it, a line each ("chain,seal,hash"), to keep and give back at the next check.</summary>
    public async Task<IActionResult> OnGetHeadsAsync(CancellationToken ct)
    {
        var report = await Verification.VerifyVisibleAsync(dataSource, Caller, ct);
        return File(System.Text.Encoding.UTF8.GetBytes(Verification.HeadsCsv(report)), "text/csv; charset=utf-8",
            $"grantledger-chain-heads-{UkTime.Of(report.CheckedAt):yyyy-MM-dd-HHmm}.csv");
    }

    /// <summary>True when every record matches its seal and is in a chain, but a head noted before is not in its chain as noted.</summary>
    public bool OnlyNotedDiffer => Report.FirstMismatch is null && !Report.Ok;

    public static string RowId(int index) => $"chain-{index + 1}";

    public static string NotedRowId(int index) => $"noted-{index + 1}";

    /// <summary>A chain as people name it, with its code: "Journal of Inclusion 2026 (journal:3)", "Audit trail (audit)".</summary>
    public string Name(string chain) =>
        (chain == "audit" ? "Audit trail" : _programmes.TryGetValue(chain, out var programme) ? $"Journal of {programme}" : "Journal") + $" ({chain})";
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
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
        Report = await Verification.VerifyVisibleAsync(dataSource, Caller, ct);
        Lag = await AuditReads.SealStatusAsync(dataSource, Caller, ct);
        _programmes = (await ProgrammesAsync(ct)).ToDictionary(p => $"journal:{p.Id}", p => p.Name);
        // in the error summary, each linked to its chain's row
        foreach (var (chain, i) in Report.Chains.Select((c, i) => (c, i)))
            if (chain.FirstMismatch is { } m) AddError(RowId(i), $"{Name(m.Chain)}: {m.Problem}");
        foreach (var m in Report.NeitherSealedNorQueued) AddError("", $"{Name(m.Chain)}: {m.Problem}");
    }

    public static string RowId(int index) => $"chain-{index + 1}";

    /// <summary>A chain as people name it, with its code: "Journal of Inclusion 2026 (journal:3)", "Audit trail (audit)".</summary>
    public string Name(string chain) =>
        (chain == "audit" ? "Audit trail" : _programmes.TryGetValue(chain, out var programme) ? $"Journal of {programme}" : "Journal") + $" ({chain})";
}

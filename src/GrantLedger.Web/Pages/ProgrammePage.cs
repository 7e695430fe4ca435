using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages;

/// <summary>Pages that work on one programme (the ledger, exports): the user's own, or the one an auditor chooses.</summary>
public abstract class ProgrammePage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    [BindProperty(SupportsGet = true)] public long? ProgrammeId { get; set; }
    public List<(string, string)> ProgrammeOptions { get; private set; } = [];

    protected async Task<long> ProgrammeAsync(CancellationToken ct)
    {
        var programmes = await ProgrammesAsync(ct);
        ProgrammeOptions = programmes.Select(p => (p.Id.ToString(), p.Name)).ToList();
        ProgrammeId ??= Caller.ProgrammeId ?? programmes.FirstOrDefault()?.Id;
        if (ProgrammeId is null) throw new Core.Rules.NotFound("programme", "any");
        Caller.EnsureProgramme(ProgrammeId.Value);
        return ProgrammeId.Value;
    }
}

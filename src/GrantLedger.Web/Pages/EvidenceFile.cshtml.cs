using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages;

/// <summary>An evidence file, for whoever may see its claim.</summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class EvidenceFileModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var evidence = await EvidenceFiles.ReadAsync(Db, Caller, id, ct);
        return File(evidence.Content, evidence.ContentType, evidence.FileName);
    }
}

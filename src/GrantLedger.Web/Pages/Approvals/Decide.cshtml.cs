using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Approvals;

/// <summary>Instead of the second approval, the programme admin returns the claim to the school, or rejects it.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class DecideModel(GrantLedgerDb db, AuditTrail audit) : DecideClaimPage(db, audit)
{
    protected override string Prefix => "/approvals/claims";
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

/// <summary>The area lead returns a claim under review to the school, or rejects it.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class DecideModel(GrantLedgerDb db, AuditTrail audit) : DecideClaimPage(db, audit)
{
    protected override string Prefix => "/review/claims";

    public override string Kept => ReviewClaimModel.Keep(Request);
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.Review;

/// <summary>
/// The payments to one school of the lead's area, newest first, 50 a page: what the school's business manager sees on their
/// payments page, for the lead who is asked why a school's money has not arrived.
/// </summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class AreaSchoolPaymentsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 50;

    public Programmes.School School { get; private set; } = null!;
    public IReadOnlyList<SchoolPaymentView> Payments { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    public async Task OnGetAsync(long id, CancellationToken ct)
    {
        School = await AreaSchools.SchoolAsync(Db, Caller, id, ct);
        (Paging, Payments, _) = await SchoolPaymentsTable.ReadAsync(Db, Caller, id, Typed("page"), PageSize, ct);
    }

    /// <summary>The page's payments, each claim linked to the lead's page of it, which leads back to the school.</summary>
    public SchoolPaymentsTable Table => new(Payments, SchoolPaymentsTable.CaptionOf(Paging, Payments.Count), AreaSchoolModel.ClaimHref);
}

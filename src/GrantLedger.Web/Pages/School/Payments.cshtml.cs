using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// The payments to the signed-in business manager's school, newest first, 50 a page: each with the amount and the remittance
/// reference their bank statement shows, the claims it pays, and whether it is paid, on which day, or failed.
/// </summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class PaymentsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 50;

    public IReadOnlyList<SchoolPaymentView> Payments { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var schoolId = Caller.SchoolId ?? throw new Core.Rules.Forbidden("a school business manager's pages need their school");
        (Paging, Payments, _) = await SchoolPaymentsTable.ReadAsync(Db, Caller, schoolId, Typed("page"), PageSize, ct);
    }

    /// <summary>The page's payments, each claim linked to the business manager's page of it.</summary>
    public SchoolPaymentsTable Table => new(Payments, SchoolPaymentsTable.CaptionOf(Paging, Payments.Count), id => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/school/claims/{id}"));
}

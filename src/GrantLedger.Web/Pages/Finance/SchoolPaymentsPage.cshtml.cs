using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// The payments to one school of the programme, newest first, 50 a page, as the school's business manager sees them, with
/// the school's payee reference now and what has been confirmed paid: finance's answer to a school that asks about its money,
/// and the auditor's record of what the programme sent it.
/// </summary>
[Authorize(Roles = Roles.Staff)] // finance; the auditor and the programme's admins read them
public sealed class SchoolPaymentsPageModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 50;

    public Programmes.School School { get; private set; } = null!;
    public string AreaName { get; private set; } = "";
    public SchoolPaymentTotals? Totals { get; private set; }
    public IReadOnlyList<SchoolPaymentView> Payments { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);

    public async Task OnGetAsync(long id, CancellationToken ct)
    {
        (Paging, Payments, School) = await SchoolPaymentsTable.ReadAsync(Db, Caller, id, Typed("page"), PageSize, ct); // another programme's school is refused
        AreaName = await Db.Areas.AsNoTracking().Where(a => a.Id == School.AreaId).Select(a => a.Name).SingleAsync(ct);
        Totals = (await SchoolPayments.TotalsAsync(Db, [id], ct)).GetValueOrDefault(id);
    }

    /// <summary>Back to the list of schools: of the school's programme, for a reader who may choose among programmes (the auditor).</summary>
    public string SchoolsHref => ListOf("/finance/schools", School.ProgrammeId);

    /// <summary>The page's payments, each claim linked to the ledger's page of it.</summary>
    public SchoolPaymentsTable Table => new(Payments, SchoolPaymentsTable.CaptionOf(Paging, Payments.Count),
        claimId => string.Create(CultureInfo.InvariantCulture, $"/ledger/claims/{claimId}"));
}

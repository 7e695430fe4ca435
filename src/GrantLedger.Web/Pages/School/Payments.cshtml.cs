using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

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
        var payments = await SchoolPayments.OfSchoolAsync(Db, Caller, schoolId, ct);
        Paging = Paging.Of(await payments.CountAsync(ct), Typed("page"), PageSize);
        Payments = await SchoolPayments.ViewsAsync(Db, schoolId, payments.Skip(Paging.Skip).Take(PageSize), ct);
    }

    /// <summary>"3 payments, newest first"; "Payments 51 to 100 of 120, newest first" on one of several pages.</summary>
    public string Caption => Paging.Caption("payment", "payments", Payments.Count) + ", newest first";

    /// <summary>What follows the payment's status tag ("Sent", "Paid", "Failed"): when, and what became of a failed payment's claims.</summary>
    public static string Status(SchoolPaymentView p) => p.Status switch
    {
        "paid" => p.PaidOn is { } on ? $"on {on:d MMMM yyyy}" : "",
        "failed" => "its claims then went back to approved, for a later payment run to pay",
        _ => $"to the funder's finance system on {Core.Ledger.UkTime.Of(p.SentAt):d MMMM yyyy}, not yet confirmed paid",
    };
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages;

/// <summary>
/// A table of payments to a school (<see cref="SchoolPaymentView"/>), as the school's business manager sees them on their
/// payments page, the area's lead on the school's pages and finance on theirs: the same columns and words, each claim linked
/// to the reader's own page of it.
/// </summary>
/// <param name="Caption">"3 payments, newest first"</param>
/// <param name="ClaimHref">the reader's page of a claim, by its id</param>
/// <param name="CaptionSize">the caption's GOV.UK size: m on a page of payments, s under a heading of its own</param>
public sealed record SchoolPaymentsTable(IReadOnlyList<SchoolPaymentView> Payments, string Caption, Func<long, string> ClaimHref, string CaptionSize = "m")
{
    /// <summary>
    /// A page of the payments to a school that the caller may see (<see cref="SchoolPayments.OfSchoolAsync"/>), newest first:
    /// the page <paramref name="asked"/> (the first when none is) of <paramref name="size"/>, how many there are in all, and
    /// the school.
    /// </summary>
    public static async Task<(Paging Paging, IReadOnlyList<SchoolPaymentView> Payments, Programmes.School School)> ReadAsync(GrantLedgerDb db,
        CurrentUser caller, long schoolId, string? asked, int size, CancellationToken ct)
    {
        var (school, payments) = await SchoolPayments.OfSchoolAsync(db, caller, schoolId, ct);
        var paging = Paging.Of(await payments.CountAsync(ct), asked, size);
        return (paging, await SchoolPayments.ViewsAsync(db, schoolId, payments.Skip(paging.Skip).Take(size), ct), school);
    }

    /// <summary>The caption of a page of payments: "3 payments, newest first"; "Payments 51 to 100 of 120, newest first".</summary>
    public static string CaptionOf(Paging paging, int shown) => paging.Caption("payment", "payments", shown) + ", newest first";

    /// <summary>The tag of a payment's status: a payment not yet confirmed is "sent".</summary>
    public static string Tag(SchoolPaymentView p) => p.Status == "pending" ? "sent" : p.Status;

    /// <summary>What follows the payment's status tag ("Sent", "Paid", "Failed"): when, and what became of a failed payment's claims.</summary>
    public static string Status(SchoolPaymentView p) => p.Status switch
    {
        "paid" => p.PaidOn is { } on ? $"on {on:d MMMM yyyy}" : "",
        "failed" => "its claims then went back to approved, for a later payment run to pay",
        _ => $"to the funder's finance system on {Core.Ledger.UkTime.Of(p.SentAt):d MMMM yyyy}, not yet confirmed paid",
    };
}

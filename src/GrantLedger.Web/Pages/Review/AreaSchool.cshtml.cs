using System.Globalization;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Pages.School;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Review;

/// <summary>One school of the lead's area in a year: its budget as its own dashboard shows it, its plan, and its claims.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed class AreaSchoolModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public Programmes.School School { get; private set; } = null!;
    public IReadOnlyList<ProgrammeYear> Years { get; private set; } = [];
    public ProgrammeYear? Year { get; private set; }
    public IReadOnlyList<CategoryFigures> Figures { get; private set; } = [];
    public LatestPlan? Plan { get; private set; }

    /// <summary>The school's claims of the year, newest first, 100 a page: they stopped at the newest 500 without a word.</summary>
    public ClaimRows Claims { get; private set; } = ClaimRows.None;

    /// <summary>The newest payments to the school, of any year (<see cref="NewestPayments"/> of them), and how many there are in all.</summary>
    public IReadOnlyList<SchoolPaymentView> Payments { get; private set; } = [];
    public int PaymentCount => _payments.Total;
    private Paging _payments = new(0, 1, NewestPayments);

    /// <summary>How many payments the school's page shows; the rest are on its payments page.</summary>
    public const int NewestPayments = 5;

    public async Task OnGetAsync(long id, long? year, CancellationToken ct)
    {
        School = await AreaSchools.SchoolAsync(Db, Caller, id, ct);
        (_payments, Payments, _) = await SchoolPaymentsTable.ReadAsync(Db, Caller, id, null, NewestPayments, ct);
        (Years, Year) = await Pages.School.SchoolBudget.ShownYearsAsync(Db, School.ProgrammeId, year, ct);
        if (Year is null) return;
        Figures = await SchoolBudget.ForSchoolAsync(Db, id, Year.Id, ct);
        Plan = (await AreaSchools.LatestPlansAsync(Db, [id], Year.Id, ct)).GetValueOrDefault(id);
        var yearId = Year.Id;
        Claims = await ClaimRows.ReadAsync(Db, Db.Set<Claim>().AsNoTracking().VisibleTo(Db, Caller)
            .Where(c => c.SchoolId == id && c.ProgrammeYearId == yearId).OrderByDescending(c => c.Id), Typed("page"), ct);
    }

    /// <summary>The lead's page of a claim opened from its school's pages, which leads back to the school.</summary>
    public static string ClaimHref(long claimId) => string.Create(CultureInfo.InvariantCulture, $"/review/claims/{claimId}?from=school");

    /// <summary>The newest payments, each claim linked to the lead's page of it.</summary>
    public SchoolPaymentsTable PaymentsTable =>
        new(Payments, PaymentCount <= NewestPayments ? SchoolPaymentsTable.CaptionOf(_payments, Payments.Count)
            : $"The newest {NewestPayments} of {Gov.Number(PaymentCount)} payments", ClaimHref, "s");

    /// <summary>Another page of the school's claims of the shown year.</summary>
    public string PageLink(int page) =>
        string.Create(CultureInfo.InvariantCulture, $"/review/schools/{School.Id}?year={Year?.Id}&page={page}");
}

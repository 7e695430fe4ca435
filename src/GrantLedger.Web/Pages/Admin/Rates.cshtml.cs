using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.RateCards;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>The programme's rate card as GET …/rates gives it, the rates in force today marked, and a rate added as POST …/rates adds it.</summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
public sealed class RatesModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["code"] = "The code", ["name"] = "The name", ["basis"] = "The basis", ["amount"] = "The amount", ["effectiveFrom"] = "The date it takes effect",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["code"] = "Enter the code, such as teacher-cover-day", ["name"] = "Enter the name", ["basis"] = "Select the basis",
        ["effectiveFrom"] = "Enter the date it takes effect",
    };

    public static readonly IReadOnlyList<(string, string)> Bases = Pricing.Bases.Select(b => (b, b switch
    {
        "day" => "Per day (7.5 hours)", "hour" => "Per hour", "period" => "Per half-term (a fixed sum)", _ => b,
    })).ToList();

    public IReadOnlyList<RateView> Card { get; private set; } = [];
    public DateOnly Today { get; } = UkTime.Today;

    /// <summary>A rate taking effect in a closed half-term, as the pages write dates (<see cref="GovPage.InClosedPeriod"/>).</summary>
    protected override string? Reworded(RuleBroken rule) => InClosedPeriod(rule, "The date it takes effect", "effectiveFrom");

    /// <summary>The programme's card (an admin of every programme chooses which: ?programmeId=, the first by default).</summary>
    public async Task OnGetAsync(CancellationToken ct) => Card = await RateCards.RateCards.CardAsync(Db, Caller, await ProgrammeAsync(ct), Today, ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Given("code");
        Given("name");
        var basis = Given("basis") ? ReadChoice("basis", Pricing.Bases, WhenLeftOut["basis"]) : null;
        var amount = ReadMoney("amount", "the amount");
        var from = ReadDate("effectiveFrom", "the date it takes effect");
        var rate = new RateCards.RateCards.NewRate(Filled("code"), Filled("name"), basis, amount, from);
        var programmeId = await ProgrammeAsync(ct);
        var done = await OnceAsync(async () =>
        {
            var added = await RateCards.RateCards.AddAsync(Db, Audit, Caller, programmeId, rate, ct);
            SayDone($"The rate {added.Code} of {new Core.Money.Money(added.AmountPence)} per {added.Basis} from {added.EffectiveFrom:d MMMM yyyy} was added");
            return Caller.ProgrammeId is null ? $"/admin/rates?programmeId={programmeId}" : "/admin/rates";
        }, "the rate was added");
        if (done is not null) return done;
        Card = await RateCards.RateCards.CardAsync(Db, Caller, programmeId, Today, ct);
        return Page();
    }
}

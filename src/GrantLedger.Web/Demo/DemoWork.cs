using ClaimsPrincipal = System.Security.Claims.ClaimsPrincipal;
using ClaimsIdentity = System.Security.Claims.ClaimsIdentity;
using Claim = GrantLedger.Web.Claims.Claim;
using GrantLedger.Core.Money;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Access;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Payments;
using GrantLedger.Web.Programmes;
using GrantLedger.Web.RateCards;
using Microsoft.EntityFrameworkCore;
using ClaimState = GrantLedger.Core.Workflow.ClaimState;

namespace GrantLedger.Web.Demo;

/// <summary>
/// The work under way in each programme, made through the same use cases as the API, each step as
/// the person who would take it: a rate card; in the first area, agreed action plans (one being
/// revised, one awaiting its lead); claims in every state, one submitted taking staff time from the school's allowance; and a
/// payment run, exported, half confirmed.
/// </summary>
public sealed partial class DemoData
{
    private static readonly (string Code, string Name, string Basis, Money Amount)[] DemoRates =
    [
        ("teacher-cover-day", "Teacher cover (per day)", "day", Money.FromPounds(250)),
        ("support-staff-hour", "Support staff (per hour)", "hour", Money.FromPounds(18)),
        ("tlr3-period", "TLR3 (per half-term)", "period", Money.FromPounds(300)),
        ("specialist-day", "Specialist support (per day)", "day", Money.FromPounds(450)),
    ];

    private static CurrentUser As(AppUser user) =>
        CurrentUser.From(new ClaimsPrincipal(new ClaimsIdentity(CurrentUser.ClaimsOf(user), "demo")));

    private async Task<AppUser> UserAsync(string userName) => await users.FindByNameAsync(userName)
        ?? throw new InvalidOperationException($"demo user {userName} is missing");

    /// <summary>Each part loads once: a programme that already has rates, plans or claims keeps them.</summary>
    private async Task LoadWorkAsync(DemoProgramme d, CancellationToken ct)
    {
        var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Code == d.Code, ct);
        var year = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).Where(y => y.ProgrammeId == programme.Id)
            .OrderBy(y => y.StartsOn).FirstAsync(ct);
        var admin = await UserAsync($"{d.Code}-admin");

        if (!await db.Set<Rate>().AnyAsync(r => r.ProgrammeId == programme.Id, ct))
            await db.InTransactionAsync(async () =>
            {
                Acting(admin);
                foreach (var (code, name, basis, amount) in DemoRates)
                    await RateCards.RateCards.AddAsync(db, audit, As(admin), programme.Id, new RateCards.RateCards.NewRate(code, name, basis, amount, year.StartsOn), ct);
                return true;
            }, ct);

        if (!await db.Set<ActionPlan>().AnyAsync(p => p.ProgrammeId == programme.Id, ct))
            await db.InTransactionAsync(() => LoadPlansAsync(d, year, ct), ct);

        if (!await db.Set<Claim>().AnyAsync(c => c.ProgrammeId == programme.Id, ct))
            await db.InTransactionAsync(() => LoadClaimsAsync(d, programme, year, ct), ct);
    }

    private void Acting(AppUser user) => audit.ActingOutsideRequests = As(user);

    private async Task<bool> LoadPlansAsync(DemoProgramme d, ProgrammeYear year, CancellationToken ct)
    {
        var lead = await UserAsync($"{d.Code}-area-lead");
        var periods = year.Periods.OrderBy(p => p.StartsOn).ToList();
        var agreedOn = year.StartsOn.AddDays(14) <= Today ? year.StartsOn.AddDays(14) : Today;
        PlanDrafting.PlanInput Plan(string[] themes, params (string Theme, string What, int Period, int Pounds)[] actions) =>
            new(null, year.Id, [.. themes], agreedOn, "Agreed with the student action group and the senior leadership team.",
                actions.Select(a => new PlanDrafting.ActionInput(null, a.Theme, a.What, periods[a.Period].Id, Money.FromPounds(a.Pounds))).ToList());

        var plans = new[]
        {
            Plan(["learning", "support", "environments"], ("learning", "Adaptive teaching training for all staff", 0, 1_200),
                ("support", "Sensory circuits before school", 1, 800), ("environments", "A calm room for students who need one", 2, 2_500)),
            Plan(["transitions", "mindsets"], ("transitions", "Year 6 to 7 transition visits and visual guides", 0, 900),
                ("mindsets", "Neurodiversity celebration week", 3, 400)),
            Plan(["policies", "connections"], ("policies", "Rewrite the behaviour policy with students", 1, 300),
                ("connections", "Parent-carer coffee mornings", 2, 250)),
        };
        for (var i = 0; i < plans.Length; i++)
        {
            var school = await UserAsync(SchoolUser(d, i));
            Acting(school);
            var plan = await PlanDrafting.StartAsync(db, audit, As(school), plans[i], ct);
            await PlanTransitions.FireAsync(db, audit, As(school), plan.Id, ActionPlanTrigger.Submit, null, null, ct);
            if (i == 2) continue; // the third school's plan awaits its lead
            Acting(lead);
            await PlanTransitions.FireAsync(db, audit, As(lead), plan.Id, ActionPlanTrigger.Agree, null, null, ct);
            if (i != 0) continue;
            Acting(school); // the first school is revising its agreed plan: version 2 is a draft
            await PlanDrafting.ReviseAsync(db, audit, As(school), plan.Id, null, ct);
        }
        return true;
    }

    private static string SchoolUser(DemoProgramme d, int i) => i == 0 ? $"{d.Code}-school" : $"{d.Code}-school-{i + 1}";

    private async Task<bool> LoadClaimsAsync(DemoProgramme d, Programme programme, ProgrammeYear year, CancellationToken ct)
    {
        var lead = await UserAsync($"{d.Code}-area-lead");
        var first = await UserAsync(SchoolUser(d, 0));
        var second = await UserAsync(SchoolUser(d, 1));
        var period = year.Periods.OrderBy(p => p.StartsOn).First();
        var categories = await db.CategoriesOf(programme.Id).ToDictionaryAsync(c => c.Code, c => c.Id, ct);
        var allowance = categories.GetValueOrDefault("contact-time");
        DateOnly Day(int n) => period.StartsOn.AddDays(n);

        LineEditing.LineInput StaffDay(string staff, int day, string days = "1", bool fromAllowance = true) => new("staff-time", categories["staff-cover"],
            allowance == 0 || !fromAllowance ? null : allowance, staff, "leader", "training", Day(day), null, Quantity.Parse(days), null, null, null, null, null, null);
        LineEditing.LineInput Tlr(string staff) => new("tlr", categories["tlr-admin"], null, staff, null, null, null, null, null, null, null, null, null, null, null);

        async Task<long> DraftAsync(AppUser school, string description, params LineEditing.LineInput[] lines)
        {
            Acting(school);
            var claim = await Drafting.StartAsync(db, audit, As(school), new Drafting.NewClaim(null, period.Id, description), ct);
            foreach (var line in lines) await LineEditing.AddAsync(db, audit, As(school), claim.Id, line, null, ct);
            return claim.Id;
        }
        async Task FireAsync(AppUser who, long claimId, ClaimTrigger trigger, string? reason = null)
        {
            Acting(who);
            await Transitions.FireAsync(db, audit, As(who), claimId, trigger, new Transitions.Request(reason, trigger == ClaimTrigger.Submit ? true : null, null), null, ct);
        }
        async Task<long> SubmittedAsync(AppUser school, string description, params LineEditing.LineInput[] lines)
        {
            var id = await DraftAsync(school, description, lines);
            await FireAsync(school, id, ClaimTrigger.Submit);
            return id;
        }

        // Approved in full, and approved for less with the reason.
        var approved = await SubmittedAsync(first, "Cover for adaptive teaching training", StaffDay("T01", 2), StaffDay("T02", 2), Tlr("T01"));
        await FireAsync(lead, approved, ClaimTrigger.StartReview);
        await FireAsync(lead, approved, ClaimTrigger.Approve);
        var reduced = await SubmittedAsync(second, "Transition visits cover", StaffDay("T11", 3), StaffDay("T12", 3, "0.5"));
        await FireAsync(lead, reduced, ClaimTrigger.StartReview);
        var reducedClaim = await db.Set<Claim>().Include(c => c.Lines).SingleAsync(c => c.Id == reduced, ct);
        Acting(lead);
        await Transitions.FireAsync(db, audit, As(lead), reduced, ClaimTrigger.Approve, new Transitions.Request(null, null,
            [new Transitions.Sanction(reducedClaim.Lines.OrderBy(l => l.LineNo).First().Id, Money.FromPounds(200), "The visit was a half day plus travel, not a full day")]),
            null, ct);

        // Those two go into a payment run, built and approved by two finance officers and exported; the
        // finance system confirms the first school's payment (its claim is paid), the second's is awaited.
        var maker = await UserAsync($"{d.Code}-finance");
        var checker = await UserAsync($"{d.Code}-finance-checker");
        Acting(maker);
        var run = await PaymentRuns.BuildAsync(db, audit, As(maker), programme.Id, new PaymentRuns.NewRun(null, null, null), ct);
        Acting(checker);
        await PaymentRuns.FireAsync(db, audit, As(checker), run.Id, PaymentRunTrigger.Approve, null, null, ct);
        Acting(maker);
        await PaymentRuns.ExportAsync(db, audit, As(maker), run.Id, null, ct);
        var paid = await db.Set<PaymentRunPayee>().AsNoTracking().SingleAsync(p => p.PaymentRunId == run.Id && p.SchoolId == first.SchoolId, ct);
        var confirmation = $"remittance_reference,amount,date,status\n{paid.RemittanceReference},{new Money(paid.AmountPence).ToDecimalString()}," +
                           $"{GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd},paid\n"; // the UK's today, as the approvals are dated: UTC's is a day behind after midnight in summer
        await Confirmations.ImportAsync(db, audit, As(maker), programme.Id, "demo-confirmations.csv",
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(confirmation)), ct);

        // Approved since, for the next run.
        var third = await UserAsync(SchoolUser(d, 2));
        var next = await SubmittedAsync(third, "Cover for the SENCo network meeting", StaffDay("T31", 5));
        await FireAsync(lead, next, ClaimTrigger.StartReview);
        await FireAsync(lead, next, ClaimTrigger.Approve);

        // A large claim that passed the area lead and awaits the programme admin's second approval.
        var coverEach = d.Splits.Single(x => x.Category == "staff-cover").Total.Pence / (d.Areas.Length * d.SchoolsPerArea);
        if (programme.SecondApprovalThresholdPence is { } threshold && coverEach >= 2 * threshold)
        {
            var days = (int)((threshold + 24_999) / 25_000); // days at £250 to reach the threshold
            var lines = Enumerable.Range(0, days).Select(i => StaffDay($"T{20 + i % 6:00}", 4 + i / 6, fromAllowance: false)).ToArray();
            var big = await SubmittedAsync(first, "Whole-staff training days", lines);
            await FireAsync(lead, big, ClaimTrigger.StartReview);
            await FireAsync(lead, big, ClaimTrigger.Approve);
        }

        // Action-plan spending with its invoice, under review.
        var plan = await ActionPlans.ActionPlans.AgreedPlanAsync(db, first.SchoolId!.Value, year.Id, ct);
        if (plan is not null)
        {
            var spend = await DraftAsync(first, "Calm room furniture", new LineEditing.LineInput("action-plan", categories["action-plan"], null, null, null, null,
                null, null, null, plan.Actions.OrderBy(a => a.ActionRef).Last().Id, "Calm Spaces Ltd", "INV-20418", Money.FromPounds(1_180), null, "Beanbags, lighting and screens"));
            var line = await db.Set<ClaimLine>().AsNoTracking().SingleAsync(l => l.ClaimId == spend, ct);
            Acting(first);
            await EvidenceFiles.AttachAsync(db, audit, As(first), spend, line.Id, "INV-20418.pdf", new MemoryStream(DemoInvoice("INV-20418", "1,180.00")), null, ct);
            await FireAsync(first, spend, ClaimTrigger.Submit);
            await FireAsync(lead, spend, ClaimTrigger.StartReview);
        }

        // Submitted and waiting; returned for a fix; rejected; withdrawn; and a draft being written.
        await SubmittedAsync(second, "Support staff programme admin", new LineEditing.LineInput("support-hours", categories["tlr-admin"], null, "S01",
            null, null, Day(9), Quantity.Parse("6"), null, null, null, null, null, null, null));
        var returned = await SubmittedAsync(second, "Cover for peer visits", StaffDay("T13", 10));
        await FireAsync(lead, returned, ClaimTrigger.StartReview);
        await FireAsync(lead, returned, ClaimTrigger.Return, "Please say which school the peer visit was to, in the line's description");
        var rejected = await SubmittedAsync(second, "Cover for a conference", StaffDay("T14", 11));
        await FireAsync(lead, rejected, ClaimTrigger.StartReview);
        await FireAsync(lead, rejected, ClaimTrigger.Reject, "The conference is not part of the programme's activities");
        var withdrawn = await SubmittedAsync(first, "Duplicate of the training cover claim", StaffDay("T01", 12));
        await FireAsync(first, withdrawn, ClaimTrigger.Withdraw);
        await DraftAsync(first, "Cover for the student action group", StaffDay("T03", 16, "0.5"));

        // Submitted and waiting, taking staff time from the school's allowance, so that the school's dashboard and the lead's
        // queue show time reserved (the claim awaiting a second approval is more days than the allowance holds: it takes none):
        // leaders' contact time in Difference Matters, a specialist's days paid from no budget (time alone) in PINS.
        var specialist = categories.GetValueOrDefault("specialist-support");
        if (allowance != 0)
            await SubmittedAsync(first, "Leaders' time at the SENCo network's training", StaffDay("T04", 13), StaffDay("T05", 13, "0.5"));
        else if (specialist != 0)
        {
            // a line is one specialist's work on its date, at most a day: two days' visits are two lines
            LineEditing.LineInput Visit(int day) => new("specialist-days", null, specialist, null, null, null,
                Day(day), null, Quantity.Parse("1"), null, null, null, null, "occupational-therapist", null);
            await SubmittedAsync(first, "Occupational therapist's visits", Visit(13), Visit(14));
        }
        return true;
    }

    /// <summary>A one-page PDF invoice, so the demo's evidence opens in a viewer.</summary>
    private static byte[] DemoInvoice(string reference, string amount)
    {
        var text = $"BT /F1 18 Tf 72 720 Td (Invoice {reference}) Tj 0 -30 Td /F1 12 Tf (Amount due: GBP {amount}) Tj ET";
        var objects = new[]
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {text.Length} >>\nstream\n{text}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        };
        var pdf = new System.Text.StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = pdf.Length;
        pdf.Append(System.Globalization.CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var o in offsets) pdf.Append(System.Globalization.CultureInfo.InvariantCulture, $"{o:0000000000} 00000 n \n");
        pdf.Append(System.Globalization.CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return System.Text.Encoding.ASCII.GetBytes(pdf.ToString());
    }
}

using GrantLedger.Core.Claims;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.ActionPlans;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using GrantLedger.Web.RateCards;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Adding, changing and removing a draft claim's lines. Each kind asks for what it needs; time is
/// entered in hours or days and kept in minutes; priced lines take the rate in force on their date
/// (copied onto the line: a rate recorded later with an earlier start reprices a draft's line, and
/// submission prices it again, but never a submitted claim's); action-plan lines name an action of
/// the school's agreed plan and carry the invoice amount.
/// </summary>
public static class LineEditing
{
    /// <summary>
    /// A claim line as its kind asks for it. Each kind takes its own fields (and description); a value given for a field
    /// the kind does not take is refused, 422 naming the field; a field left out or empty is none.
    /// </summary>
    /// <param name="Kind">what the line is for; it decides which other fields it takes</param>
    /// <param name="CategoryId">the budget category paying for it (any kind; a specialist-days line may leave it out: days only, paid from no budget)</param>
    /// <param name="AllowanceCategoryId">the staff-time allowance it spends (staff-time, support-hours, specialist-days; required for specialist-days)</param>
    /// <param name="StaffRef">the staff member's pseudonym, such as STAFF-07 (staff-time, tlr, support-hours)</param>
    /// <param name="Role">the staff member's role (staff-time only: a support-hours line is support staff's)</param>
    /// <param name="Activity">what the time was spent on (staff-time only: a support-hours line's is programme admin)</param>
    /// <param name="Date">the day the work was done (staff-time, support-hours, specialist-days), in the claim's half-term; a TLR is the
    /// half-term's sum, dated its first day: a date sent with one must fall in the half-term</param>
    /// <param name="Hours">the time in hours (staff-time, support-hours): a number with at most two decimal places that comes to
    /// a whole number of minutes, such as 2.5 or 0.25 (not 0.01), also taken as a string, "2.5"; at most 7.5, one working day, a line</param>
    /// <param name="Days">the time in days of 450 minutes, 7.5 hours (staff-time, specialist-days): a number with at most two decimal
    /// places that comes to a whole number of minutes, such as 1, 0.5 or 0.2 (not 0.33 or 0.01), also taken as a string, "0.5"; at
    /// most 1 a line, which is one staff member's or one specialist's work on its date: other days, or other specialists, go on
    /// other lines</param>
    /// <param name="ActionId">the action of the school's agreed plan the invoice is for (action-plan only)</param>
    /// <param name="Supplier">the invoice's supplier (action-plan only)</param>
    /// <param name="InvoiceRef">the invoice's reference (action-plan only)</param>
    /// <param name="Amount">the invoice amount (action-plan only: the other kinds are priced from the rate card, a line at most £10,000,000,000.00)</param>
    /// <param name="Specialist">the specialist's profession (specialist-days only)</param>
    /// <param name="Description">a note on the line (any kind)</param>
    public sealed record LineInput(
        [property: OneOf(typeof(ClaimLines), nameof(ClaimLines.Kinds))] string? Kind, long? CategoryId, long? AllowanceCategoryId,
        [property: MaxText(17, Pattern = Core.Claims.ClaimLines.StaffRefPattern)] string? StaffRef,
        [property: OneOf(typeof(ClaimLines), nameof(ClaimLines.StaffRoles))] string? Role,
        [property: OneOf(typeof(ClaimLines), nameof(ClaimLines.Activities))] string? Activity, DateOnly? Date, Quantity? Hours, Quantity? Days,
        long? ActionId, [property: MaxText(LineInput.MostSupplier)] string? Supplier, [property: MaxText(LineInput.MostInvoiceRef)] string? InvoiceRef,
        Money? Amount, [property: OneOf(typeof(ClaimLines), nameof(ClaimLines.Specialists))] string? Specialist,
        [property: MaxText(LineInput.MostDescription)] string? Description)
    {
        public const int MostSupplier = 200, MostInvoiceRef = 100, MostDescription = 500;
    }

    public static async Task<ClaimLine> AddAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, LineInput r,
        string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            Drafting.EnsureOpen(c, "no line can be added to its claims");
            var line = new ClaimLine { ClaimId = claimId, Kind = "", LineNo = c.Claim.Lines.Count == 0 ? 1 : c.Claim.Lines.Max(l => l.LineNo) + 1 };
            await FillAsync(db, c, line, r, new Lookups(db, c), ct);
            db.Add(line);
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ClaimLineAdded, claimId, c.Claim.ProgrammeId, Describe(line));
            await db.SaveChangesAsync(ct);
            return line;
        }, ct);

    public static async Task<ClaimLine> ChangeAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, long lineId,
        LineInput r, string? ifMatch, CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            var line = c.Claim.Lines.SingleOrDefault(l => l.Id == lineId) ?? throw new NotFound("claim line", lineId);
            Drafting.EnsureOpen(c, "its claims' lines can no longer change");
            var before = Describe(line);
            await FillAsync(db, c, line, r, new Lookups(db, c), ct);
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            audit.Record(AuditAction.ClaimLineChanged, claimId, c.Claim.ProgrammeId, new { before, after = Describe(line) });
            await db.SaveChangesAsync(ct);
            return line;
        }, ct);

    public static async Task RemoveAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId, long lineId, string? ifMatch,
        CancellationToken ct) =>
        await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            var line = c.Claim.Lines.SingleOrDefault(l => l.Id == lineId) ?? throw new NotFound("claim line", lineId);
            await db.Set<Evidence>().Where(e => e.ClaimLineId == lineId).ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimLineId, (long?)null), ct);
            db.Remove(line);
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            audit.Record(AuditAction.ClaimLineRemoved, claimId, c.Claim.ProgrammeId, Describe(line));
            await db.SaveChangesAsync(ct);
        }, ct);

    /// <summary>Fills <paramref name="line"/> from the request, checked as the line's kind needs: field errors together (InvalidInput), a staff day past a full day (RuleBroken).</summary>
    /// <param name="lookups">the programme's categories and the school's agreed plan, each read once for all the lines filled with it</param>
    internal static async Task FillAsync(GrantLedgerDb db, ClaimScope c, ClaimLine line, LineInput r, Lookups lookups, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Kebab.TryParse<ClaimLineKind>(r.Kind ?? "", out var kind))
        {
            errors.Add("kind", "must be one of " + string.Join(", ", ClaimLines.Kinds));
            errors.ThrowIfAny();
        }
        var categories = await lookups.CategoriesAsync(ct);
        line.Kind = Kebab.Of(kind);
        line.Description = errors.Text("description", r.Description, LineInput.MostDescription, required: false, manyLines: true) is { Length: > 0 } d ? d : null;
        (line.StaffRef, line.StaffRole, line.Activity, line.WorkDate, line.Minutes) = (null, null, null, null, null);
        (line.RateId, line.RatePence, line.RateBasis, line.ActionId, line.Supplier, line.InvoiceRef) = (null, null, null, null, null, null);
        line.AmountPence = 0;

        // The money category each kind is charged to, and the time allowance it may spend.
        string[] moneyKinds = kind switch
        {
            ClaimLineKind.StaffTime => [CategoryKinds.StaffCover],
            ClaimLineKind.Tlr or ClaimLineKind.SupportHours => [CategoryKinds.TlrAdmin],
            ClaimLineKind.ActionPlan => [CategoryKinds.ActionPlan],
            _ => [CategoryKinds.StaffCover, CategoryKinds.TlrAdmin, CategoryKinds.ActionPlan, CategoryKinds.ProgrammePot],
        };
        var moneyOptional = kind == ClaimLineKind.SpecialistDays; // specialist days may be days only, paid from no budget
        line.CategoryId = Category(r.CategoryId, "categoryId", moneyKinds, required: !moneyOptional, categories, errors);
        // a field the kind does not take is refused, naming it, whichever it is: it was dropped or overwritten without a word
        var takes = ClaimLines.FieldsOf(kind);
        foreach (var field in Given(r).Where(f => !takes.Contains(f))) errors.Add(field, NotTaken(kind, field));
        line.AllowanceCategoryId = takes.Contains("allowanceCategoryId")
            ? Category(r.AllowanceCategoryId, "allowanceCategoryId", [CategoryKinds.TimeAllowance], required: kind == ClaimLineKind.SpecialistDays, categories, errors)
            : null;

        if (kind is ClaimLineKind.StaffTime or ClaimLineKind.Tlr or ClaimLineKind.SupportHours)
            line.StaffRef = ClaimLines.StaffReference(r.StaffRef) ?? Error<string>(errors, "staffRef", string.IsNullOrWhiteSpace(r.StaffRef)
                ? "enter the staff reference"
                : "enter the staff reference as letters then numbers, like STAFF-07: the staff member's pseudonym, never their name");

        switch (kind)
        {
            case ClaimLineKind.StaffTime:
                line.StaffRole = r.Role is { } role && ClaimLines.StaffRoles.Contains(role) ? role
                    : Error<string>(errors, "role", "must be one of " + string.Join(", ", ClaimLines.StaffRoles));
                line.Activity = r.Activity is { } a && ClaimLines.Activities.Contains(a) ? a
                    : Error<string>(errors, "activity", "must be one of " + string.Join(", ", ClaimLines.Activities));
                TimeOnADate(line, r, c.Period, errors, allowDays: true);
                break;
            case ClaimLineKind.SupportHours:
                line.StaffRole = "support-staff";
                line.Activity = "programme-admin";
                TimeOnADate(line, r, c.Period, errors, allowDays: false);
                break;
            case ClaimLineKind.Tlr:
                // the TLR3 sum for the half-term, at the rate in force when it began; a date, if one is sent, must be in it
                if (r.Date is { } tlrDate && (tlrDate < c.Period.StartsOn || tlrDate > c.Period.EndsOn))
                    errors.Add("date", OutsideTheHalfTerm(c.Period));
                else if (TlrNotBegun(c.Period) is { } notBegun) errors.Add("date", notBegun);
                line.WorkDate = c.Period.StartsOn;
                // twice on one claim is refused as it is added; on another claim, at submission (whichever is submitted first)
                // one staff member with or without the hyphen or leading zeros (T-01, T01, T1): ClaimLines.StaffKey
                if (line.StaffRef is { } tlrStaff && c.Claim.Lines.FirstOrDefault(l => l != line && l.Kind == line.Kind && l.StaffRef is { } other
                        && ClaimLines.StaffKey(other) == ClaimLines.StaffKey(tlrStaff)) is { StaffRef: { } onClaim })
                    errors.Add("staffRef", $"{tlrStaff}'s TLR for {c.Period.Name} is already on this claim{(onClaim == tlrStaff ? "" : $" (as {onClaim})")}: " +
                        "it is paid once per half-term");
                break;
            case ClaimLineKind.SpecialistDays:
                line.StaffRole = "specialist";
                line.Activity = r.Specialist is { } sp && ClaimLines.Specialists.Contains(sp) ? sp
                    : Error<string>(errors, "specialist", "must be one of " + string.Join(", ", ClaimLines.Specialists));
                TimeOnADate(line, r, c.Period, errors, allowDays: true, allowHours: false);
                break;
            case ClaimLineKind.ActionPlan:
                line.Supplier = errors.Text("supplier", r.Supplier, LineInput.MostSupplier);
                line.InvoiceRef = errors.Text("invoiceRef", r.InvoiceRef, LineInput.MostInvoiceRef);
                if (r.Amount is not { } amount) errors.Add("amount", "enter the invoice amount");
                else if (!amount.IsPositive) errors.Add("amount", "must be more than zero");
                else line.AmountPence = amount.Pence;
                var plan = await lookups.PlanAsync(ct);
                if (plan is null) errors.Add("actionId", "the school has no agreed action plan for this year: action-plan spending needs one");
                else if (r.ActionId is not { } actionId || plan.Actions.All(x => x.Id != actionId))
                    errors.Add("actionId", "choose an action of the school's agreed action plan");
                else line.ActionId = actionId;
                // one invoice is claimed once for an action: a form posted twice or a file imported twice added it again
                if (await lookups.InvoiceClaimedAsync(line, earlierOnly: false, ct) is { } claimed)
                    errors.Add("invoiceRef", claimed);
                break;
        }
        // What needs other fields right is checked once they are, whatever else is wrong, so that every problem is told at once.
        // Priced kinds take the rate in force on the line's date; specialist days only when charged to money.
        var rateCode = ClaimLines.RateCode(kind, line.StaffRole);
        if (rateCode is not null && line.CategoryId is not null && line.WorkDate is { } on && (kind != ClaimLineKind.StaffTime || line.StaffRole is not null))
        {
            var rate = await RateCards.RateCards.InForceAsync(db, c.Programme.Id, rateCode, on, ct);
            if (rate is null)
                errors.Add(kind == ClaimLineKind.Tlr ? "kind" : "date", $"no '{rateCode}' rate is in force on {on:yyyy-MM-dd}: the programme admin adds rates to the rate card");
            else if (!line.PriceBy(rate.Id, rate.AmountPence, rate.Basis))
                // past it, its amount could not be written, nor added up (a £10bn day by 30,000 days overflowed: a 500)
                errors.Add(r.Hours is not null ? "hours" : "days", $"{new Minutes(line.Minutes ?? 0)} at {new Money(rate.AmountPence)} {Pricing.Per(rate.Basis)} would come to " +
                    $"more than the most a line may cost (£{Hundredths.MostText}.00): claim the time on several lines");
        }
        // a claim's total is an amount too (a priced line's amount is known once priced): past the most one can be, its pages and sums could not show it
        if (line.AmountPence > 0 && ClaimTotals.PastTheMost(c.Claim.Lines.Where(l => !ReferenceEquals(l, line)).Append(line)) is { } total)
            errors.Add("amount", $"would take the claim's total to {total}, past the most a claim can be " +
                $"(£{Hundredths.MostText}.00): put it on another claim");
        // a staff day past a full day is its rule's refusal (staff-day-exceeded) alone, one of the field errors beside others
        var fullDay = ClaimLines.CountsStaffDay(kind) && line is { StaffRef: not null, WorkDate: not null, Minutes: not null }
            ? await StaffDays.PastAFullDayAsync(db, c, line, ct) : null;
        if (fullDay is not null && errors.Any) errors.Add(fullDay.Field!, fullDay.Message);
        errors.ThrowIfAny();
        if (fullDay is not null) throw fullDay;
    }

    /// <summary>The fields <paramref name="r"/> gives a value, by their request names: text left empty is none, as a form's field left blank is.</summary>
    private static IEnumerable<string> Given(LineInput r)
    {
        (string Field, bool Given)[] fields =
        [
            ("categoryId", r.CategoryId is not null), ("allowanceCategoryId", r.AllowanceCategoryId is not null),
            ("staffRef", !string.IsNullOrWhiteSpace(r.StaffRef)), ("role", !string.IsNullOrWhiteSpace(r.Role)),
            ("activity", !string.IsNullOrWhiteSpace(r.Activity)), ("date", r.Date is not null), ("hours", r.Hours is not null),
            ("days", r.Days is not null), ("actionId", r.ActionId is not null), ("supplier", !string.IsNullOrWhiteSpace(r.Supplier)),
            ("invoiceRef", !string.IsNullOrWhiteSpace(r.InvoiceRef)), ("amount", r.Amount is not null),
            ("specialist", !string.IsNullOrWhiteSpace(r.Specialist)),
        ];
        return fields.Where(f => f.Given).Select(f => f.Field);
    }

    /// <summary>Why a line of <paramref name="kind"/> refuses a value for <paramref name="field"/>, which it does not take (<see cref="ClaimLines.FieldsOf"/>).</summary>
    private static string NotTaken(ClaimLineKind kind, string field)
    {
        var named = kind == ClaimLineKind.Tlr ? "TLR" : Kebab.Of(kind);
        var takes = ClaimLines.FieldsOf(kind);
        return field switch
        {
            "amount" => $"{PricedBy(kind)}; leave it out",
            "allowanceCategoryId" => $"a {named} line spends no staff-time allowance; leave it out",
            "role" or "activity" when kind == ClaimLineKind.SupportHours =>
                $"a support-hours line is support staff's programme admin, which is its role and activity; leave the {field} out",
            "hours" or "days" when takes.Contains("hours") || takes.Contains("days") =>
                $"{Article(named)} {named} line's time is given in {(takes.Contains("hours") ? "hours" : "days")}; leave the {field} out",
            _ => $"{Article(named)} {named} line takes no {field} (it takes {string.Join(", ", takes)} and description); leave it out",
        };
    }

    /// <summary>Where a line of a kind other than action-plan spending takes its amount from.</summary>
    private static string PricedBy(ClaimLineKind kind) => kind switch
    {
        ClaimLineKind.Tlr => "A TLR line's amount is set by the rate card",
        ClaimLineKind.SpecialistDays => "A specialist-days line's amount is set by the rate card (or is none, paid from no budget)",
        _ => $"A {Kebab.Of(kind)} line's amount is set by the rate card",
    };

    /// <summary>
    /// The refusal of a TLR for a half-term that has not begun (a Summer 2 TLR claimed in December was approved, payable at
    /// once), as staff time dated after today is refused; null once it has begun.
    /// </summary>
    internal static string? TlrNotBegun(Period period) => period.StartsOn <= UkTime.Today ? null
        : $"{period.Name} has not begun: a TLR is claimed for a half-term once it has begun, on or after {period.StartsOn:d MMM yyyy}";

    private static string OutsideTheHalfTerm(Period period) =>
        $"must fall in the claim's half-term, {period.Name} ({period.StartsOn:d MMM yyyy} to {period.EndsOn:d MMM yyyy})";

    private static void TimeOnADate(ClaimLine line, LineInput r, Period period, FieldErrors errors, bool allowDays, bool allowHours = true)
    {
        if (r.Date is not { } date) errors.Add("date", "is required");
        else if (date < period.StartsOn || date > period.EndsOn)
            errors.Add("date", OutsideTheHalfTerm(period));
        else if (NotInTheFuture.Refusal(date, UkTime.Today, "claim work once it has been done") is { } future) errors.Add("date", future);
        else line.WorkDate = date;

        // a unit the kind does not take is refused as a field it does not take; here it is as if not given
        var (hours, days) = (allowHours ? r.Hours : null, allowDays ? r.Days : null);
        var field = allowHours ? "hours" : "days";
        if ((hours is null) == (days is null))
        {
            errors.Add(field, allowHours && allowDays ? "give hours or days (one of them)" : $"give the number of {field}");
            return;
        }
        var (quantity, unit) = hours is { } h ? (h, TimeUnit.Hours) : (days!.Value, TimeUnit.Days);
        field = unit == TimeUnit.Hours ? "hours" : "days";
        if (!Minutes.TryFromQuantity(quantity, unit, out var minutes, out var error)) errors.Add(field, error!);
        else if (minutes.Value > ClaimLines.MostMinutes)
            errors.Add(field, line.Kind == Kebab.Of(ClaimLineKind.SpecialistDays)
                ? "one line is at most one working day (7.5 hours): a line is one specialist's work on its date; claim other days, or other specialists, on other lines"
                : "one line is at most one working day (7.5 hours); claim other days on other lines");
        else line.Minutes = minutes.Value;
    }

    /// <summary>
    /// What checking a draft's lines reads besides the lines: its programme's budget categories by id and its school's agreed
    /// plan, each read the first time a line needs it and then kept, so an import of many lines reads them once.
    /// </summary>
    internal sealed class Lookups(GrantLedgerDb db, ClaimScope c)
    {
        private Dictionary<long, BudgetCategory>? _categories;
        private (bool Read, ActionPlan? Plan) _plan;
        private Dictionary<long, int>? _actionRefs;
        private List<ClaimedInvoice>? _elsewhere;

        /// <summary>An action-plan line of another claim of the school's year that was submitted and not refused or withdrawn.</summary>
        private sealed record ClaimedInvoice(long ClaimId, int LineNo, string Period, int ActionRef, string? Supplier, string? InvoiceRef);

        public async Task<Dictionary<long, BudgetCategory>> CategoriesAsync(CancellationToken ct) =>
            _categories ??= await db.CategoriesOf(c.Programme.Id).ToDictionaryAsync(x => x.Id, ct);

        /// <returns>the school's agreed plan for the claim's year, null when it has none</returns>
        public async Task<ActionPlan?> PlanAsync(CancellationToken ct)
        {
            if (!_plan.Read) _plan = (true, await ActionPlans.ActionPlans.AgreedPlanAsync(db, c.School.Id, c.Claim.ProgrammeYearId, ct));
            return _plan.Plan;
        }

        /// <summary>
        /// Where the invoice of an action-plan <paramref name="line"/> is already claimed for its action, said for the user; null
        /// when nowhere. The same invoice is the same supplier and reference, case and surrounding spaces aside; the same action is
        /// the same number (ref), which revising the plan keeps while giving the action a new id. Claimed is on another line of
        /// the claim (with <paramref name="earlierOnly"/>, a line before it: the copy is the later one), or on a line of another
        /// claim of the school's year that was submitted and is not refused or withdrawn: a draft holds nothing until submitted,
        /// and of two drafts naming one invoice the second submitted is refused. One invoice split across actions is claimed once
        /// for each.
        /// </summary>
        public async Task<string?> InvoiceClaimedAsync(ClaimLine line, bool earlierOnly, CancellationToken ct)
        {
            if (line is not { ActionId: { } action, Supplier: { } supplier, InvoiceRef: { } invoice }) return null;
            var refs = await ActionRefsAsync(ct);
            int RefOf(long id) => refs.TryGetValue(id, out var r) ? r : -1;
            var actionRef = RefOf(action);
            bool Same(string? a, string b) => string.Equals(a?.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
            var what = $"invoice {invoice.Trim()} from {supplier.Trim()} is already claimed for this action";
            const string once = "an invoice is claimed once for an action (one split across actions goes on a line for each)";
            var here = c.Claim.Lines.OrderBy(l => l.LineNo).FirstOrDefault(l => l != line && l.Kind == line.Kind && (!earlierOnly || l.LineNo < line.LineNo)
                && (l.ActionId == action || l.ActionId is { } other && RefOf(other) == actionRef && actionRef >= 0)
                && Same(l.Supplier, supplier) && Same(l.InvoiceRef, invoice));
            if (here is not null) return $"{what} on line {here.LineNo} of the claim: {once}";
            var there = (await ElsewhereAsync(ct)).FirstOrDefault(x => x.ActionRef == actionRef && Same(x.Supplier, supplier) && Same(x.InvoiceRef, invoice));
            return there is null ? null
                : $"{what} on line {there.LineNo} of claim {ClaimAccess.Reference(there.ClaimId)} ({there.Period}): {once}";
        }

        /// <summary>The number (ref) of every action the claim's lines or the agreed plan name.</summary>
        public async Task<Dictionary<long, int>> ActionRefsAsync(CancellationToken ct)
        {
            if (_actionRefs is not null) return _actionRefs;
            var refs = await Transitions.ActionRefsAsync(db, c.Claim.Lines, ct);
            foreach (var a in (await PlanAsync(ct))?.Actions ?? []) refs[a.Id] = a.ActionRef;
            return _actionRefs = refs;
        }

        private async Task<List<ClaimedInvoice>> ElsewhereAsync(CancellationToken ct)
        {
            var kind = Kebab.Of(ClaimLineKind.ActionPlan);
            return _elsewhere ??= await (
                from l in db.Set<ClaimLine>()
                join claim in db.Set<Claim>() on l.ClaimId equals claim.Id
                join period in db.Periods on claim.PeriodId equals period.Id
                join a in db.Set<ActionPlanAction>() on l.ActionId equals (long?)a.Id
                where claim.SchoolId == c.School.Id && claim.ProgrammeYearId == c.Claim.ProgrammeYearId && claim.Id != c.Claim.Id
                      && claim.State != "draft" && claim.State != "rejected" && claim.State != "withdrawn" && l.Kind == kind
                orderby claim.Id, l.LineNo
                select new ClaimedInvoice(claim.Id, l.LineNo, period.Name, a.ActionRef, l.Supplier, l.InvoiceRef)).AsNoTracking().ToListAsync(ct);
        }
    }

    private static string Article(string word) => "aeiou".Contains(word[0]) ? "an" : "a"; // an action-plan category

    private static long? Category(long? id, string field, string[] kinds, bool required, IReadOnlyDictionary<long, BudgetCategory> categories, FieldErrors errors)
    {
        if (id is null)
        {
            if (required) errors.Add(field, "is required");
            return null;
        }
        if (!categories.TryGetValue(id.Value, out var category)) errors.Add(field, $"category {id} is not a budget category of this programme");
        else if (!kinds.Contains(category.Kind))
            errors.Add(field, $"'{category.Name}' is {Article(category.Kind)} {category.Kind} category; this line needs {Article(kinds[0])} {string.Join(" or ", kinds)} category");
        else return category.Id;
        return null;
    }

    private static T? Error<T>(FieldErrors errors, string field, string message)
    {
        errors.Add(field, message);
        return default;
    }

    internal static object Describe(ClaimLine l) => new
    {
        l.Id, l.LineNo, l.Kind, l.CategoryId, amount = new Money(l.AmountPence).ToDecimalString(), l.AllowanceCategoryId, l.Minutes,
        l.StaffRef, l.StaffRole, l.Activity, l.WorkDate, l.RateId, l.ActionId, l.Supplier, l.InvoiceRef,
    };
}

using System.Net;
using System.Text;
using GrantLedger.Core.Money;
using Microsoft.AspNetCore.Html;

namespace GrantLedger.Web.Pages;

/// <summary>GOV.UK Frontend form components as HTML, with each field's inline error and the value as typed.</summary>
public static class Gov
{
    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string Id(string name) => name.Replace("[", "-").Replace("]", "").Replace(".", "-");

    public static IHtmlContent ErrorSummary(GovPage p)
    {
        if (!p.HasErrors) return HtmlString.Empty;
        var sb = new StringBuilder();
        sb.Append("""<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">""");
        foreach (var (field, message) in p.Errors)
            sb.Append(field.Length > 0 ? $"""<li><a href="#{E(Id(field))}">{E(message)}</a></li>""" : $"<li>{E(message)}</li>");
        sb.Append("</ul></div></div></div>");
        return new HtmlString(sb.ToString());
    }

    /// <summary>
    /// The programme to show, for an admin of every programme on a page of one programme (set-up, allocations, the rate card):
    /// a list and "Show the programme", sent as ?programmeId=; nothing when there is one programme to show.
    /// </summary>
    public static IHtmlContent ProgrammeChoice(GovPage p, IReadOnlyCollection<(string Value, string Text)> options, string? shown) =>
        options.Count <= 1 ? HtmlString.Empty
        : new HtmlString($"""<form method="get" novalidate id="programme-choice">{Select(p, "programmeId", "Programme", options, shown)}<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Show the programme</button></form>""");

    /// <summary>
    /// The success banner of what was just done (<see cref="GovPage.SayDone"/>), once, on the page a form's redirect led to:
    /// GOV.UK's notification banner, success variant, announced as an alert.
    /// </summary>
    public static IHtmlContent DoneBanner(Microsoft.AspNetCore.Mvc.ViewFeatures.ITempDataDictionary tempData) =>
        tempData[GovPage.DoneKey] is not string done ? HtmlString.Empty : new HtmlString($"""
            <div class="govuk-notification-banner govuk-notification-banner--success" role="alert" aria-labelledby="done-title" data-module="govuk-notification-banner" id="done">
            <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="done-title">Success</h2></div>
            <div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">{E(done)}</p></div></div>
            """);

    /// <summary>
    /// The notice a form posted twice leads to (<see cref="GovPage.OnceAsync"/>: "This was already done: …"), once, on the page
    /// the second post went to: GOV.UK's notification banner. TempData is read only where a page shows it, as reading it writes
    /// its cookie.
    /// </summary>
    public static IHtmlContent NoticeBanner(Microsoft.AspNetCore.Mvc.ViewFeatures.ITempDataDictionary tempData) =>
        tempData[GovPage.NoticeKey] is not string notice ? HtmlString.Empty : new HtmlString($"""
            <div class="govuk-notification-banner" role="region" aria-labelledby="notice-title" data-module="govuk-notification-banner" id="notice">
            <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="notice-title">Important</h2></div>
            <div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">{E(notice)}</p></div></div>
            """);

    private static string Group(GovPage p, string name, string inner)
    {
        p.Shown(name);
        return $"""<div class="govuk-form-group{(p.ErrorFor(name) is null ? "" : " govuk-form-group--error")}">{inner}</div>""";
    }

    private static string Hint(string name, string? hint) =>
        hint is null ? "" : $"""<div id="{E(Id(name))}-hint" class="govuk-hint">{E(hint)}</div>""";

    private static string Error(GovPage p, string name) =>
        p.ErrorFor(name) is { } m ? $"""<p id="{E(Id(name))}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {E(m)}</p>""" : "";

    private static string Described(GovPage p, string name, string? hint)
    {
        var ids = new List<string>();
        if (hint is not null) ids.Add(Id(name) + "-hint");
        if (p.ErrorFor(name) is not null) ids.Add(Id(name) + "-error");
        return ids.Count == 0 ? "" : $""" aria-describedby="{E(string.Join(' ', ids))}" """;
    }

    public static IHtmlContent Input(GovPage p, string name, string label, string? stored = null, string? hint = null,
        string width = "govuk-input--width-20", string? inputMode = null, string? autocomplete = null, string? prefix = null,
        string type = "text", bool labelIsHeading = false, string? spellcheck = null)
    {
        var id = Id(name);
        var err = p.ErrorFor(name) is null ? "" : " govuk-input--error";
        var attrs = (inputMode is null ? "" : $""" inputmode="{inputMode}" """) + (autocomplete is null ? "" : $""" autocomplete="{autocomplete}" """)
                    + (spellcheck is null ? "" : $""" spellcheck="{spellcheck}" """);
        var value = type == "password" ? "" : p.Typed(name, stored); // a password typed is not sent back into the page, not even to correct it
        var input = $"""<input class="govuk-input {width}{err}" id="{E(id)}" name="{E(name)}" type="{type}" value="{E(value)}"{attrs}{Described(p, name, hint)}>""";
        if (prefix is not null)
            input = $"""<div class="govuk-input__wrapper"><div class="govuk-input__prefix" aria-hidden="true">{E(prefix)}</div>{input}</div>""";
        var lbl = labelIsHeading
            ? $"""<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" for="{E(id)}">{E(label)}</label></h1>"""
            : $"""<label class="govuk-label" for="{E(id)}">{E(label)}</label>""";
        return new HtmlString(Group(p, name, lbl + Hint(name, hint) + Error(p, name) + input));
    }

    public static IHtmlContent Money(GovPage p, string name, string label, Money? stored = null, string? hint = null) =>
        Input(p, name, label, stored?.ToDecimalString(), hint ?? "In pounds, for example 1,234.50", "govuk-input--width-10", "decimal", prefix: "£", spellcheck: "false");

    public static IHtmlContent Textarea(GovPage p, string name, string label, string? stored = null, string? hint = null, int rows = 4)
    {
        var id = Id(name);
        var err = p.ErrorFor(name) is null ? "" : " govuk-textarea--error";
        return new HtmlString(Group(p, name,
            $"""<label class="govuk-label" for="{E(id)}">{E(label)}</label>{Hint(name, hint)}{Error(p, name)}<textarea class="govuk-textarea{err}" id="{E(id)}" name="{E(name)}" rows="{rows}"{Described(p, name, hint)}>{E(p.Typed(name, stored))}</textarea>"""));
    }

    /// <param name="blank">
    /// the text of an empty first option ("Select the role"), for a select the user must answer: one forgotten is told, not
    /// silently given the first choice. Left out where the first option is a default the user is not asked to decide (a filter).
    /// </param>
    public static IHtmlContent Select(GovPage p, string name, string label, IEnumerable<(string Value, string Text)> options, string? stored = null,
        string? hint = null, string? blank = null)
    {
        var chosen = p.Typed(name, stored);
        if (blank is not null) options = options.Prepend(("", blank));
        return SelectOf(p, name, label, hint, Options(options, chosen));
    }

    /// <summary>A select whose options come in labelled groups (an optgroup each), after the blank option when it has one.</summary>
    public static IHtmlContent Select(GovPage p, string name, string label, IEnumerable<(string Label, IEnumerable<(string Value, string Text)> Options)> groups,
        string blank, string? hint = null)
    {
        var chosen = p.Typed(name);
        var opts = Options([("", blank)], chosen) + string.Concat(groups.Select(g => $"""<optgroup label="{E(g.Label)}">{Options(g.Options, chosen)}</optgroup>"""));
        return SelectOf(p, name, label, hint, opts);
    }

    private static string Options(IEnumerable<(string Value, string Text)> options, string chosen) =>
        string.Concat(options.Select(o => $"""<option value="{E(o.Value)}"{(o.Value == chosen ? " selected" : "")}>{E(o.Text)}</option>"""));

    private static IHtmlContent SelectOf(GovPage p, string name, string label, string? hint, string options)
    {
        var id = Id(name);
        var err = p.ErrorFor(name) is null ? "" : " govuk-select--error";
        return new HtmlString(Group(p, name,
            $"""<label class="govuk-label" for="{E(id)}">{E(label)}</label>{Hint(name, hint)}{Error(p, name)}<select class="govuk-select{err}" id="{E(id)}" name="{E(name)}"{Described(p, name, hint)}>{options}</select>"""));
    }

    private static string Fieldset(GovPage p, string name, string legend, string? hint, string inner, bool legendIsHeading)
    {
        var leg = legendIsHeading
            ? $"""<legend class="govuk-fieldset__legend govuk-fieldset__legend--l"><h1 class="govuk-fieldset__heading">{E(legend)}</h1></legend>"""
            : $"""<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{E(legend)}</legend>""";
        return Group(p, name, $"""<fieldset class="govuk-fieldset"{Described(p, name, hint)}>{leg}{Hint(name, hint)}{Error(p, name)}{inner}</fieldset>""");
    }

    public static IHtmlContent Radios(GovPage p, string name, string legend, IEnumerable<(string Value, string Text)> options, string? stored = null,
        string? hint = null, bool legendIsHeading = false, bool small = false)
    {
        var chosen = p.Typed(name, stored);
        var items = options.Select((o, i) =>
        {
            var id = i == 0 ? Id(name) : $"{Id(name)}-{i + 1}";
            return $"""<div class="govuk-radios__item"><input class="govuk-radios__input" id="{E(id)}" name="{E(name)}" type="radio" value="{E(o.Value)}"{(o.Value == chosen ? " checked" : "")}><label class="govuk-label govuk-radios__label" for="{E(id)}">{E(o.Text)}</label></div>""";
        });
        return new HtmlString(Fieldset(p, name, legend, hint,
            $"""<div class="govuk-radios{(small ? " govuk-radios--small" : "")}" data-module="govuk-radios">{string.Concat(items)}</div>""", legendIsHeading));
    }

    public static IHtmlContent Checkboxes(GovPage p, string name, string legend, IEnumerable<(string Value, string Text)> options,
        IEnumerable<string>? stored = null, string? hint = null, bool legendIsHeading = false)
    {
        var chosen = p.TypedAll(name, stored);
        var items = options.Select((o, i) =>
        {
            var id = i == 0 ? Id(name) : $"{Id(name)}-{i + 1}";
            return $"""<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="{E(id)}" name="{E(name)}" type="checkbox" value="{E(o.Value)}"{(chosen.Contains(o.Value) ? " checked" : "")}><label class="govuk-label govuk-checkboxes__label" for="{E(id)}">{E(o.Text)}</label></div>""";
        });
        return new HtmlString(Fieldset(p, name, legend, hint,
            $"""<div class="govuk-checkboxes" data-module="govuk-checkboxes">{string.Concat(items)}</div>""", legendIsHeading));
    }

    public static IHtmlContent DateInput(GovPage p, string name, string legend, DateOnly? stored = null, string? hint = null)
    {
        hint ??= "For example, 27 3 2026";
        var err = p.ErrorFor(name) is null ? "" : " govuk-input--error";
        string Part(string part, string text, string width, string? value) =>
            $"""<div class="govuk-date-input__item"><div class="govuk-form-group"><label class="govuk-label govuk-date-input__label" for="{E(part == "day" ? Id(name) : $"{Id(name)}-{part}")}">{text}</label><input class="govuk-input govuk-date-input__input {width}{err}" id="{E(part == "day" ? Id(name) : $"{Id(name)}-{part}")}" name="{E(name)}-{part}" type="text" inputmode="numeric" value="{E(p.Typed($"{name}-{part}", value))}"></div></div>""";
        var inner = $"""<div class="govuk-date-input" id="{E(Id(name))}-group">{Part("day", "Day", "govuk-input--width-2", stored?.Day.ToString())}{Part("month", "Month", "govuk-input--width-2", stored?.Month.ToString())}{Part("year", "Year", "govuk-input--width-4", stored?.Year.ToString())}</div>""";
        return new HtmlString(Fieldset(p, name, legend, hint, inner, false).Replace("govuk-fieldset\"", "govuk-fieldset\" role=\"group\""));
    }

    /// <summary>
    /// A claim's Status cell in a list: its tag, a draft the reviewer returned "Returned" (the school's list said so, the
    /// lead's and the auditor's "Draft"), and under an approved claim with nothing to pay (time alone, which no payment run
    /// takes: <see cref="Payment"/>) "Nothing to pay", where "Approved" read as a payment still to come.
    /// </summary>
    public static IHtmlContent ClaimTag(Claims.ClaimSummary c)
    {
        var tag = Tag(c.State == "draft" && c.Reason is not null ? "returned" : c.State);
        return NothingToPay(c.State, c.Sanctioned ?? c.Claimed)
            ? new HtmlString($"""{tag}<br><span class="govuk-body-s">Nothing to pay</span>""") : tag;
    }

    /// <summary>A state as a GOV.UK tag, in plain words.</summary>
    public static IHtmlContent Tag(string state)
    {
        var colour = state switch
        {
            "draft" => "govuk-tag--grey",
            "submitted" or "under-review" or "awaiting-second-approval" or "built" or "exported" or "sent" or "queued" or "running" => "",
            "approved" or "agreed" or "paid" or "succeeded" => "govuk-tag--green",
            "returned" => "govuk-tag--orange",
            "rejected" or "cancelled" or "failed" => "govuk-tag--red",
            "withdrawn" or "superseded" => "govuk-tag--grey",
            _ => "govuk-tag--purple",
        };
        return new HtmlString($"""<strong class="govuk-tag {colour}">{E(Words(state))}</strong>""");
    }

    /// <summary>
    /// A payment run's status, saying when payments failed: "Paid, 1 payment failed"; "Not paid: the payment failed" when
    /// every one did (the run is done, state paid, but paid nothing).
    /// </summary>
    public static IHtmlContent RunTag(string state, int payeeCount, int failedCount)
    {
        if (failedCount == 0) return Tag(state);
        var failed = $"{Count(failedCount, "payment")} failed";
        return state == "paid" && failedCount == payeeCount
            ? new HtmlString($"""<strong class="govuk-tag govuk-tag--red">Not paid: {(payeeCount == 1 ? "the payment failed" : $"all {failed}")}</strong>""")
            : new HtmlString($"""<strong class="govuk-tag govuk-tag--orange">{E(Words(state))}, {failed}</strong>""");
    }

    /// <summary>
    /// What became of a record, said by its state: "has been withdrawn", "is under review", "is awaiting a second approval",
    /// "is in a payment run", "has been replaced by a new version", "is a draft now"; with <paramref name="already"/>, as a step
    /// refused on a record that moved on says it ("has already been approved", "is already under review").
    /// </summary>
    public static string Became(string state, bool already = false)
    {
        var a = already ? "already " : "";
        return state switch
        {
            "draft" => "is a draft now",
            "under-review" => $"is {a}under review",
            "awaiting-second-approval" => $"is {a}awaiting a second approval",
            "in-payment-run" => $"is {a}in a payment run",
            "superseded" => $"has {a}been replaced by a new version",
            _ => $"has {a}been {state.Replace('-', ' ')}",
        };
    }

    /// <summary>A claim's states once its approved amount stands: the school reads what was approved, and why a line was reduced.</summary>
    public static bool Approved(string state) => state is "approved" or "in-payment-run" or "paid";

    /// <summary>An approved claim whose approval spent staff time alone: no payment run takes it (PaymentRuns pays money only).</summary>
    private static bool NothingToPay(string state, Money approved) => state == "approved" && approved.Pence == 0;

    /// <summary>
    /// Where an approved claim stands for payment, for its pages' Payment row: waiting for a payment run, in one, or paid by
    /// one; a claim whose approval spent staff time alone has nothing to pay, goes into no run and stays approved, which read
    /// as if a payment were still to come. A claim approved again because its payment failed says so first, with the run
    /// and the day, where it read as if no payment had been tried. Null before its approval stands.
    /// </summary>
    public static string? Payment(Claims.ClaimView c)
    {
        var payable = c.Sanctioned ?? c.Claimed;
        var run = c.PaymentRunId is { } id ? Payments.PaymentRuns.Reference(id) : "a payment run";
        var failed = LastPaymentFailed(c);
        return c.State switch
        {
            _ when NothingToPay(c.State, payable) =>
                "Nothing to pay: the approval spent staff time alone, so the claim goes into no payment run and is complete as it stands",
            "approved" when failed is not null =>
                $"The payment by payment run {(failed.PaymentRunId is { } f ? Payments.PaymentRuns.Reference(f) : "a payment run")} failed on " +
                $"{Core.Ledger.UkTime.Of(failed.At):d MMMM yyyy}: {payable} to be paid in the funder's next payment run",
            "approved" => $"{payable} to be paid in the funder's next payment run",
            "in-payment-run" => $"{payable} in payment run {run}, being paid",
            "paid" => $"{payable} paid by payment run {run}",
            _ => null,
        };
    }

    /// <summary>The claim's payment that failed, when that is the last thing that happened to it (it is approved again).</summary>
    private static Claims.TransitionView? LastPaymentFailed(Claims.ClaimView c) =>
        c.State == "approved" && c.History.Count > 0 && c.History[^1].Trigger == "payment-failed" ? c.History[^1] : null;

    /// <summary>
    /// After a claim's Payment row, once a payment run has paid it or its payment failed: a link to the reader's page of the
    /// payments to its school, where the remittance reference and the run's other claims are: the school business manager's,
    /// the area lead's, or the one finance, the auditor and the programme's admins read.
    /// </summary>
    public static IHtmlContent PaymentsLink(Claims.ClaimView c, System.Security.Claims.ClaimsPrincipal reader)
    {
        if (c.State != "paid" && LastPaymentFailed(c) is null) return HtmlString.Empty;
        var (href, text) = Access.CurrentUser.From(reader).Role switch
        {
            Access.Roles.SchoolBusinessManager => ("/school/payments", "your school's payments"),
            Access.Roles.AreaLead => (FormattableString.Invariant($"/review/schools/{c.School.Id}/payments"), "the school's payments"),
            Access.Roles.FunderFinance or Access.Roles.Auditor or Access.Roles.ProgrammeAdmin => (FormattableString.Invariant($"/finance/schools/{c.School.Id}"), "the school's payments"),
            _ => (null, null),
        };
        return href is null ? HtmlString.Empty : new HtmlString($" (<a class=\"govuk-link\" href=\"{href}\">{text}</a>)");
    }

    /// <summary>
    /// What a claim was approved for, once its approval stands (<see cref="Approved(string)"/>), as its Claimed row says what
    /// it claims: the money and the staff time its approved lines take ("£250.00 of the school's budget and 1 day of its
    /// contact-time allowance"; a claim of time alone, "1 day of …", where it read £0.00); empty before.
    /// </summary>
    public static string ApprovedMoneyAndTime(Claims.ClaimView c, string whose) =>
        Approved(c.State) ? MoneyAndTime(c.Sanctioned ?? c.Claimed, ApprovedLines(c), whose) : "";

    /// <summary>
    /// A reviewer's decision as its confirmation panel labels the amount: "Approved: £450.00 of £500.00 claimed" for less,
    /// "Approved: £500.00" in full (also while it awaits a second approval), "Claimed: £500.00" once returned or rejected,
    /// where nothing is approved; with the staff time the claim takes from the school's allowances, as
    /// <see cref="MoneyAndTime"/> says it ("Approved: £250.00 and 1 day of the school's contact-time allowance"; a claim of
    /// time alone, "Claimed: 1 day of …", where it read "Claimed: £0.00").
    /// </summary>
    public static string DecidedAmount(Claims.ClaimView c) =>
        !Approved(c.State) && c.State != "awaiting-second-approval" ? $"Claimed: {MoneyAndTime(c.Claimed, c.Lines, "the school's", $"{c.Claimed}")}"
        : c.Sanctioned is { } approved && approved != c.Claimed
            ? $"Approved: {MoneyAndTime(approved, ApprovedLines(c), "the school's", $"{approved} of {c.Claimed} claimed")}"
        : $"Approved: {MoneyAndTime(c.Claimed, ApprovedLines(c), "the school's", $"{c.Claimed}")}";

    /// <summary>The lines whose time an approval posts: all but those approved for nothing (ClaimLedger releases their time).</summary>
    public static IEnumerable<Claims.LineView> ApprovedLines(Claims.ClaimView c) => c.Lines.Where(l => l.SanctionedAmount is not { Pence: 0 });

    /// <summary>
    /// What a claim's lines hold, as the dashboard counts it (ClaimLedger reserves a line's money and, when it spends an
    /// allowance, its minutes): the money, and each allowance's staff time as every page writes it, a part that is zero left
    /// out: "£83.33 of your school's budget and 2.5 hours of its contact-time allowance", <paramref name="whose"/> being "your
    /// school's"; a claim of specialist days paid from no budget holds time alone ("1 day of your school's … allowance"),
    /// where pages said "£0.00"; a claim holding nothing, "£0.00". <paramref name="moneyAs"/> words the money otherwise
    /// ("£450.00 of £500.00 claimed"); the time then names whose it is.
    /// </summary>
    public static string MoneyAndTime(Money money, IEnumerable<Claims.LineView> lines, string whose, string? moneyAs = null)
    {
        var parts = new List<string>();
        var named = money.Pence > 0 && moneyAs is null; // "its" once a part has said whose
        if (money.Pence > 0) parts.Add(moneyAs ?? $"{money} of {whose} budget");
        foreach (var allowance in TakingTime(lines).GroupBy(l => l.Allowance))
        {
            parts.Add($"{StaffTime(allowance.Sum(l => l.Minutes!.Value))} of {(named ? "its" : whose)} {allowance.Key} allowance");
            named = true;
        }
        return parts.Count == 0 ? money.ToString()
            : parts.Count < 3 ? string.Join(" and ", parts) : string.Join(", ", parts[..^1]) + " and " + parts[^1];
    }

    /// <summary>The lines that take staff time from one of the school's allowances, as ClaimLedger holds it.</summary>
    private static IEnumerable<Claims.LineView> TakingTime(IEnumerable<Claims.LineView> lines) => lines.Where(l => l.TakesAllowance);

    /// <summary>What submitting the claim holds, as the school reads it: "£83.33 of your school's budget and 2.5 hours of its contact-time allowance".</summary>
    public static string Reserved(Claims.ClaimView c) => MoneyAndTime(c.Claimed, c.Lines, "your school's");

    /// <summary>
    /// A claim's Claimed cell in a queue, short: the money and, under it, the staff time its lines take from the school's
    /// allowances ("and 1 day of staff time"); a claim of time alone gives its time, where the queue read a bare £0.00.
    /// </summary>
    public static IHtmlContent ClaimedCell(Money claimed, long allowanceMinutes) =>
        new HtmlString(allowanceMinutes <= 0 ? E(claimed.ToString())
            : claimed.Pence == 0 ? E($"{StaffTime(allowanceMinutes)} of staff time")
            : $"""{E(claimed.ToString())}<br><span class="govuk-body-s">and {E(StaffTime(allowanceMinutes))} of staff time</span>""");

    /// <summary>
    /// A line's Amount cell in a claim's table, as <see cref="ClaimedCell"/> gives a claim's: its money and the staff time it
    /// takes from the school's allowances; a line of time alone gives its time, where it read £0.00. <paramref name="approved"/>:
    /// its Approved cell, once a line of the claim was approved for less: what was approved; a line approved for nothing says
    /// so, "Not approved", its money and its time both released (<see cref="ApprovedLines"/>), where a line of time alone read
    /// £0.00, as if its time had been approved.
    /// </summary>
    public static IHtmlContent LineCell(Claims.LineView line, bool approved = false) =>
        approved && line.SanctionedAmount is { Pence: 0 } ? new HtmlString("Not approved")
        : ClaimedCell(approved ? line.SanctionedAmount ?? line.Amount : line.Amount, Claims.LineView.AllowanceMinutes([line]));

    /// <summary>
    /// A claim's Approved cell in a list, once its approval stands (<see cref="Approved(string)"/>), as <see cref="ClaimedCell"/>
    /// gives what it claims: the sanctioned total, or what was claimed when no line was approved for less, and under it the
    /// staff time its approval posts; a claim of time alone gives its time ("1 day of staff time"), where the lists read
    /// £0.00. Empty before.
    /// </summary>
    public static IHtmlContent ApprovedCell(Claims.ClaimSummary c) =>
        Approved(c.State) ? ClaimedCell(c.Sanctioned ?? c.Claimed, c.ApprovedMinutes) : HtmlString.Empty;

    /// <summary>
    /// The reviewer's reasons a school reads beside its claim's outcome: a return's or a rejection's, or, once the claim is
    /// approved, each reduced line's ("Line 2: …").
    /// </summary>
    public static IReadOnlyList<string> ReviewersReasons(string state, string? reason, IEnumerable<(int LineNo, string? Reason)> lines) =>
        reason is not null ? [reason]
        : Approved(state) ? lines.Where(l => l.Reason is not null).Select(l => $"Line {l.LineNo}: {l.Reason}").ToList() : [];

    public static IReadOnlyList<string> ReviewersReasons(Claims.ClaimView c) =>
        ReviewersReasons(c.State, c.Reason, c.Lines.Select(l => (l.LineNo, l.SanctionReason)));

    public static IReadOnlyList<string> ReviewersReasons(Claims.ClaimSummary c) =>
        ReviewersReasons(c.State, c.Reason, c.LineReasons.Select(l => (l.LineNo, (string?)l.Reason)));

    /// <summary>Reasons as text when there is one, as a list when there are more.</summary>
    public static IHtmlContent Reasons(IReadOnlyList<string> reasons) =>
        new HtmlString(reasons.Count <= 1 ? E(reasons.FirstOrDefault()) : $"""<ul class="govuk-list">{string.Concat(reasons.Select(r => $"<li>{E(r)}</li>"))}</ul>""");

    /// <summary>A ledger amount as people read it: pounds "£1,234.50", minutes "2,250 minutes"; the API's "1234.50" and "2250" as given.</summary>
    public static string Amount(string unit, string? amount) =>
        string.IsNullOrEmpty(amount) ? ""
        : unit == "GBP" ? Core.Money.Money.FromDecimalString(amount).ToString()
        : long.Parse(amount, System.Globalization.CultureInfo.InvariantCulture).ToString("#,0", System.Globalization.CultureInfo.InvariantCulture) + " minutes";

    /// <summary>
    /// A balance with its side, "£11,500.00 Cr" or "£250.00 Dr", from an amount signed on <paramref name="side"/> (positive when
    /// that side is the larger): the accounts, statement and trial balance pages read alike, with no sign convention to know.
    /// </summary>
    public static string Balance(string unit, string? amount, string side)
    {
        if (string.IsNullOrEmpty(amount)) return "";
        var against = amount.StartsWith('-');
        var size = against ? amount[1..] : amount;
        if (size.Trim('0', '.').Length == 0) return Amount(unit, size);
        return $"{Amount(unit, size)} {((side == "debit") != against ? "Dr" : "Cr")}";
    }

    /// <summary>
    /// The programme admin's link to reverse a journal entry, or, once reversed, the entry that did: "Reverse", naming the
    /// entry to a screen reader ("Reverse entry 12, Area 2 cover").
    /// </summary>
    public static IHtmlContent Reversal(long entryId, string description, long? reversedBy) =>
        new HtmlString(reversedBy is { } by
            ? $"""<span class="govuk-body-s">reversed by <a class="govuk-link" href="/admin/allocations/done/{by}">entry {by}</a></span>"""
            : $"""<a class="govuk-link" href="/admin/entries/{entryId}/reverse">Reverse<span class="govuk-visually-hidden"> entry {entryId}, {E(description)}</span></a>""");

    /// <summary>Schools a list to choose from may hold: beyond it (PINS has 1,680) a form takes a school by its URN.</summary>
    public const int MostSchoolsInAList = 200;

    /// <summary>GOV.UK pagination: previous, the first, the last and the pages around the current one, next.</summary>
    public static IHtmlContent Pagination(int current, int pages, Func<int, string> href)
    {
        if (pages <= 1) return HtmlString.Empty;
        var html = new StringBuilder("""<nav class="govuk-pagination" aria-label="Pagination">""");
        if (current > 1)
            html.Append($"""<div class="govuk-pagination__prev"><a class="govuk-link govuk-pagination__link" href="{E(href(current - 1))}" rel="prev"><svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path></svg><span class="govuk-pagination__link-title">Previous<span class="govuk-visually-hidden"> page</span></span></a></div>""");
        html.Append("""<ul class="govuk-pagination__list">""");
        var shown = 0;
        for (var n = 1; n <= pages; n++)
        {
            if (n != 1 && n != pages && Math.Abs(n - current) > 1) continue;
            if (shown > 0 && n - shown > 1) html.Append("""<li class="govuk-pagination__item govuk-pagination__item--ellipses">&ctdot;</li>""");
            html.Append(n == current
                ? $"""<li class="govuk-pagination__item govuk-pagination__item--current"><a class="govuk-link govuk-pagination__link" href="{E(href(n))}" aria-label="Page {n}" aria-current="page">{n}</a></li>"""
                : $"""<li class="govuk-pagination__item"><a class="govuk-link govuk-pagination__link" href="{E(href(n))}" aria-label="Page {n}">{n}</a></li>""");
            shown = n;
        }
        html.Append("</ul>");
        if (current < pages)
            html.Append($"""<div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link" href="{E(href(current + 1))}" rel="next"><span class="govuk-pagination__link-title">Next<span class="govuk-visually-hidden"> page</span></span><svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path></svg></a></div>""");
        return new HtmlString(html.Append("</nav>").ToString());
    }

    /// <summary>
    /// A record as the ledger's pages name it (a journal entry's cause, an audit event's record): a claim or a payment run by
    /// the reference every other page gives it ("Claim CLM-000021", "Payment run PR-000003"), where they read "Claim 21";
    /// others by their kind and number ("Virement 4").
    /// </summary>
    public static string Record(string type, long? id) => (type, id) switch
    {
        ("claim", { } claim) => $"Claim {Claims.ClaimAccess.Reference(claim)}",
        ("payment_run", { } run) => $"Payment run {Payments.PaymentRuns.Reference(run)}",
        (_, { } other) => $"{Words(type.Replace('_', '-'))} {other}",
        _ => Words(type.Replace('_', '-')),
    };

    /// <summary>
    /// Where a record has a page of its own: a claim's history, or a payment run. The journal's causes and the audit trail's
    /// records link through it; their readers (admins, finance, the auditor) read both.
    /// </summary>
    public static string? RecordHref(string type, long? id) => (type, id) switch
    {
        ("claim", { } claim) => FormattableString.Invariant($"/ledger/claims/{claim}"),
        ("payment_run", { } run) => FormattableString.Invariant($"/finance/runs/{run}"),
        _ => null,
    };

    /// <summary>kebab-case vocabulary in plain English: "under-review" → "Under review".</summary>
    public static string Words(string? kebab) =>
        string.IsNullOrEmpty(kebab) ? "" : char.ToUpperInvariant(kebab[0]) + kebab[1..].Replace('-', ' ');

    /// <summary>A count as the pages give every number, with its thousands marked: "1,680" schools, not "1680".</summary>
    public static string Number(long n) => n.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A count with its noun, the noun's plural made with an s: "1 school", "1,680 schools".</summary>
    public static string Count(long n, string one) => $"{Number(n)} {one}{(n == 1 ? "" : "s")}";

    public static string Days(long minutes) =>
        (minutes / 450m).ToString(minutes % 450 == 0 ? "0" : "0.##", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether the minutes are a whole number of hundredths of a day (of 7.5 hours): days to two places, exactly.</summary>
    public static bool InWholeHundredthsOfADay(long minutes) => minutes * 100 % 450 == 0;

    /// <summary>
    /// Staff time as people read it, and exactly, so that a reader can check quantity × rate = amount: in days when it is a
    /// whole number of hundredths of a day ("1 day", "2.5 days", "0.5 days"), else in hours ("2.5 hours", "0.1 hours"), else
    /// in hours and minutes ("11 hours 20 minutes"). Every page that shows staff time shows it with this. Days to two places
    /// showed 2.5 hours as "0.33 days", which at £250 a day is £82.50, not the £83.33 claimed.
    /// </summary>
    public static string StaffTime(long minutes) => new Core.Money.Minutes(minutes).ToString(); // one wording with the refusals

    private static string HourCount(long minutes) => Hours(minutes) + (minutes == 60 ? " hour" : " hours");

    /// <summary>Minutes as hours to two places at most: "3.5".</summary>
    public static string Hours(long minutes) => (minutes / 60m).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A line's date as the pages give it: a day ("5 Oct 2026"), but a TLR line's, which is the half-term's sum dated the
    /// day the half-term began (what prices it), as that: a TLR sent for 1 July read "1 Jun 2026", a date nobody gave.
    /// </summary>
    public static string LineDate(Claims.LineView line) =>
        line.Kind == "tlr" ? $"for the half-term from {line.Date:d MMM yyyy}" : $"{line.Date:d MMM yyyy}";

    /// <summary>A line's time as it was claimed: support staff's in hours ("3.5 hours"), the rest as <see cref="StaffTime"/>.</summary>
    public static string LineTime(string kind, long minutes) => kind == "support-hours" ? HourCount(minutes) : StaffTime(minutes);

    /// <summary>
    /// What a priced line's rate is for, after "at £250.00": "a day of 7.5 hours", "an hour", "a half-term" (a TLR's
    /// period); null for a basis a page does not name.
    /// </summary>
    public static string? RatePer(string? basis) => Core.Rules.Pricing.Per(basis);

    /// <summary>A budget category's kind as the pages name it: "TLR and admin", not "Tlr admin".</summary>
    public static string CategoryKind(string kind) => kind switch
    {
        "staff-cover" => "Staff cover",
        "tlr-admin" => "TLR and admin",
        "action-plan" => "Action-plan spending",
        "programme-pot" => "Programme pot",
        "time-allowance" => "Time allowance",
        _ => Words(kind),
    };

    /// <summary>
    /// A claim's file as a link to it, with its size and, if given, where on the claim it is: "timesheet.pdf (line 1,
    /// 12 KB)"; a reviewer (<paramref name="flagCopies"/>) is told when the same file is on other claims.
    /// </summary>
    public static IHtmlContent EvidenceLink(Claims.EvidenceView e, string? where = null, bool flagCopies = false) =>
        new HtmlString($"""<a class="govuk-link" href="/evidence/{e.Id}">{E(e.FileName)}</a> ({(where is null ? "" : E(where) + ", ")}{FileSize(e.SizeBytes)})"""
                       + (flagCopies && e.AlsoOnClaims.Count > 0 ? $""" <strong class="govuk-tag govuk-tag--red">Also on claim {string.Join(", ", e.AlsoOnClaims)}</strong>""" : ""));

    /// <summary>
    /// A file's size as people read it: "45 bytes" under a kilobyte, else kilobytes or megabytes to one decimal place
    /// ("1 KB", "1.5 KB", "2.3 MB"); it was bytes/1024+1, so 45 bytes read "1 KB" and 1,024 bytes "2 KB".
    /// </summary>
    public static string FileSize(long bytes) =>
        bytes < 1024 ? (bytes == 1 ? "1 byte" : $"{bytes} bytes")
        : bytes < 1024 * 1024 ? Math.Round(bytes / 1024m, 1, MidpointRounding.AwayFromZero).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " KB"
        : Math.Round(bytes / (1024m * 1024m), 1, MidpointRounding.AwayFromZero).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " MB";

    /// <summary>
    /// Whose reason a returned claim carries, by the role of who returned it (the claim's history): the programme's second
    /// approver returns from a second approval, the area lead from a review.
    /// </summary>
    public static string ReturnersReason(Claims.ClaimView c) =>
        c.History.LastOrDefault(h => h.To == "draft")?.ActorRole == Access.Roles.ProgrammeAdmin
            ? "The programme's second approver's reason" : "Your area lead's reason";

    /// <summary>What a claim line is for, by its kind: "TLR3 payment", not "Tlr".</summary>
    public static string LineKind(string kind) => kind switch
    {
        "staff-time" => "Staff time",
        "tlr" => "TLR3 payment",
        "support-hours" => "Support staff's hours",
        "action-plan" => "Action-plan spending",
        "specialist-days" => "Specialist days",
        _ => Words(kind),
    };

    /// <summary>A half-term by its code: "Autumn 1", not "aut1".</summary>
    public static string HalfTerm(string code) => Programmes.Years.HalfTerms.FirstOrDefault(h => h.Code == code).Name ?? code;
}

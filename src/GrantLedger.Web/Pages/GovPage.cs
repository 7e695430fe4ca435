using System.Globalization;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Pages;

/// <summary>
/// What every page shares: the signed-in user, the fields as typed (so a failed submit loses
/// nothing), and refusals from the use cases turned into GOV.UK error messages, in the order the
/// fields appear, for the error summary and each field's inline error.
/// </summary>
public abstract class GovPage(GrantLedgerDb db, AuditTrail audit) : PageModel
{
    private readonly List<(string Field, string Message)> _errors = [];
    private readonly List<string> _shown = [];

    protected GrantLedgerDb Db => db;
    protected AuditTrail Audit => audit;
    public CurrentUser Caller => CurrentUser.From(User);

    /// <summary>Human names of the use cases' fields, to turn "date: is required" into "Date is required".</summary>
    protected virtual IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>();

    /// <summary>
    /// What the page says of a field left out, GOV.UK's way ("Enter the supplier", "Select the budget category"): where the
    /// use case says "is required", and where the page finds it left out itself (<see cref="Given"/>, <see cref="LeftOut"/>);
    /// a field not named here is told with its label ("The supplier is required").
    /// </summary>
    protected virtual IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>();

    /// <summary>The field was left out (a file not chosen, a box not ticked): its error is what <see cref="WhenLeftOut"/> says.</summary>
    protected void LeftOut(string field) => AddError(field, WhenLeftOut[field]);

    /// <summary>True when the field was answered; else it was left out (<see cref="LeftOut"/>).</summary>
    protected bool Given(string field)
    {
        if (!string.IsNullOrWhiteSpace(Typed(field))) return true;
        LeftOut(field);
        return false;
    }

    /// <summary>
    /// The errors in the order their fields are on the page, those about none of them (the whole form, a table) first. The
    /// layout renders the error summary after the page's body, whose fields have said their order by then (<see cref="Shown"/>).
    /// </summary>
    public IReadOnlyList<(string Field, string Message)> Errors => _errors.OrderBy(e => _shown.IndexOf(e.Field)).ToList();

    /// <summary>A field rendered on the page (Gov's components say so), in the order they are.</summary>
    public void Shown(string field)
    {
        if (!_shown.Contains(field)) _shown.Add(field);
    }

    /// <summary>
    /// The question a field answers: fields that one answer fills share one (a line's days or hours). A question the form
    /// could not read is left to the form's own error: the use case would call it missing.
    /// </summary>
    protected virtual string Question(string field) => field;
    public bool HasErrors => _errors.Count > 0;
    public string? ErrorFor(string field) =>
        _errors.Where(e => e.Field == field).Select(e => e.Message).FirstOrDefault();

    /// <summary>The value as the user typed it on this submit, or what is stored.</summary>
    public string Typed(string name, string? stored = null) =>
        Request.HasFormContentType && Request.Form.ContainsKey(name) ? Request.Form[name].ToString()
        : Request.Method == "GET" && FillsFromTheAddress && Request.Query.ContainsKey(name) ? Request.Query[name].ToString() // search forms
        : stored ?? "";

    /// <summary>
    /// Whether a page's fields, shown by a GET, take values from its address: a search form's, or answers a "Change" link
    /// carries back. A page that decides money fills them from the record alone: a link made by anyone had opened the lead's
    /// approval with every line's amount already reduced, for the lead to send (found in a review of the pages).
    /// </summary>
    protected virtual bool FillsFromTheAddress => true;

    public IReadOnlyList<string> TypedAll(string name, IEnumerable<string>? stored = null) =>
        Request.HasFormContentType && Request.Method == "POST" ? Request.Form[name].Where(v => v is not null).Select(v => v!).ToList() : stored?.ToList() ?? [];

    public void AddError(string field, string message)
    {
        if (_errors.Any(e => e.Field == field && e.Message == message)) return;
        _errors.Add((field, message));
    }

    /// <summary>
    /// Runs a use case; its refusals become field errors. True when it succeeded. When the form already has errors (a value
    /// that could not be read, a question not answered), the use case is run all the same, in a transaction rolled back, so
    /// that its own refusals are shown with the form's in one summary, not after them; its refusals of the questions the form
    /// already refused are left out (<see cref="Question"/>). A page whose use case cannot run without what is missing (a
    /// file) returns before it.
    /// </summary>
    protected async Task<bool> AttemptAsync(Func<Task> work, Func<string, string>? fieldFor = null)
    {
        fieldFor ??= f => f;
        var refused = _errors.Select(e => Question(e.Field)).ToHashSet();
        void Add(string field, string message)
        {
            if (!refused.Contains(Question(field))) AddError(field, message);
        }
        try
        {
            if (refused.Count > 0)
            {
                await db.RolledBackAsync(work);
                return false;
            }
            await work();
            return true;
        }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            switch (refusal)
            {
                case InvalidInput invalid:
                    foreach (var (field, messages) in invalid.Errors)
                        foreach (var m in messages) Add(fieldFor(field), Sentence(fieldFor(field), m));
                    break;
                case RuleBroken rule:
                    // a page may link a refusal of the whole to a part of it
                    Add(fieldFor(rule.Field ?? ""), Reworded(rule) ?? (rule.Rule == "illegal-transition" ? AlreadyMoved(rule) : Capital(rule.Message)));
                    break;
            }
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>The hidden field of a creating form's one-time key (<see cref="OnceAsync"/>).</summary>
    public const string FormKeyField = "formKey";

    private string? _formKey;

    /// <summary>
    /// The one-time key a creating form carries: a new one when the form is first shown, the posted one when it is shown again
    /// with errors (the refused post wrote nothing, so its key is still unused).
    /// </summary>
    public string FormKey => _formKey ??= Typed(FormKeyField).Trim() is { Length: > 0 and <= 100 } posted ? posted : Guid.NewGuid().ToString("N");

    /// <summary>What a notice is kept under between a redirect and the page it leads to.</summary>
    public const string NoticeKey = "Notice";

    /// <summary>What a confirmation of what was just done is kept under between a redirect and the page it leads to (<see cref="Gov.DoneBanner"/>).</summary>
    public const string DoneKey = "Done";

    /// <summary>Says, on the page the redirect leads to, what was just done ("Your action plan was sent to your area lead").</summary>
    protected void SayDone(string message) => TempData[DoneKey] = message;

    /// <summary>
    /// Runs a creating form's work once per its one-time key (<see cref="FormKeyField"/>), as the API's Idempotency-Key does
    /// and in its store, scoped to the user: the first post claims the key in the work's transaction and keeps where it led;
    /// a second post with the key (a double click, back then submit again) does nothing and redirects there, saying
    /// "This was already done: …". A post without a key does the work. Null when the work was refused (the page shows why).
    /// </summary>
    /// <param name="work">the work; it answers where the page goes next</param>
    /// <param name="done">what the work did, for the notice of a second post ("the claim was started")</param>
    /// <param name="shownOnce">the first post is answered by the page itself, not by a redirect, as what it shows must not be
    /// kept where it could be read again (a token's secret); a second post still goes where the work said, with the notice</param>
    protected async Task<IActionResult?> OnceAsync(Func<Task<string>> work, string done, bool shownOnce = false)
    {
        var posted = Typed(FormKeyField).Trim();
        string? to = null;
        if (posted.Length is 0 or > 100)
            return await AttemptAsync(async () => to = await work()) ? (shownOnce ? Page() : Redirect(to!)) : null;

        var key = "page:" + posted;
        var path = Request.Path.ToString();
        string? firstDone = null;
        var ok = await AttemptAsync(() => db.InTransactionAsync(async () =>
        {
            // blocks while the first post of the key is still at work; then finds it taken, with where it led
            var claimed = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO idempotency_key (user_id, key, method, path, request_hash)
                VALUES ({Caller.Id}, {key}, 'POST', {path}, {System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path))})
                ON CONFLICT DO NOTHING
                """);
            if (claimed == 0)
            {
                var first = await db.Database.SqlQuery<FirstPost>($"""
                    SELECT response_location AS "Location", convert_from(response_body, 'UTF8') AS "Done"
                    FROM idempotency_key WHERE user_id = {Caller.Id} AND key = {key}
                    """).SingleAsync();
                (to, firstDone) = (first.Location ?? path, first.Done ?? done);
                return;
            }
            to = await work();
            await db.Database.ExecuteSqlAsync($"""
                UPDATE idempotency_key SET status_code = 303, response_location = {to},
                       response_body = {System.Text.Encoding.UTF8.GetBytes(done)}, response_content_type = 'text/plain'
                WHERE user_id = {Caller.Id} AND key = {key}
                """);
        }));
        if (!ok) return null;
        if (firstDone is not null) TempData[NoticeKey] = $"This was already done: {firstDone}.";
        else if (shownOnce) return Page();
        return Redirect(to!);
    }

    private sealed record FirstPost(string? Location, string? Done);

    /// <summary>
    /// A step refused because the record moved on since its page was shown (a form posted twice, another tab, another user),
    /// in plain English: "This claim has already been approved." The API's words ("The claim is 'approved', where 'approve'
    /// is not possible. What you can do now: export, cancel.") are for clients; the page shows the status and a link.
    /// </summary>
    private static string AlreadyMoved(RuleBroken rule)
    {
        if (rule.Details.GetValueOrDefault("record") is not string record || rule.Details.GetValueOrDefault("state") is not string state)
            return Capital(rule.Message);
        // gone through the step already (a second click, or someone else first), or the step is not open where it stands
        return rule.Details.GetValueOrDefault("passed") is false && rule.Details.GetValueOrDefault("trigger") is string trigger
            ? $"This {record} {Gov.Became(state)}, so it cannot be {Core.Workflow.Kebab.Done(trigger)} now."
            : $"This {record} {Gov.Became(state, already: true)}.";
    }

    /// <summary>A page's own words for a refusal of the API's (which keeps its words for clients), or null for the usual ones.</summary>
    protected virtual string? Reworded(RuleBroken rule) => null;

    /// <summary>
    /// A date in a closed half-term or year (the rule period-closed, its details the date as typed, the year and the
    /// half-term), as the pages write dates: "The value date, 15 October 2025, falls in Autumn 1 2025-26, which is closed:
    /// enter a date in a half-term that is still open". The API's words give them as 2025-09-01 and 2025-10-15. Null for any
    /// other refusal.
    /// </summary>
    /// <param name="label">the field as a sentence begins it: "The value date"</param>
    /// <param name="dateKey">the detail that holds the date, as the API names the field</param>
    protected static string? InClosedPeriod(RuleBroken rule, string label, string dateKey = "valueDate")
    {
        if (rule.Rule != "period-closed" || rule.Details.GetValueOrDefault(dateKey) is not string typed
            || !DateOnly.TryParseExact(typed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dated))
            return null;
        var year = rule.Details.GetValueOrDefault("year");
        return rule.Details.GetValueOrDefault("period") is string period
            ? $"{label}, {dated:d MMMM yyyy}, falls in {Programmes.Years.HalfTerm(period, $"{year}")}, which is closed: enter a date in a half-term that is still open"
            : $"{label}, {dated:d MMMM yyyy}, falls in {year}, which is closed: nothing more can be posted in it";
    }

    private static Exception? Refusal(Exception e)
    {
        if (e is DbUpdateException { InnerException: PostgresException inner } and not DbUpdateConcurrencyException) e = inner;
        if (e is PostgresException pg) return LedgerRefusals.Translate(pg);
        if (e is DbUpdateConcurrencyException)
            return new RuleBroken("stale-version", "Someone else changed this record at the same time. Check it and try again.", 409);
        return e is InvalidInput or RuleBroken ? e : null;
    }

    protected string Sentence(string field, string message)
    {
        if (message.StartsWith("is required") && WhenLeftOut.TryGetValue(field, out var ask)) return ask;
        var label = Labels.TryGetValue(field, out var l) ? l : null;
        if (label is not null && (message.StartsWith("is ") || message.StartsWith("must ") || message.StartsWith("cannot ")
                                  || message.StartsWith("appears ")))
            return $"{label} {message}";
        return Capital(message);
    }

    protected static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>Money as people type it: "1,234.50", "1234.5", "£20". Anything else is an error on the field.</summary>
    protected Money? ReadMoney(string field, string label, bool required = true)
    {
        var text = Typed(field).Trim();
        if (text.Length == 0)
        {
            if (required) AddError(field, $"Enter {label}");
            return null;
        }
        if (Money.TryParse(text, out var money, out var error, allowGrouping: true)) return money;
        // said as the hint shows an amount, "1,234.50" (the API's own words give its plain "1234.50")
        var said = error!.StartsWith("must have at most two decimal places") ? error + ", like 1,234.50"
            : error.StartsWith("must be an amount in pounds") ? "must be an amount in pounds, like 1,234.50" : error;
        AddError(field, $"{Capital(label)} {said}".Replace(" enter an amount", ""));
        return null;
    }

    /// <summary>A quantity of hours or days with at most two decimal places.</summary>
    protected Quantity? ReadQuantity(string field, string label)
    {
        var text = Typed(field).Trim();
        if (text.Length == 0) return null;
        if (Quantity.TryParse(text, out var q)) return q;
        // an example one line allows: at most a day, so not 7.5 days
        AddError(field, $"{Capital(label)} must be a number with at most two decimal places, like {(field == "days" ? "0.5" : "2.5")}");
        return null;
    }

    /// <summary>A GOV.UK date input: three fields, {field}-day, {field}-month, {field}-year.</summary>
    protected DateOnly? ReadDate(string field, string label, bool required = true)
    {
        var (d, m, y) = (Typed(field + "-day").Trim(), Typed(field + "-month").Trim(), Typed(field + "-year").Trim());
        if (d.Length == 0 && m.Length == 0 && y.Length == 0)
        {
            if (required) AddError(field, $"Enter {label}");
            return null;
        }
        if (int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            && int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            && int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            && year is >= 2000 and <= 2100 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month))
            return new DateOnly(year, month, day);
        AddError(field, $"{Capital(label)} must be a real date, like 5 10 2026");
        return null;
    }

    /// <summary>Where to go back to after a form (sign-in, choosing a password): an address on this service, else the start.</summary>
    protected string ReturnTo(string? url) => !string.IsNullOrEmpty(url) && Url.IsLocalUrl(url) ? url : "/";

    /// <summary>A choice from a select or radios: one of the <paramref name="options"/>, else <paramref name="error"/> on the field.</summary>
    protected string? ReadChoice(string field, IEnumerable<string> options, string error)
    {
        var chosen = Typed(field);
        if (options.Contains(chosen)) return chosen;
        AddError(field, error);
        return null;
    }

    /// <summary>
    /// The id a select or a hidden field posts: null when left blank; one that cannot be read (periodId=abc, from a stale or
    /// tampered form) is an error on the field (<see cref="Unreadable"/>), not a choice left open ("all half-terms").
    /// </summary>
    protected long? ReadId(string field)
    {
        var text = Typed(field).Trim();
        if (text.Length == 0) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) return id;
        AddError(field, Unreadable(field));
        return null;
    }

    /// <summary>A search form's field as typed, trimmed, or null when left blank.</summary>
    protected string? Filled(string field) => Typed(field).Trim() is { Length: > 0 } text ? text : null;

    /// <summary>
    /// A search box's text, trimmed, or null when left blank; longer than <paramref name="most"/> characters, or holding one
    /// that does not show as typed, is an error on the field that starts with its <paramref name="label"/> ("The search must
    /// be at most 200 characters").
    /// </summary>
    protected string? ReadSearch(string field, string label, int most)
    {
        var text = Typed(field);
        if (FreeText.Problem(text, most, required: false) is not { } problem) return FreeText.Kept(text);
        AddError(field, $"{label} {problem}");
        return null;
    }

    /// <summary>A search form's whole number (an ID, a page's size), or null when left blank; anything else is an error on the field.</summary>
    protected long? ReadNumber(string field, string label)
    {
        if (Filled(field) is not { } text) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        AddError(field, $"{label} must be a number, like 42");
        return null;
    }

    /// <summary>
    /// A search form's record typed as every page gives it, by its reference ("CLM-000042", its <paramref name="prefix"/> in any
    /// case), or by its number alone ("42"); null when left blank; anything else is an error on the field that says both.
    /// </summary>
    protected long? ReadReference(string field, string label, string prefix)
    {
        if (Filled(field) is not { } text) return null;
        var number = text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? text[prefix.Length..] : text;
        if (long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        AddError(field, $"{label} must be its reference, like {prefix}000042, or its number, like 42");
        return null;
    }

    /// <summary>
    /// A search page's address with its <paramref name="filters"/> as given, some set or added by <paramref name="set"/> (the
    /// next page's cursor; the CSV's handler, first); nothing else of the request, so the CSV and the first page start at the
    /// beginning.
    /// </summary>
    protected string SearchHref(string path, IReadOnlyCollection<string> filters, params (string Key, string? Value)[] set) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(path,
            set.Where(m => m.Key == "handler")
                .Concat(filters.Select(f => (Key: f, Value: set.FirstOrDefault(m => m.Key == f).Value ?? Filled(f))).Where(f => f.Value is not null))
                .Concat(set.Where(m => m.Key != "handler" && !filters.Contains(m.Key)))
                .Select(m => new KeyValuePair<string, string?>(m.Key, m.Value)));

    /// <summary>
    /// This page's address with another page number (<see cref="Paging.Links"/>): every other part of its query kept, so that
    /// the next page of the accounts, the trial balance or a statement reads the same programme, date and detail.
    /// </summary>
    public string PageHref(int number) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(Request.Path,
            Request.Query.Where(q => q.Key != "page").Select(q => new KeyValuePair<string, string?>(q.Key, q.Value.ToString()))
                .Append(new("page", number.ToString(CultureInfo.InvariantCulture))));

    /// <summary>
    /// A programme's list at <paramref name="path"/> (a record's page's way back to it): with the programme named for a reader
    /// who chooses among programmes (the auditor), as the list's own programme choice names it.
    /// </summary>
    protected string ListOf(string path, long programmeId) =>
        Caller.SeesAllProgrammes ? FormattableString.Invariant($"{path}?programmeId={programmeId}") : path;

    /// <summary>An id as text, or null: for carrying a choice on, not for reading what was posted (<see cref="ReadId"/>).</summary>
    protected static long? ParseId(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    /// <summary>
    /// What a page says of a choice it could not read: as of one left out, else "Select the half-term from the list"; of one
    /// no form of the page names, that the form was changed, or (in a link: a GET) that the page's address was.
    /// </summary>
    protected string Unreadable(string field) =>
        WhenLeftOut.TryGetValue(field, out var ask) ? ask
        : Labels.TryGetValue(field, out var label) ? $"Select {char.ToLowerInvariant(label[0])}{label[1..]} from the list"
        : HttpMethods.IsGet(Request.Method) ? $"This page's address gives a {field} that cannot be read: follow the page's links or choices rather than changing the address"
        : "This form is out of date or was changed: go back to the page and try again";

    /// <summary>
    /// A value the framework binds to a handler's parameter or a bound property and could not read (lineId=abc) is an error
    /// on its field, for every page: the handler got null or 0, and went on as if nothing had been chosen.
    /// </summary>
    public override void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context)
    {
        foreach (var (key, entry) in ModelState)
            if (entry.Errors.Count > 0 && key.Length > 0)
                AddError(char.ToLowerInvariant(key[0]) + key[1..], Unreadable(char.ToLowerInvariant(key[0]) + key[1..]));
        base.OnPageHandlerExecuting(context);
    }

    /// <summary>The programme a programme-wide page works on: the user's own, or the one chosen (auditors see all).</summary>
    protected async Task<List<Programmes.Programme>> ProgrammesAsync(CancellationToken ct) =>
        await db.Programmes.AsNoTracking().Where(p => Caller.SeesAllProgrammes || p.Id == Caller.ProgrammeId).OrderBy(p => p.Id).ToListAsync(ct);
}

using GrantLedger.Core.Claims;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>
/// Adds a line to a draft claim: first its kind, then (one thing per page) what that kind needs; or, with
/// <c>?lineId=</c>, changes a line, its form filled in as the line is (a returned claim is amended line by line, not by
/// removing a line and typing it again).
/// </summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
public sealed class AddLineModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public static readonly (string, string)[] Kinds =
    [
        ("staff-time", "Staff time: cover for a leader's or teacher's time"),
        ("tlr", "TLR3 payment for the half-term"),
        ("support-hours", "Support staff's hours running the programme"),
        ("action-plan", "Spending on an action in your agreed plan"),
        ("specialist-days", "Days of specialist support"),
    ];

    public ClaimView View { get; private set; } = null!;
    public string? Kind { get; private set; }
    public string KindName => Kinds.FirstOrDefault(k => k.Item1 == Kind).Item2 ?? "";

    /// <summary>The claim has been submitted: the page says it can no longer be changed, and offers no form.</summary>
    public bool Submitted { get; private set; }

    /// <summary>The line being changed, or null when one is being added.</summary>
    public LineView? Line { get; private set; }

    /// <summary>
    /// The line's time as its form takes it: support staff's in hours, the rest in days when it is a whole hundredth of a
    /// day, else in hours (2.5 hours was filled in as 0.33 days, and saved so, changing the line).
    /// </summary>
    public string? StoredDays => Line is { Minutes: { } m, Kind: not "support-hours" } && Gov.InWholeHundredthsOfADay(m) ? Gov.Days(m) : null;
    public string? StoredHours => Line is { Minutes: { } m } && (Line.Kind == "support-hours" || !Gov.InWholeHundredthsOfADay(m)) ? Gov.Hours(m) : null;

    /// <summary>The page's title and heading: what the line is for, and which line when one is changed.</summary>
    public string Heading => Submitted ? $"Claim {View.Reference} can no longer be changed" : Kind is null ? "What is this line for?" : Line is { } changing ? $"Change line {changing.LineNo}: {KindName}" : KindName;
    /// <summary>The line was opened from the check page ("Change line 2"), and is saved back to it, not to the claim's page.</summary>
    public bool FromCheck => CheckModel.OpenedFromCheck(Request);
    public string Back => CheckModel.Back(Request, View.Id);

    public List<(string, string)> MoneyCategories { get; private set; } = [];
    public List<(string, string)> TimeCategories { get; private set; } = [];
    public List<(string, string)> Actions { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["staffRef"] = "The staff reference", ["role"] = "The role", ["activity"] = "The activity", ["date"] = "The date",
        ["hours"] = "Hours", ["days"] = "Days", ["actionId"] = "The action", ["supplier"] = "The supplier",
        ["invoiceRef"] = "The invoice reference", ["amount"] = "The invoice amount", ["specialist"] = "The specialist",
        ["categoryId"] = "The budget category", ["allowanceCategoryId"] = "The allowance", ["description"] = "The note",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut => new Dictionary<string, string>
    {
        ["kind"] = "Select what the line is for", ["actionId"] = "Select the action", ["supplier"] = "Enter the supplier",
        ["invoiceRef"] = "Enter the invoice reference", ["categoryId"] = "Select the budget category", ["allowanceCategoryId"] = "Select the allowance",
        // the time of a line is one question: days or hours for staff time, hours for support staff, days for a specialist
        ["days"] = Kind == "staff-time" ? "Enter the number of days or hours" : "Enter the number of days", ["hours"] = "Enter the number of hours",
    };

    /// <summary>A staff-time line's days and hours answer one question: days that cannot be read are not days left out.</summary>
    protected override string Question(string field) => field == "hours" ? "days" : field;

    private async Task LoadAsync(long id, string? kind, long? lineId, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        if (!View.AllowedActions.Contains("add-line"))
        {
            if (!(Submitted = CheckModel.SubmittedSince(View, "add-line"))) throw new Core.Rules.Forbidden("this claim is not a draft you can change");
            return;
        }
        if (lineId is not null)
        {
            Line = View.Lines.SingleOrDefault(l => l.Id == lineId) ?? throw new Core.Rules.NotFound("line", lineId);
            kind = Line.Kind; // a line keeps its kind: another kind is another line
        }
        Kind = Kinds.Any(k => k.Item1 == kind) ? kind : null;
        if (Kind is null) return;
        var categories = await Db.CategoriesOf(View.ProgrammeId).ToListAsync(ct);
        string[] moneyKinds = Kind switch
        {
            "staff-time" => [CategoryKinds.StaffCover],
            "tlr" or "support-hours" => [CategoryKinds.TlrAdmin],
            "action-plan" => [CategoryKinds.ActionPlan],
            _ => [CategoryKinds.StaffCover, CategoryKinds.TlrAdmin, CategoryKinds.ActionPlan, CategoryKinds.ProgrammePot],
        };
        MoneyCategories = categories.Where(c => moneyKinds.Contains(c.Kind)).Select(c => (c.Id.ToString(), c.Name)).ToList();
        if (Kind == "specialist-days") MoneyCategories.Insert(0, ("", "None: days only, not paid from a budget"));
        if (Kind is "staff-time" or "support-hours" or "specialist-days")
        {
            TimeCategories = categories.Where(c => c.Kind == CategoryKinds.TimeAllowance).Select(c => (c.Id.ToString(), c.Name)).ToList();
            if (Kind != "specialist-days") TimeCategories.Insert(0, ("", "None"));
        }
        if (Kind == "action-plan")
            Actions = View.Plan?.Actions.Select(a => (a.ActionId.ToString(), $"{a.ActionRef}. {a.Description} ({Gov.Words(a.Theme)}, estimated {a.Estimated})")).ToList() ?? [];
    }

    public Task OnGetAsync(long id, string? kind, long? lineId, CancellationToken ct) => LoadAsync(id, kind, lineId, ct);

    public async Task<IActionResult> OnPostKindAsync(long id, string? kind, CancellationToken ct)
    {
        await LoadAsync(id, null, null, ct);
        if (Submitted) return Page();
        if (Kinds.All(k => k.Item1 != kind))
        {
            LeftOut("kind");
            return Page();
        }
        return Redirect($"/school/claims/{id}/line?kind={kind}");
    }

    public async Task<IActionResult> OnPostAsync(long id, string? kind, long? lineId, CancellationToken ct)
    {
        await LoadAsync(id, kind, lineId, ct);
        if (Submitted) return Page();
        if (Kind is null) return Redirect($"/school/claims/{id}/line");
        // read in the order of the page's fields; what the use case finds wrong besides joins them in one summary
        var role = Kind == "staff-time" ? ReadChoice("role", ClaimLines.StaffRoles, "Select the role") : null;
        var activity = Kind == "staff-time" ? ReadChoice("activity", ClaimLines.Activities, "Select the activity") : null;
        var specialist = Kind == "specialist-days" ? ReadChoice("specialist", ClaimLines.Specialists, "Select the specialist") : null;
        var date = Kind is "staff-time" or "support-hours" or "specialist-days" ? ReadDate("date", "the date of the work") : null;
        var days = ReadQuantity("days", "days");
        var hours = ReadQuantity("hours", "hours");
        if (Kind is "staff-time" or "support-hours" or "specialist-days" && Typed("days").Trim().Length == 0 && Typed("hours").Trim().Length == 0)
            LeftOut(Kind == "support-hours" ? "hours" : "days");
        if (Kind == "action-plan" && Actions.Count > 0) Given("actionId"); // with no agreed plan, the use case says so
        var amount = Kind == "action-plan" ? ReadMoney("amount", "the invoice amount") : null;
        string? Text(string name) => Typed(name) is { Length: > 0 } v ? v : null;
        var input = new LineEditing.LineInput(Kind, ReadId("categoryId"), ReadId("allowanceCategoryId"), Text("staffRef"), role,
            activity, date, hours, days, ReadId("actionId"), Text("supplier"), Text("invoiceRef"), amount, specialist,
            Text("description"));
        if (Line is { } changed)
            return await AttemptAsync(() => LineEditing.ChangeAsync(Db, Audit, Caller, id, changed.Id, input, null, ct), f => f == "kind" ? "" : f)
                ? Redirect(Back) : Page();
        return await OnceAsync(async () =>
        {
            await LineEditing.AddAsync(Db, Audit, Caller, id, input, null, ct);
            return $"/school/claims/{id}";
        }, "the line was added") ?? Page();
    }
}

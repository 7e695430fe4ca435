using GrantLedger.Core.Workflow;

namespace GrantLedger.Web.Audit;

/// <summary>
/// What an audit event says happened ("record.verb") and the record type it is written with: the one list of them. The
/// service writes no other (<see cref="AuditTrail"/> takes nothing else), the trail's filters offer and accept only these,
/// and PostgreSQL holds the same list (audit_action, migration 0075), every audit event's pair a foreign key into it, so a
/// script cannot write one either. A test compares the two lists: an action added here needs its row added by a migration
/// (decision 0021).
/// </summary>
public sealed class AuditAction
{
    // declared before the actions below, so that each is listed as it is made (static fields are set in the order written)
    private static readonly List<AuditAction> Listed = [];

    public string Name { get; }
    public string RecordType { get; }

    /// <summary>The action's record part with its dot, "claim." of "claim.submit": the trail finds every action that starts with it.</summary>
    public string Prefix => Name[..(Name.IndexOf('.') + 1)];

    private AuditAction(string name, string recordType)
    {
        (Name, RecordType) = (name, recordType);
        Listed.Add(this);
    }

    public override string ToString() => $"{Name} ({RecordType})";

    // claims: a draft's changes; their steps are Of(ClaimTrigger)
    public static readonly AuditAction ClaimStarted = new("claim.started", "claim");
    public static readonly AuditAction ClaimChanged = new("claim.changed", "claim");
    public static readonly AuditAction ClaimDiscarded = new("claim.discarded", "claim");
    public static readonly AuditAction ClaimLineAdded = new("claim.line-added", "claim");
    public static readonly AuditAction ClaimLineChanged = new("claim.line-changed", "claim");
    public static readonly AuditAction ClaimLineRemoved = new("claim.line-removed", "claim");
    public static readonly AuditAction ClaimLinesImported = new("claim.lines-imported", "claim");
    public static readonly AuditAction ClaimEvidenceAttached = new("claim.evidence-attached", "claim");
    public static readonly AuditAction ClaimEvidenceRemoved = new("claim.evidence-removed", "claim");

    // action plans: a version's drafting; their steps are Of(ActionPlanTrigger)
    public static readonly AuditAction ActionPlanStarted = new("action-plan.started", "action_plan");
    public static readonly AuditAction ActionPlanChanged = new("action-plan.changed", "action_plan");
    public static readonly AuditAction ActionPlanRevised = new("action-plan.revised", "action_plan");

    // payment runs (their steps are Of(PaymentRunTrigger)) and confirmations
    public static readonly AuditAction PaymentRunBuilt = new("payment-run.built", "payment_run");
    public static readonly AuditAction ConfirmationsImported = new("payment-confirmations.imported", "payment_confirmation_import");
    public static readonly AuditAction ConfirmationsChangedNothing = new("payment-confirmations.changed-nothing", "programme");
    public static readonly AuditAction ConfirmationsRefused = new("payment-confirmations.refused", "programme");
    public static readonly AuditAction PeriodClosed = new("period.closed", "period");
    public static readonly AuditAction YearClosed = new("year.closed", "programme_year");

    // set-up
    public static readonly AuditAction ProgrammeCreated = new("programme.created", "programme");
    public static readonly AuditAction ProgrammeChanged = new("programme.changed", "programme");
    public static readonly AuditAction YearCreated = new("year.created", "programme_year");
    public static readonly AuditAction AreaCreated = new("area.created", "area");
    public static readonly AuditAction AreaChanged = new("area.changed", "area");
    public static readonly AuditAction CategoryCreated = new("category.created", "budget_category");
    public static readonly AuditAction CategoryChanged = new("category.changed", "budget_category");
    public static readonly AuditAction SchoolEnrolled = new("school.enrolled", "school");
    public static readonly AuditAction SchoolsImported = new("school.imported", "programme");
    public static readonly AuditAction SchoolChanged = new("school.changed", "school");
    public static readonly AuditAction PayeeReferenceChanged = new("school.payee-reference-changed", "school");
    public static readonly AuditAction RateAdded = new("rate.added", "rate");

    // money moved by the programme's admins
    public static readonly AuditAction FundingPosted = new("funding.posted", "funding");
    public static readonly AuditAction AllocationPosted = new("allocation.posted", "allocation");
    public static readonly AuditAction VirementPosted = new("virement.posted", "virement");
    public static readonly AuditAction EntryReversed = new("entry.reversed", "journal_entry");
    public static readonly AuditAction ExportRequested = new("export.requested", "export_job");
    public static readonly AuditAction LedgerChecksRequested = new("ledger-checks.requested", "ledger_check_run");

    // people, their sign-ins and tokens
    public static readonly AuditAction UserCreated = new("user.created", "app_user");
    public static readonly AuditAction UserDisabled = new("user.disabled", "app_user");
    public static readonly AuditAction UserEnabled = new("user.enabled", "app_user");
    public static readonly AuditAction PasswordChosen = new("user.password-chosen", "app_user");
    public static readonly AuditAction PasswordChanged = new("user.password-changed", "app_user");
    public static readonly AuditAction PasswordReset = new("user.password-reset", "app_user");
    public static readonly AuditAction SignInSucceeded = new("sign-in.succeeded", "app_user");
    public static readonly AuditAction SignInFailed = new("sign-in.failed", "app_user");
    public static readonly AuditAction SignInRefused = new("sign-in.refused", "app_user");
    public static readonly AuditAction SignedOut = new("sign-out.succeeded", "app_user");
    public static readonly AuditAction TokenIssued = new("token.issued", "api_token");
    public static readonly AuditAction TokenRevoked = new("token.revoked", "api_token");

    // each workflow's steps, "claim.approve": a claim's on the claim, but those a payment run takes (its internal triggers:
    // added, removed, paid, failed), which are written once for the run's claims, on the run
    private static readonly Dictionary<ClaimTrigger, AuditAction> ClaimSteps = Enum.GetValues<ClaimTrigger>().ToDictionary(t => t,
        t => new AuditAction($"claim.{Kebab.Of(t)}", ClaimWorkflow.Lifecycle.IsInternal(t) ? "payment_run" : "claim"));
    private static readonly Dictionary<ActionPlanTrigger, AuditAction> PlanSteps =
        Enum.GetValues<ActionPlanTrigger>().ToDictionary(t => t, t => new AuditAction($"action-plan.{Kebab.Of(t)}", "action_plan"));
    private static readonly Dictionary<PaymentRunTrigger, AuditAction> RunSteps =
        Enum.GetValues<PaymentRunTrigger>().ToDictionary(t => t, t => new AuditAction($"payment-run.{Kebab.Of(t)}", "payment_run"));

    public static AuditAction Of(ClaimTrigger trigger) => ClaimSteps[trigger];
    public static AuditAction Of(ActionPlanTrigger trigger) => PlanSteps[trigger];
    public static AuditAction Of(PaymentRunTrigger trigger) => RunSteps[trigger];

    /// <summary>Every action, as written above: what the service writes, and audit_action holds.</summary>
    public static IReadOnlyList<AuditAction> All { get; } = Listed.AsReadOnly();

    /// <summary>Every record type an action is written with, in order.</summary>
    public static IReadOnlyList<string> RecordTypes { get; } = Listed.Select(a => a.RecordType).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Every action's record part ("claim.", "payment-run."), in order: the trail's filter takes one for all its actions.</summary>
    public static IReadOnlyList<string> Prefixes { get; } = Listed.Select(a => a.Prefix).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>What the trail's action filter takes: an action, or a record part of one; each action once, then the record parts.</summary>
    public static IReadOnlyList<string> Filters { get; } = Listed.Select(a => a.Name).Distinct().Order(StringComparer.Ordinal).Concat(Prefixes).ToList();
}

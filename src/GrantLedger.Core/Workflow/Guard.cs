using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Workflow;

/// <summary>How a failed guard is answered.</summary>
public enum GuardKind
{
    /// <summary>A business rule: RuleBroken 409 named after the guard.</summary>
    Rule,
    /// <summary>The actor's scope does not reach the record: Forbidden 403.</summary>
    Scope,
    /// <summary>
    /// The request lacks something the trigger needs (a reason): InvalidInput 422 on the field.
    /// Not checked when listing permitted triggers, since the client asks for it after the button.
    /// </summary>
    Input,
}

/// <summary>A named condition on a row, with the plain-English reason shown when it fails.</summary>
public sealed record Guard<TContext>(string Name, string Reason, Func<TContext, bool> Holds, GuardKind Kind, string? Field = null)
{
    public static Guard<TContext> Rule(string name, string reason, Func<TContext, bool> holds) => new(name, reason, holds, GuardKind.Rule);

    public static Guard<TContext> Scope(string name, string reason, Func<TContext, bool> holds) => new(name, reason, holds, GuardKind.Scope);

    public static Guard<TContext> Input(string name, string field, string reason, Func<TContext, bool> holds) =>
        new(name, reason, holds, GuardKind.Input, field);

    internal Exception Refusal(string state, string trigger) => Kind switch
    {
        GuardKind.Scope => new Forbidden(Reason),
        GuardKind.Input => new InvalidInput(Field ?? Name, Reason),
        _ => new RuleBroken(Name, Reason, 409, details: new Dictionary<string, object?> { ["state"] = state, ["trigger"] = trigger }),
    };
}

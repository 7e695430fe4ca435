using System.Text;
using GrantLedger.Core.Rules;

namespace GrantLedger.Core.Workflow;

/// <summary>One row of a lifecycle: from a state, a trigger fired by one of the roles leads to a state, when every guard holds.</summary>
public sealed record Transition<TState, TTrigger, TContext>(
    TState From, TTrigger Trigger, TState To, IReadOnlyList<string> Roles,
    IReadOnlyList<Guard<TContext>> Guards, LedgerEffect Effect);

/// <summary>
/// A lifecycle declared once as rows read top to bottom. The same rows answer the API's checks
/// (<see cref="Fire(TState, TTrigger, TContext)"/>), the actions a user may take now
/// (<see cref="PermittedTriggers"/>) and the diagram in the docs (<see cref="ToMermaid"/>).
/// Rows sharing a state and trigger are tried in order; the first whose guards all hold wins.
/// Triggers declared <see cref="Internal"/> are fired by the service as part of another step, never
/// by a request: they are never offered to a caller (<see cref="Actions"/>, the 409's list).
/// Immutable: <see cref="Permit"/> returns a new lifecycle, so a declared one cannot be changed later.
/// </summary>
public sealed class Lifecycle<TState, TTrigger, TContext>
    where TState : struct, Enum
    where TTrigger : struct, Enum
    where TContext : IWorkflowContext
{
    private readonly Transition<TState, TTrigger, TContext>[] _rows;

    public Lifecycle(string name, TState initial) : this(name, initial, [], []) { }

    private Lifecycle(string name, TState initial, Transition<TState, TTrigger, TContext>[] rows, TTrigger[] internalTriggers) =>
        (Name, Initial, _rows, Rows, InternalTriggers) = (name, initial, rows, Array.AsReadOnly(rows), Array.AsReadOnly(internalTriggers));

    /// <summary>What the records are called in messages: "claim", "payment run".</summary>
    public string Name { get; }
    public TState Initial { get; }
    public IReadOnlyList<Transition<TState, TTrigger, TContext>> Rows { get; }

    /// <summary>The triggers the service fires itself as part of another step (a payment run marks its claims paid).</summary>
    public IReadOnlyList<TTrigger> InternalTriggers { get; }

    public Lifecycle<TState, TTrigger, TContext> Permit(TState from, TTrigger trigger, TState to,
        IReadOnlyList<string> roles, IReadOnlyList<Guard<TContext>>? guards = null, LedgerEffect effect = LedgerEffect.None)
    {
        if (roles.Count == 0) throw new ArgumentException($"{Kebab.Of(from)} --{Kebab.Of(trigger)}--> needs at least one role", nameof(roles));
        return new(Name, Initial, [.. _rows, new(from, trigger, to, [.. roles], [.. guards ?? []], effect)], [.. InternalTriggers]);
    }

    /// <summary>Declares triggers that only the service fires, as part of another step: no request names them.</summary>
    public Lifecycle<TState, TTrigger, TContext> Internal(params TTrigger[] triggers) =>
        new(Name, Initial, _rows, [.. InternalTriggers.Union(triggers)]);

    public bool IsInternal(TTrigger trigger) => InternalTriggers.Contains(trigger);

    /// <summary>Every trigger declared from the state, whoever may fire it.</summary>
    public IReadOnlyList<TTrigger> Triggers(TState state) =>
        _rows.Where(r => Same(r.From, state)).Select(r => r.Trigger).Distinct().ToList();

    /// <summary>
    /// The triggers this actor may fire now: their role is on a row whose scope and rule guards hold.
    /// Input guards (a reason) are left to the request, so a client can show the button and ask.
    /// </summary>
    public IReadOnlyList<TTrigger> PermittedTriggers(TState state, TContext context) =>
        _rows.Where(r => Same(r.From, state) && r.Roles.Contains(context.Actor.Role)
                && r.Guards.All(g => g.Kind == GuardKind.Input || g.Holds(context)))
            .Select(r => r.Trigger).Distinct().ToList();

    /// <summary>
    /// What the actor may do now by a request: the <see cref="PermittedTriggers"/> less the internal ones.
    /// The list a record answers with, and the one a refused trigger's 409 gives.
    /// </summary>
    public IReadOnlyList<TTrigger> Actions(TState state, TContext context) =>
        PermittedTriggers(state, context).Where(t => !IsInternal(t)).ToList();

    /// <summary>A state nothing leaves.</summary>
    public bool IsFinal(TState state) => !_rows.Any(r => Same(r.From, state));

    /// <summary>
    /// Chooses the row the trigger takes from the state, or refuses: 409 "illegal-transition" when the
    /// trigger is not declared from the state (saying what the actor can do instead); 403 when the actor's role is on none of its rows;
    /// otherwise the failed guard of the row that came closest (held the most guards) answers.
    /// </summary>
    /// <param name="besides">what else the actor can do to the record now, beside its workflow, as the 409's detail says it
    /// ("change this draft"): the host's own actions, such as editing a draft</param>
    public Transition<TState, TTrigger, TContext> Fire(TState state, TTrigger trigger, TContext context, IReadOnlyList<string>? besides = null)
    {
        // a role that takes no step of the lifecycle (an auditor) is refused whatever the record's state: where the record
        // stands and what could be done with it now are for the roles that act on it
        var role = context.Actor.Role;
        if (!_rows.Any(r => r.Roles.Contains(role)))
            throw new Forbidden($"no step of a {Name}'s workflow is for your role, {Describe([role])}");

        var rows = _rows.Where(r => Same(r.From, state) && Same(r.Trigger, trigger)).ToList();
        if (rows.Count == 0) throw Illegal(state, Kebab.Of(trigger), context, besides);

        var mine = rows.Where(r => r.Roles.Contains(role)).ToList();
        if (mine.Count == 0)
            throw new Forbidden($"'{Kebab.Of(trigger)}' on a {Name} is for {Describe(rows.SelectMany(r => r.Roles).Distinct())}; " +
                $"your role is {Describe([role])}");

        Guard<TContext>? refusal = null;
        var closest = -1;
        foreach (var row in mine)
        {
            var failed = FirstFailed(row, context);
            if (failed < 0) return row;
            if (failed > closest) (closest, refusal) = (failed, row.Guards[failed]);
        }
        throw refusal!.Refusal(Kebab.Of(state), Kebab.Of(trigger));
    }

    /// <summary>For a trigger named in a request ("second-approve"); an unknown or internal name is an illegal trigger.</summary>
    public Transition<TState, TTrigger, TContext> Fire(TState state, string trigger, TContext context, IReadOnlyList<string>? besides = null) =>
        Kebab.TryParse<TTrigger>(trigger, out var known) && !IsInternal(known)
            ? Fire(state, known, context, besides)
            : throw Illegal(state, trigger, context, besides);

    /// <summary>
    /// What the actor can do now by a request, as a 409 gives it: the triggers (its <c>allowedTriggers</c>, the
    /// <see cref="Actions"/>) and the sentence that ends its detail, naming them and then what the host offers
    /// <paramref name="besides"/> the workflow ("What you can do now: submit; or change this draft.").
    /// </summary>
    public (string[] Triggers, string Sentence) OpenNow(TState state, TContext context, IReadOnlyList<string>? besides = null)
    {
        var allowed = Actions(state, context).Select(t => Kebab.Of(t)).ToArray();
        var also = besides is { Count: > 0 } ? string.Join(", or ", besides) : null;
        var sentence = allowed.Length == 0
            ? "No step of its workflow is open to you now" + (also is null ? "." : $"; you can {also}.")
            : $"What you can do now: {string.Join(", ", allowed)}" + (also is null ? "." : $"; or {also}.");
        return (allowed, sentence);
    }

    /// <summary>
    /// The lifecycle as a Mermaid state diagram, one line per row:
    /// <c>From --> To: trigger (roles) [guards] / effect</c>. Deterministic: declaration order.
    /// </summary>
    public string ToMermaid()
    {
        var text = new StringBuilder("stateDiagram-v2\n");
        // Mermaid ids cannot hold hyphens: the C# names are the ids, the kebab names the labels
        foreach (var state in Enum.GetValues<TState>()) text.Append($"    state \"{Kebab.Of(state)}\" as {state}\n");
        text.Append($"    [*] --> {Initial}\n");
        foreach (var row in _rows)
        {
            text.Append($"    {row.From} --> {row.To}: {Kebab.Of(row.Trigger)} ({string.Join(", ", row.Roles)})");
            if (row.Guards.Count > 0) text.Append($" [{string.Join(", ", row.Guards.Select(g => g.Name))}]");
            if (row.Effect != LedgerEffect.None) text.Append($" / {Kebab.Of(row.Effect)}");
            text.Append('\n');
        }
        foreach (var state in Enum.GetValues<TState>().Where(s => IsFinal(s) && _rows.Any(r => Same(r.To, s))))
            text.Append($"    {state} --> [*]\n");
        return text.ToString();
    }

    private static int FirstFailed(Transition<TState, TTrigger, TContext> row, TContext context)
    {
        for (var i = 0; i < row.Guards.Count; i++)
            if (!row.Guards[i].Holds(context)) return i;
        return -1;
    }

    /// <summary>The 409 for a trigger not declared from the state: what the actor can do instead, by a request, or that nothing is.</summary>
    private RuleBroken Illegal(TState state, string trigger, TContext context, IReadOnlyList<string>? besides)
    {
        var (allowed, openNow) = OpenNow(state, context, besides);
        var message = IsFinal(state)
            ? $"The {Name} is '{Kebab.Of(state)}', which is final: nothing more can happen to it ('{trigger}' refused)."
            : $"The {Name} is '{Kebab.Of(state)}', where '{trigger}' is not possible. {openNow}";
        return new RuleBroken("illegal-transition", message, 409, details: new Dictionary<string, object?>
        {
            ["record"] = Name,
            ["state"] = Kebab.Of(state),
            ["trigger"] = trigger,
            ["allowedTriggers"] = allowed,
            ["passed"] = Passed(state, trigger),
        });
    }

    /// <summary>
    /// Whether the record has gone through the step already: its state is one the step leads to, or one reachable from there
    /// before the step is open again (a payment run approved twice, a claim approved and since paid). False where the step is
    /// still ahead on the way the record is going (a run built, not yet approved, asked to export).
    /// </summary>
    private bool Passed(TState state, string trigger)
    {
        var rows = _rows.Where(r => Kebab.Of(r.Trigger) == trigger).ToList();
        var seen = rows.Select(r => r.To).ToHashSet();
        var next = new Queue<TState>(seen);
        while (next.TryDequeue(out var at))
        {
            if (Same(at, state)) return true;
            if (rows.Any(r => Same(r.From, at))) continue; // the step is open here again: beyond, it is ahead, not passed
            foreach (var row in _rows.Where(r => Same(r.From, at)))
                if (seen.Add(row.To)) next.Enqueue(row.To);
        }
        return false;
    }

    private static string Describe(IEnumerable<string> roles) => string.Join(" or ", roles.Select(r => r.Replace('_', ' ')));

    private static bool Same<T>(T a, T b) where T : struct, Enum => EqualityComparer<T>.Default.Equals(a, b);
}

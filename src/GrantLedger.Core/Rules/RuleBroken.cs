namespace GrantLedger.Core.Rules;

/// <summary>
/// A business rule the request would break. The host answers with an RFC 9457 problem whose
/// type names the rule, with the status given (409 for a conflicting state, 422 for a request
/// the rules refuse) and the details (for money: by how much).
/// </summary>
public class RuleBroken(string rule, string message, int status = 422, string? field = null,
    IReadOnlyDictionary<string, object?>? details = null) : Exception(message)
{
    /// <summary>Kebab-case name of the rule, e.g. "allocation-exceeds-unallocated".</summary>
    public string Rule { get; } = rule;
    public int Status { get; } = status;
    /// <summary>The request field at fault, where there is one (JSON path style: "lines[2].amount").</summary>
    public string? Field { get; } = field;
    public IReadOnlyDictionary<string, object?> Details { get; } = details ?? new Dictionary<string, object?>();
}

/// <summary>Input that is well-formed but invalid, field by field (answered 422).</summary>
public sealed class InvalidInput(IReadOnlyDictionary<string, string[]> errors)
    : Exception("The request has invalid fields: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public InvalidInput(string field, string error) : this(new Dictionary<string, string[]> { [field] = [error] }) { }
}

/// <summary>Collects field errors and throws them together, so a client sees every problem at once.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new();

    public FieldErrors Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(error);
        return this;
    }

    public bool Any => _errors.Count > 0;

    /// <summary>A free-text field, checked as every one is (<see cref="FreeText.Problem"/>).</summary>
    /// <param name="manyLines">text of many lines (a reason, a note), which keeps its line breaks and tabs</param>
    /// <returns>the text as it is kept (<see cref="FreeText.Kept"/>: without the space around it; null when it is only space or not given)</returns>
    public string? Text(string field, string? value, int max, bool required = true, bool manyLines = false)
    {
        if (FreeText.Problem(value, max, required, manyLines) is { } problem) Add(field, problem);
        return FreeText.Kept(value);
    }

    public void ThrowIfAny()
    {
        if (Any) throw new InvalidInput(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    /// <summary>The errors, if any, in the order of <paramref name="order"/> (a file's rows, say), else as they were found.</summary>
    public void ThrowIfAny<TKey>(Func<string, TKey> order)
    {
        if (Any) throw new InvalidInput(_errors.OrderBy(e => order(e.Key)).ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}

/// <summary>A record that does not exist (answered 404).</summary>
public sealed class NotFound(string what, object id) : Exception($"{what} {id} was not found")
{
    public string What { get; } = what;
    public object Id { get; } = id;
}

/// <summary>The caller's role or scope does not reach this record or action (answered 403).</summary>
public sealed class Forbidden(string message) : Exception(message);

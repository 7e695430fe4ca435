namespace GrantLedger.Core.Rules;

/// <summary>
/// What a code's pattern ("^[a-z0-9][a-z0-9-]{0,39}$") means to .NET, to PostgreSQL and to a client reading the OpenAPI
/// document alike. .NET's <c>$</c> also matches before a string's final newline, where PostgreSQL's and JSON Schema's do
/// not: "north\n" passed the service's check and was refused by the table's CHECK, a 422 naming a constraint rather
/// than the field. Each pattern is shared by the document and the service's expression, which appends
/// <see cref="AtTheEnd"/>.
/// </summary>
public static class Patterns
{
    /// <summary>Appended after a pattern's closing <c>$</c>: the match ends at the end of the string, not before a newline there.</summary>
    public const string AtTheEnd = @"(?!\n)";
}

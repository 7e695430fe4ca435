using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// The 400 answer for a body that is not valid JSON or has a value of the wrong type, or a query or form field that
/// cannot be read: each field by its name ("lines[2].amount", "lineId"), with the reason in plain words, and the detail
/// saying which part of the request it was. A query or form value that cannot be read as its type says what it must be ("must
/// be a whole number", "must be a date that exists, as YYYY-MM-DD"), named as the client sends it ("after", not "After"), where
/// the framework said "The value 'abc' is not valid for After.".
/// </summary>
public static partial class MalformedRequest
{
    [GeneratedRegex(@"\s*Path: \$.*$", RegexOptions.Singleline)] private static partial Regex PathSuffix();

    /// <summary>The framework's words for a query's date it could not read: "The value '2026-02-30' is not valid."</summary>
    [GeneratedRegex(@"^The value '\d{4}-\d{1,2}-\d{1,2}' is not valid")] private static partial Regex DateValue();

    /// <summary>The framework's words for a form field or query value it could not read: "The value 'abc' is not valid for lineId."</summary>
    [GeneratedRegex(@"^The value '.*' is not valid( for .*)?\.?$", RegexOptions.Singleline)] private static partial Regex NotValid();

    /// <summary>The serializer's words for a field the request does not have: "The JSON property 'line' could not be mapped to …".</summary>
    [GeneratedRegex(@"^The JSON property '(?<name>.*?)' could not be mapped", RegexOptions.Singleline)] private static partial Regex NotAField();

    public static IActionResult Answer(ActionContext context)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (key, entry) in context.ModelState)
        {
            if (entry.Errors.Count == 0) continue;
            var field = key.StartsWith("$.") ? key[2..] : key is "$" or "" or "request" ? "body" : key;
            // a field the request does not have is named itself, under the object that holds it ("lines[0].reasn")
            if (entry.Errors.Select(e => NotAField().Match(e.ErrorMessage is { Length: > 0 } m ? m : e.Exception?.Message ?? "")).FirstOrDefault(m => m.Success) is { } unknown)
            {
                var name = unknown.Groups["name"].Value;
                var at = key.StartsWith("$.") ? key[2..] : "";
                var named = at.Length == 0 ? name : at.EndsWith($".{name}") || at == name ? at : $"{at}.{name}";
                errors[named] = ["is not a field of this request: leave it out, or check its name against the OpenAPI document"];
                continue;
            }
            // the framework's validation names a body's fields as C# does ("Split.Lines[0]"), JSON as the client sent them
            field = key.StartsWith('$') ? char.ToLowerInvariant(field[0]) + field[1..]
                : string.Join('.', field.Split('.').Select(f => f.Length == 0 ? f : char.ToLowerInvariant(f[0]) + f[1..]));
            // "The value 'abc' is not valid for After.": what the value must be, by the type it is read as
            var must = Bound(context.ActionDescriptor, key) is { } bound ? MustBe(bound.Type, bound.Member) : null;
            var messages = entry.Errors.Select(e => must is not null && NotValid().IsMatch(e.ErrorMessage) ? must : Clean(e.ErrorMessage, e.Exception))
                .Distinct().ToArray();
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, .. messages] : messages;
        }
        // "The request field is required" only echoes a JSON error already reported
        if (errors.Count > 1) errors.Remove("body");
        var query = context.HttpContext.Request.Query;
        var inQuery = errors.Count > 0 && errors.Keys.All(query.ContainsKey); // ?from=2026-02-30: the query, not the body
        var answers = context.HttpContext.RequestServices.GetRequiredService<ProblemAnswers>();
        var problem = answers.Validation(context.HttpContext, 400, errors,
            inQuery ? "The request's query is not valid."
            : context.HttpContext.Request.HasFormContentType ? "The request's form fields are not valid."
            : "The request body is not valid JSON of the expected shape.");
        return new ObjectResult(problem) { StatusCode = 400, ContentTypes = { "application/problem+json" } };
    }

    /// <summary>
    /// The type a query or form value is read as, and what declares it: the action's parameter of that name, or the property
    /// of that name of an object its query is bound to (the audit trail's and the journal's filters), in any case.
    /// </summary>
    private static (Type Type, ICustomAttributeProvider? Member)? Bound(ActionDescriptor action, string key)
    {
        foreach (var p in action.Parameters.Where(p => p.BindingInfo?.BindingSource != BindingSource.Body))
        {
            if (string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase))
                return (p.ParameterType, (p as ControllerParameterDescriptor)?.ParameterInfo);
            var name = key.StartsWith(p.Name + ".", StringComparison.OrdinalIgnoreCase) ? key[(p.Name.Length + 1)..] : key;
            if (p.ParameterType.IsClass && p.ParameterType != typeof(string)
                && p.ParameterType.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property)
                return (property.PropertyType, property);
        }
        return null;
    }

    /// <summary>What a value of this type must be, in the words the service's other refusals use; null for a type not listed.</summary>
    private static string? MustBe(Type type, ICustomAttributeProvider? member)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(long) || t == typeof(int) || t == typeof(short)) return "must be a whole number";
        if (t == typeof(decimal) || t == typeof(double) || t == typeof(float)) return "must be a number";
        if (t == typeof(bool)) return "must be true or false";
        if (t == typeof(DateOnly)) return DateMessage;
        if (t == typeof(DateTimeOffset) || t == typeof(DateTime))
            return member?.IsDefined(typeof(DayOrMomentAttribute), false) == true
                ? "must be a date, as YYYY-MM-DD (2026-10-05), or a date and time, as ISO 8601 (2026-10-05T09:30:00Z)"
                : "must be a date and time, as ISO 8601 (2026-10-05T09:30:00Z)";
        return null;
    }

    private const string DateMessage = "must be a date that exists, as YYYY-MM-DD (2026-10-05)";

    private static string Clean(string message, Exception? exception)
    {
        var text = string.IsNullOrEmpty(message) ? exception?.Message ?? "is invalid" : message;
        text = PathSuffix().Replace(text, "");
        if (text.StartsWith("The JSON value could not be converted")) return "has the wrong type";
        if (DateValue().IsMatch(text)) return DateMessage;
        if (text.StartsWith("Duplicate property")) return "is given more than once: give each field once";
        if (text.Contains("is an invalid start of a value") || text.Contains("expected end of string") || text.Contains("invalid after a value"))
            return "is not valid JSON";
        if (text.StartsWith("A non-empty request body is required")) return "is required: send a JSON body";
        return text;
    }
}

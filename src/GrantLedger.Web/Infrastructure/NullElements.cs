using System.Collections;
using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// A null in a JSON body's list of objects or strings ({"lines": [null]}) is refused, naming the element ("lines[0]"),
/// for every request body at once: System.Text.Json reads it as a null element, which no use case expects (it answered
/// 500), while a null in a list of ids is already refused as the wrong type. The check runs as the framework's model
/// validation, after the body is read and before the action, so the 400 comes from <see cref="MalformedRequest"/>.
/// </summary>
public sealed class NullElementsValidatorProvider : IModelValidatorProvider
{
    public void CreateValidators(ModelValidatorProviderContext context)
    {
        var metadata = context.ModelMetadata;
        if (!metadata.IsEnumerableType || metadata.ElementMetadata is not { } element || metadata.ModelType == typeof(string)) return;
        if (element.ModelType.IsValueType && Nullable.GetUnderlyingType(element.ModelType) is null) return; // a null cannot be read into it
        context.Results.Add(new ValidatorItem { Validator = new NullElements(element.ModelType == typeof(string) ? "a string" : "an object"), IsReusable = true });
    }

    private sealed class NullElements(string expected) : IModelValidator
    {
        public IEnumerable<ModelValidationResult> Validate(ModelValidationContext context)
        {
            // forms post empty fields as null elements, which their pages read as left empty
            if (context.Model is not IEnumerable items || !context.ActionContext.HttpContext.Request.HasJsonContentType()) yield break;
            var i = 0;
            foreach (var item in items)
            {
                if (item is null) yield return new ModelValidationResult($"[{i}]", $"must be {expected}, not null");
                i++;
            }
        }
    }
}

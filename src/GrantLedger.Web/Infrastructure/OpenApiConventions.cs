using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// What the OpenAPI document promises beyond the types: an operationId per operation, and bounds
/// on every number, string and list. The bounds are the ones the service enforces: integers are
/// what their format holds, and no string or list can be longer than the largest request the
/// endpoint accepts (<see cref="Security.DefaultMaxRequestBytes"/> unless it says otherwise).
/// Fields with tighter rules (a URN, an amount) carry their own pattern or length: a text field its
/// use case bounds says so with <see cref="MaxTextAttribute"/>, naming the constant the use case checks, and a field that
/// takes one of a fixed list (an action plan's themes) lists it as its enum with <see cref="OneOfAttribute"/>.
/// </summary>
public static class OpenApiConventions
{
    public const int MaxItems = 1_000_000;

    public static void Configure(SwaggerGenOptions o)
    {
        o.CustomOperationIds(api => api.ActionDescriptor is ControllerActionDescriptor a ? $"{a.ControllerName}_{a.ActionName}" : null);
        o.SchemaFilter<Bounds>();
        o.OperationFilter<AnswersAsSent>();
    }

    /// <summary>
    /// The document's answers and bodies as the service sends and reads them: every refusal (4xx, 5xx) as
    /// application/problem+json, whatever the action's success is (the payment file's were text/csv); a 201's or 202's
    /// Location and a versioned record's ETag as headers; and a CSV upload that the action reads itself (the imports: no
    /// parameter says it) as its body, text/csv or the multipart field "file", as large as the action takes.
    /// </summary>
    private sealed class AnswersAsSent : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var api = context.ApiDescription;
            // the API explorer gives an action's [Consumes] only with a body parameter: an import reads its body itself
            if (operation.RequestBody is null
                && api.ActionDescriptor.EndpointMetadata.OfType<ConsumesAttribute>().Any(c => c.ContentTypes.Contains("text/csv")))
                operation.RequestBody = CsvUpload(api.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>()
                    .LastOrDefault()?.MaxRequestBodySize ?? Security.DefaultMaxRequestBytes);
            foreach (var (status, answer) in operation.Responses ?? [])
            {
                if (answer is not OpenApiResponse response) continue;
                if (status[0] is '4' or '5')
                {
                    var schema = response.Content?.Values.Select(m => m.Schema).FirstOrDefault(s => s is not null)
                                 ?? context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository);
                    response.Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = schema } };
                    continue;
                }
                if (status is "201" or "202")
                    (response.Headers ??= new Dictionary<string, IOpenApiHeader>())["Location"] = new OpenApiHeader
                    {
                        Description = status == "201" ? "The created record's own address, relative (/api/v1/…)" : "The address to follow the work at, relative (/api/v1/…)",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference", MaxLength = 2000 },
                    };
                if (api.SupportedResponseTypes.FirstOrDefault(t => t.StatusCode.ToString() == status)?.Type?.GetProperty("ETag") is not null)
                    (response.Headers ??= new Dictionary<string, IOpenApiHeader>())["ETag"] = new OpenApiHeader
                    {
                        Description = "The record's version, as its eTag field gives it: send it back as If-Match to change only that version",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
                    };
            }
        }

        private const string ProblemJson = "application/problem+json";

        private static OpenApiRequestBody CsvUpload(long most) => new()
        {
            Required = true,
            Description = "The CSV file: as the body (text/csv), or as the multipart form field \"file\"",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = (int)most } },
                ["multipart/form-data"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object, Required = new HashSet<string> { "file" }, AdditionalPropertiesAllowed = false,
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", MaxLength = (int)most },
                        },
                    },
                },
            },
        };
    }

    private sealed class Bounds : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is not OpenApiSchema s || s.Type is not { } type) return;
            // a property's attributes, or a query parameter's
            object[] Attributes(Type attribute) => context.MemberInfo?.GetCustomAttributes(attribute, false) ?? context.ParameterInfo?.GetCustomAttributes(attribute, false) ?? [];
            if (Attributes(typeof(BetweenAttribute)) is [BetweenAttribute between, ..])
                (s.Minimum, s.Maximum) = (between.Least.ToString(), between.Most.ToString());
            if (Attributes(typeof(LimitAttribute)) is [LimitAttribute limit, ..])
                (s.Minimum, s.Maximum, s.Default) = ("1", limit.Page.Most.ToString(), limit.Page.Default is { } d ? JsonValue.Create(d) : null);
            if (type.HasFlag(JsonSchemaType.Integer) && s.Minimum is null && s.Maximum is null)
                (s.Minimum, s.Maximum) = s.Format == "int32" ? (int.MinValue.ToString(), int.MaxValue.ToString()) : (long.MinValue.ToString(), long.MaxValue.ToString());
            if (type.HasFlag(JsonSchemaType.String) && context.MemberInfo?.GetCustomAttributes(typeof(MaxTextAttribute), false) is [MaxTextAttribute bound, ..])
                (s.MaxLength, s.Pattern) = (bound.Length, bound.Pattern ?? s.Pattern);
            if (Attributes(typeof(DayOrMomentAttribute)).Length > 0) // a string either way: a date alone, or a date and time
                (s.Format, s.MaxLength, s.AnyOf) = (null, DayOrMomentAttribute.MostLength, [DayOrMomentAttribute.Day, DayOrMomentAttribute.Moment]);
            if (Attributes(typeof(OneOfAttribute)) is [OneOfAttribute oneOf, ..]
                && (type.HasFlag(JsonSchemaType.Array) ? s.Items : s) is OpenApiSchema listed)
                (listed.Enum, listed.MaxLength) = (oneOf.Values.Select(v => (JsonNode)JsonValue.Create(v)).ToList(), null);
            if (type.HasFlag(JsonSchemaType.String) && s.MaxLength is null && s.Enum is not { Count: > 0 })
                s.MaxLength = (int)Security.DefaultMaxRequestBytes;
            if (type.HasFlag(JsonSchemaType.Array) && Attributes(typeof(MostItemsAttribute)) is [MostItemsAttribute most, ..])
                s.MaxItems = most.Most;
            if (type.HasFlag(JsonSchemaType.Array) && s.MaxItems is null)
                s.MaxItems = MaxItems;
        }
    }
}

/// <summary>
/// Every operation's success answer in the OpenAPI document. ASP.NET infers a 200 of the action's return type only when the
/// action declares no answers at all, and every controller declares its error answers (400, 401, 403), so an action without
/// its own <see cref="ProducesResponseTypeAttribute"/> of a 2xx had none in the document. This declares 200 with the type the
/// action returns (the T of <c>T</c>, <c>Task&lt;T&gt;</c> or <c>ActionResult&lt;T&gt;</c>; none for a file or other
/// <see cref="IActionResult"/>) for each action that declares no 2xx of its own.
/// </summary>
public sealed class SuccessAnswers : IApplicationModelConvention
{
    public void Apply(ApplicationModel application)
    {
        foreach (var action in application.Controllers.SelectMany(c => c.Actions))
        {
            var declared = action.Filters.Concat(action.Controller.Filters).OfType<IApiResponseMetadataProvider>();
            // [Produces("text/csv")] says 200 but puts no answer in the document: only a declared answer counts
            if (declared.Any(d => d is not ProducesAttribute && d.StatusCode is >= 200 and < 300)) continue;
            var type = Answered(action.ActionMethod.ReturnType);
            action.Filters.Add(type is null ? new ProducesResponseTypeAttribute(200) : new ProducesResponseTypeAttribute(type, 200));
        }
    }

    /// <summary>The type of the answer's body, or null when the method says nothing of it (IActionResult, a file).</summary>
    private static Type? Answered(Type returned)
    {
        if (returned.IsGenericType && (returned.GetGenericTypeDefinition() == typeof(Task<>) || returned.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            returned = returned.GetGenericArguments()[0];
        if (returned.IsGenericType && returned.GetGenericTypeDefinition() == typeof(ActionResult<>)) return returned.GetGenericArguments()[0];
        return typeof(IActionResult).IsAssignableFrom(returned) || returned == typeof(Task) || returned == typeof(void) ? null : returned;
    }
}

/// <summary>
/// The refusals each operation answers beside the 400, 401 and 403 every controller declares, in the OpenAPI document: 404
/// where its path names a record (one that does not exist, or that the caller may not know of), 409 and 422 where it writes
/// (a state or version moved on, a record already there; a field or rule refused) and 422 where a read takes a query (an
/// asOf after today, a limit out of range). The document gave none of them on about ninety operations that answer them
/// (GET /api/v1/claims/{claimId} listed 200, 400, 401 and 403), so a generated client had no type for the problem it got.
/// </summary>
public sealed class ErrorAnswers : IApplicationModelConvention
{
    public void Apply(ApplicationModel application)
    {
        foreach (var action in application.Controllers.SelectMany(c => c.Actions))
        {
            var declared = action.Filters.Concat(action.Controller.Filters).OfType<IApiResponseMetadataProvider>().Select(d => d.StatusCode).ToHashSet();
            var writes = action.Attributes.OfType<Microsoft.AspNetCore.Mvc.Routing.HttpMethodAttribute>().SelectMany(a => a.HttpMethods).Any(m => m != "GET");
            var names = action.Selectors.Any(s => s.AttributeRouteModel?.Template?.Contains('{') == true);
            var queried = action.Parameters.Any(p => p.BindingInfo?.BindingSource == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Query);
            var answers = new List<int>();
            if (names) answers.Add(404);
            if (writes) answers.AddRange([409, 422]);
            else if (queried) answers.Add(422);
            foreach (var status in answers)
                if (declared.Add(status)) action.Filters.Add(new ProducesResponseTypeAttribute(typeof(ProblemDetails), status));
        }
    }
}

/// <summary>
/// The most characters a request's text field takes, as its use case checks it (the same constant): the OpenAPI document
/// gives it as the field's maxLength, and a code's pattern (the very expression its use case matches) as its pattern.
/// Documentation only: the use case refuses a longer one, or one not of the pattern (422 naming the field).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaxTextAttribute(int length) : Attribute
{
    public int Length { get; } = length;

    /// <summary>The regular expression the use case matches the whole field with, if it has one.</summary>
    public string? Pattern { get; init; }
}

/// <summary>
/// The least and most a whole number takes, as its use case checks them (the same constants): the OpenAPI document gives them
/// as its minimum and maximum, where it gave any 32-bit integer. Documentation only: the use case refuses another (422 naming it).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class BetweenAttribute(int least, int most) : Attribute
{
    public int Least { get; } = least;
    public int Most { get; } = most;
}

/// <summary>
/// The most items a list takes, as its use case checks it (the same constant): the OpenAPI document gives it as the list's
/// maxItems. Documentation only: the use case refuses more (422 naming the field).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class MostItemsAttribute(int most) : Attribute
{
    public int Most { get; } = most;
}

/// <summary>
/// The values a request's text field (or each item of a list of them) takes, as its use case checks them (the same list,
/// named by its holder and member): the OpenAPI document lists them as the field's enum. Documentation only: the use case
/// refuses any other (422 naming the field). A query parameter that takes one of a fixed list (a list's state) says so the same way.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class OneOfAttribute(Type holder, string member) : Attribute
{
    public IReadOnlyList<string> Values { get; } =
        (IReadOnlyList<string>)(holder.GetField(member)?.GetValue(null) ?? holder.GetProperty(member)?.GetValue(null)
                                ?? throw new ArgumentException($"{holder.Name}.{member} is not a static list of values"));
}

/// <summary>
/// A moment that may be given as a date alone, read as that whole UK day (the audit trail's from and to): the OpenAPI
/// document says either, a date or a date-time, where the type alone said date-time and a client generated from it
/// refused "2026-12-03".
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class DayOrMomentAttribute : Attribute
{
    internal const int MostLength = 64;
    internal static OpenApiSchema Day => new() { Type = JsonSchemaType.String, Format = "date", MaxLength = 10 };
    internal static OpenApiSchema Moment => new() { Type = JsonSchemaType.String, Format = "date-time", MaxLength = MostLength };
}

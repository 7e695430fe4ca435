using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace GrantLedger.Web.Tests.Support;

/// <summary>A query parameter of an operation.</summary>
public sealed record QueryParameter(string Name, JsonNode? Schema, bool Required);

/// <summary>One operation of the service's OpenAPI document, with what its request body and query look like.</summary>
public sealed record ApiOperation(string Method, string Path, bool Multipart, bool Csv, JsonNode? JsonSchema, IReadOnlyList<QueryParameter> Query)
{
    public string Key => $"{Method} {Path}";
    public bool TakesBody => Method is "POST" or "PUT" or "PATCH";

    /// <summary>A request with a body this operation accepts in form: the given JSON, a small PDF for uploads, a header-only CSV for imports (…/import: schools, claim lines).</summary>
    public HttpRequestMessage Request(string path, string json = "{}")
    {
        var request = new HttpRequestMessage(new HttpMethod(Method), path);
        if (Multipart)
        {
            var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent("%PDF-1.4 test"u8.ToArray()), "file", "test.pdf");
            request.Content = form;
        }
        else if (Csv) request.Content = new StringContent("URN,EstablishmentName\n", Encoding.UTF8, "text/csv");
        else if (TakesBody) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }
}

/// <summary>The service's own description of itself, read as a client would.</summary>
public sealed class OpenApi
{
    public required JsonNode Document { get; init; }
    public required IReadOnlyList<ApiOperation> Operations { get; init; }

    public static async Task<OpenApi> ReadAsync(DatabaseFixture db)
    {
        var doc = JsonNode.Parse(await db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var list = new List<ApiOperation>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
            {
                var content = op!["requestBody"]?["content"]?.AsObject();
                var query = (op["parameters"] as JsonArray ?? []).Where(p => p!["in"]?.GetValue<string>() == "query")
                    .Select(p => new QueryParameter(p!["name"]!.GetValue<string>(), p["schema"], p["required"]?.GetValue<bool>() == true)).ToList();
                // an import takes text/csv or a multipart file: sent as a CSV, as a client of either would
                var csv = content?.ContainsKey("text/csv") == true || path.EndsWith("/import", StringComparison.Ordinal);
                list.Add(new ApiOperation(method.ToUpperInvariant(), path, !csv && content?.ContainsKey("multipart/form-data") == true,
                    csv, content?["application/json"]?["schema"], query));
            }
        return new OpenApi { Document = doc, Operations = list };
    }

    /// <summary>A schema with its $ref followed.</summary>
    public JsonNode? Resolve(JsonNode? schema)
    {
        for (var i = 0; i < 10 && schema?["$ref"] is { } r; i++)
            schema = Document["components"]!["schemas"]![r.GetValue<string>().Split('/').Last()];
        return schema;
    }

    /// <summary>The JSON types a schema allows ("type" is a string or, in OpenAPI 3.1, a list).</summary>
    public static IReadOnlyList<string> Types(JsonNode? schema) => schema?["type"] switch
    {
        JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
        JsonValue v => [v.GetValue<string>()],
        _ => [],
    };

    public static async Task<Answer> SendAsync(ApiClient client, ApiOperation op, string path, string json = "{}")
    {
        using var request = op.Request(path, json);
        using var response = await client.Http.SendAsync(request);
        return await Answer.ReadAsync(response);
    }
}

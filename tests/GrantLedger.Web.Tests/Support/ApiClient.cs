using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrantLedger.Web.Tests.Support;

/// <summary>An HTTP client signed in as one user, with JSON helpers that keep the raw answer for assertions.</summary>
public sealed class ApiClient
{
    public HttpClient Http { get; }
    public long UserId { get; }
    public string UserName { get; }

    public ApiClient(HttpClient http, string? token, long userId, string userName)
    {
        Http = http;
        UserId = userId;
        UserName = userName;
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Task<Answer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);
    public Task<Answer> PostAsync(string path, object? body, string? idempotencyKey = null) => SendAsync(HttpMethod.Post, path, body, idempotencyKey);
    public Task<Answer> PutAsync(string path, object? body, string? ifMatch = null) => SendAsync(HttpMethod.Put, path, body, ifMatch: ifMatch);
    public Task<Answer> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    /// <summary>Sends a body exactly as written (for malformed JSON).</summary>
    public async Task<Answer> PostRawAsync(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await Http.PostAsync(path, content);
        return await Answer.ReadAsync(response);
    }

    /// <summary>Sends a body of these very bytes (a file in an encoding of its own, or not text at all).</summary>
    public async Task<Answer> PostBytesAsync(string path, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new(contentType);
        using var response = await Http.PostAsync(path, content);
        return await Answer.ReadAsync(response);
    }

    /// <summary>
    /// Text as Windows-1252 bytes, written by hand for the letters the tests use, so that a test of reading such a file
    /// does not lean on the encoder the service uses.
    /// </summary>
    public static byte[] Windows1252(string text) => text.Select(c => c switch
    {
        < (char)0x80 => (byte)c,
        '£' => (byte)0xA3, '–' => (byte)0x96, '“' => (byte)0x93, '”' => (byte)0x94, '’' => (byte)0x92, 'ë' => (byte)0xEB, 'é' => (byte)0xE9,
        'è' => (byte)0xE8,
        _ => throw new InvalidOperationException($"no Windows-1252 byte written for {c}"),
    }).ToArray();

    public async Task<Answer> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await Http.SendAsync(request);
        return await Answer.ReadAsync(response);
    }

    /// <summary>Asks who this is (GET /api/v1/me) until refused (401), for at most <paramref name="within"/>.</summary>
    public async Task<Answer> RefusedWithinAsync(TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var answer = await GetAsync("/api/v1/me");
            if (answer.Status == HttpStatusCode.Unauthorized || clock.Elapsed > within) return answer.ExpectProblem(HttpStatusCode.Unauthorized);
            answer.Expect(HttpStatusCode.OK);
            await Task.Delay(20);
        }
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

public sealed record Answer(HttpStatusCode Status, string Body, string? ContentType, HttpResponseHeaders Headers)
{
    public static async Task<Answer> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType, response.Headers);

    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("empty body");

    public long Id => Json["id"]!.GetValue<long>();

    public Answer Expect(HttpStatusCode status)
    {
        Assert.True(Status == status, $"expected {(int)status} {status} but got {(int)Status} {Status}: {Body}" +
                                      (Status == HttpStatusCode.InternalServerError ? "\nserver errors:\n" + ServerErrors.Recent() : ""));
        return this;
    }

    /// <summary>Asserts an RFC 9457 problem with this status whose field errors (or "field") include <paramref name="field"/>.</summary>
    public Answer ExpectProblem(HttpStatusCode status, string? field = null, string? rule = null)
    {
        Expect(status);
        Assert.Equal("application/problem+json", ContentType);
        var json = Json;
        Assert.Equal((int)status, json["status"]!.GetValue<int>());
        if (field is not null)
        {
            // every problem naming a field names it in `errors`, a rule's refusal in `field` as well
            var errors = json["errors"]?.AsObject();
            Assert.True(errors is not null && errors.ContainsKey(field), $"expected the problem to name the field '{field}' in errors: {Body}");
            if (json["field"] is { } named) Assert.Equal(field, named.GetValue<string>());
        }
        if (rule is not null) Assert.Equal(rule, json["rule"]?.GetValue<string>());
        return this;
    }
}

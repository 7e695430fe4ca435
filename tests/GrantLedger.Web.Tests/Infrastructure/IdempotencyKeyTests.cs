using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// A client that repeats a request it got no answer to, with the same Idempotency-Key, gets the first answer back and
/// one effect: on every operation that writes, not only those that move money. Before, the key was honoured on the
/// money-moving POSTs and silently ignored elsewhere, so a retried create (a claim, a user, an export) made two.
/// </summary>
public sealed class IdempotencyKeyTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task ACreateRetriedWithOneKey_MakesOne_AndAnswersAsItDidTheFirstTime()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var s = w.S;
        async Task<Answer> TwiceAsync(ApiClient client, string path, object body, string key)
        {
            var first = await client.PostAsync(path, body, key);
            Assert.True((int)first.Status is >= 200 and < 300, $"{path}: {first.Status} {first.Body}");
            var again = await client.PostAsync(path, body, key);
            Assert.Equal((first.Status, first.Body, first.Headers.Location), (again.Status, again.Body, again.Headers.Location));
            Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
            return again;
        }

        await TwiceAsync(w.School, "/api/v1/claims", new { periodId = w.Periods["aut1"], description = "October cover" }, "claim-1");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE description = 'October cover'"));

        // a request that holds a password takes no key: its stored hash would be a fast, unsalted hash of the password
        // (anyone with a backup could guess it offline); a retry without one acts once all the same
        var user = new
        {
            userName = "jo.bloggs", displayName = "Jo Bloggs", password = "a-long-enough-password", role = "area_lead", areaId = s.AreaIds[0],
        };
        (await s.Root.PostAsync("/api/v1/users", user, "user-1")).ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        var jo = (await s.Root.PostAsync("/api/v1/users", user)).Expect(HttpStatusCode.Created).Id;
        (await s.Root.PostAsync("/api/v1/users", user)).ExpectProblem(HttpStatusCode.Conflict, rule: "user-name-taken");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE user_name = 'jo.bloggs'"));
        (await s.Root.PostAsync($"/api/v1/users/{jo}/password-reset", new { password = "another-long-password" }, "reset-1"))
            .ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        (await w.School.PostAsync("/api/v1/me/password", new { currentPassword = DatabaseFixture.Password, newPassword = "my-own-long-password" }, "mine-1"))
            .ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM idempotency_key WHERE path LIKE '/api/v1/users%' OR path LIKE '%password%'"));

        var finance = await s.FinanceAsync(Db);
        await TwiceAsync(finance, $"/api/v1/programmes/{s.ProgrammeId}/exports", new { kind = "csv" }, "export-1");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM export_job"));

        // the same key with another request is refused, and the key is the caller's own: another user's is another key
        (await w.School.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut2"] }, "claim-1"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        (await w.OtherSchool.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut1"], description = "October cover" }, "claim-1"))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE description = 'October cover'"));
    }

    /// <summary>
    /// A file sent again: a client draws a new multipart boundary for each attempt, so the form's fields and files are
    /// compared, not its bytes. And an answer's own headers come back with it (the payment file's SHA-256 and name).
    /// </summary>
    [Fact]
    public async Task AFileOrAnExportRetriedWithOneKey_IsTakenOnce_AndAnswersWithTheSameHeaders()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        async Task<Answer> AttachAsync()
        {
            using var form = new MultipartFormDataContent(); // a boundary of its own each time
            var file = new ByteArrayContent(ClaimWorld.Pdf("INV-7"));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            form.Add(file, "file", "inv-7.pdf");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/claims/{id}/evidence") { Content = form };
            request.Headers.Add("Idempotency-Key", "evidence-7");
            using var response = await w.School.Http.SendAsync(request);
            return await Answer.ReadAsync(response);
        }
        var first = (await AttachAsync()).Expect(HttpStatusCode.Created);
        var again = (await AttachAsync()).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Body, again.Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));

        var review = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{review}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var maker = await w.S.FinanceAsync(Db, "maker");
        var run = (await maker.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        (await (await w.S.FinanceAsync(Db, "checker")).PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        async Task<HttpResponseMessage> ExportAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/payment-runs/{run}/export");
            request.Headers.Add("Idempotency-Key", "export-run");
            return await maker.Http.SendAsync(request);
        }
        using var exported = await ExportAsync();
        using var repeated = await ExportAsync();
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (exported.StatusCode, repeated.StatusCode));
        Assert.Equal(await exported.Content.ReadAsByteArrayAsync(), await repeated.Content.ReadAsByteArrayAsync());
        Assert.Equal(exported.Headers.GetValues("X-Content-SHA256"), repeated.Headers.GetValues("X-Content-SHA256"));
        Assert.Equal(exported.Content.Headers.ContentDisposition?.ToString(), repeated.Content.Headers.ContentDisposition?.ToString());
        Assert.Equal(exported.Content.Headers.ContentType?.ToString(), repeated.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'payment-run.export'"));
    }

    /// <summary>
    /// Signing in and issuing a token answer a secret, which is not kept: they take no key, and a request to them with
    /// one is refused naming the header, issuing nothing (a client's retry issues another token; it revokes the spare).
    /// </summary>
    [Fact]
    public async Task AnOperationAnsweringASecret_RefusesAKey_NamingTheHeader_AndIssuesNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var tokens = await Db.ScalarAsync("SELECT count(*) FROM api_token");
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token")
        {
            Content = JsonContent.Create(new { userName = w.School.UserName, password = DatabaseFixture.Password }),
        };
        signIn.Headers.Add("Idempotency-Key", "sign-in-1");
        using var refused = await Db.Factory.CreateClient().SendAsync(signIn);
        var problem = (await Answer.ReadAsync(refused)).ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Contains("takes no Idempotency-Key", problem.Body);
        (await w.School.PostAsync("/api/v1/me/tokens", new { name = "script" }, "token-1")).ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(tokens, await Db.ScalarAsync("SELECT count(*) FROM api_token"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM idempotency_key"));
    }

    /// <summary>The OpenAPI document says of every operation that writes whether it takes the header.</summary>
    [Fact]
    public async Task TheOpenApiDocument_SaysOfEveryWrite_WhetherItTakesTheKey()
    {
        var doc = JsonNode.Parse(await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var writes = 0;
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
            {
                var takes = operation!["parameters"]?.AsArray().Any(p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header") == true;
                var said = operation["x-idempotency-key"]?.GetValue<string>();
                if (method is "get" or "head")
                {
                    Assert.False(takes, $"{method} {path} reads: it has nothing to repeat");
                    continue;
                }
                writes++;
                Assert.True(takes ? said == "taken" : said == "refused", $"{method} {path}: parameter {takes}, x-idempotency-key {said}");
                if (!takes) Assert.Contains("Idempotency-Key", operation["description"]?.GetValue<string>() ?? "");
            }
        Assert.True(writes > 40, $"{writes} operations that write");
        Assert.Equal("taken", doc["paths"]!["/api/v1/claims"]!["post"]!["x-idempotency-key"]!.GetValue<string>());
        Assert.Equal("refused", doc["paths"]!["/api/v1/auth/token"]!["post"]!["x-idempotency-key"]!.GetValue<string>());
    }
}

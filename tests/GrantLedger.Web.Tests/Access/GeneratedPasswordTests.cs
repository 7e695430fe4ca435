using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrantLedger.Web.Tests.Access;

/// <summary>
/// The API makes a new user's one-time password, as the admin's pages do, when the admin gives none: answered once, with
/// Cache-Control: no-store, and kept nowhere (not the Idempotency-Key's stored answer, the audit trail, any column or a
/// log). A request repeated with the same key acts once and answers without it.
/// </summary>
public sealed class GeneratedPasswordTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static readonly Regex Made = new("^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$"); // sixteen of 31 letters and digits, no 0/o, 1/l/i

    [Fact]
    public async Task AUserCreatedWithoutAPassword_IsGivenOneOnce_ThatSignsThemInOnlyToChooseTheirOwn_AndIsKeptNowhere()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var logs = new EveryLog();
        await using var service = Logged(logs);
        var admin = As(service, w.Admin);
        var checker = new { userName = "checker", displayName = "Checker", role = "funder_finance", programmeId = w.S.ProgrammeId };

        var first = (await admin.PostAsync("/api/v1/users", checker, "new-checker")).Expect(HttpStatusCode.Created);
        var password = first.Json["oneTimePassword"]?.GetValue<string>();
        Assert.True(password is not null && Made.IsMatch(password), first.Body);
        Assert.True(first.Json["mustChoosePassword"]!.GetValue<bool>());
        Assert.Null(first.Json["oneTimePasswordWithheld"]);
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());

        // the same request with the same key: the same user, once, and no password
        var again = (await admin.PostAsync("/api/v1/users", checker, "new-checker")).Expect(HttpStatusCode.Created);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal((first.Id, first.Headers.Location), (again.Id, again.Headers.Location));
        Assert.Null(again.Json["oneTimePassword"]);
        Assert.Contains($"/api/v1/users/{first.Id}/password-reset", again.Json["oneTimePasswordWithheld"]!.GetValue<string>());
        Assert.Equal("no-store", again.Headers.CacheControl?.ToString());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE user_name = 'checker'"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.created' AND record_id = $1", first.Id));

        // it signs in only to choose the user's own, as a one-time password the admin typed
        var anonymous = new ApiClient(service.CreateClient(), null, 0, "");
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password }))
            .ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");
        (await anonymous.PostAsync("/api/v1/auth/password", new { userName = "checker", currentPassword = password, newPassword = DatabaseFixture.Password }))
            .Expect(HttpStatusCode.NoContent);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "checker", password = DatabaseFixture.Password })).Expect(HttpStatusCode.Created);

        await KeptNowhereAsync(password!, logs);
        var stored = await Db.TextAsync("SELECT convert_from(response_body, 'UTF8') FROM idempotency_key WHERE key = 'new-checker'");
        Assert.Contains("oneTimePasswordWithheld", stored);
        var created = await Db.TextAsync("SELECT details::text FROM audit_event WHERE action = 'user.created' AND record_id = $1", first.Id);
        Assert.Contains("mustChoosePassword", created);
        Assert.Contains("\"oneTimePasswordMadeBy\": \"service\"", created); // the auditor reads that the admin never knew it

        // a password the admin gives is kept as before (scripts give one), and is not answered back
        var given = (await admin.PostAsync("/api/v1/users", new { userName = "given", displayName = "Given", password = DatabaseFixture.OneTimePassword,
            role = "funder_finance", programmeId = w.S.ProgrammeId })).Expect(HttpStatusCode.Created);
        Assert.Null(given.Json["oneTimePassword"]);
        Assert.DoesNotContain(DatabaseFixture.OneTimePassword, given.Body);
        Assert.Contains("\"oneTimePasswordMadeBy\": \"admin\"",
            await Db.TextAsync("SELECT details::text FROM audit_event WHERE action = 'user.created' AND record_id = $1", given.Id));
    }

    [Fact]
    public async Task AResetWithoutAPassword_GivesANewOneOnce_ARepeatWithTheKeyResetsNothingMore_AndNeitherIsKept()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var logs = new EveryLog();
        await using var service = Logged(logs);
        var admin = As(service, w.Admin);
        var user = await Db.UserMadeByAsync(w.Admin, "forgetful", "funder_finance", w.S.ProgrammeId);
        var reset = $"/api/v1/users/{user.UserId}/password-reset";

        var first = (await admin.PostAsync(reset, null, "reset-1")).Expect(HttpStatusCode.OK); // no body at all
        var password = first.Json["oneTimePassword"]?.GetValue<string>();
        Assert.True(password is not null && Made.IsMatch(password), first.Body);
        Assert.True(first.Json["mustChoosePassword"]!.GetValue<bool>());
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());
        var anonymous = new ApiClient(service.CreateClient(), null, 0, "");
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "forgetful", password = DatabaseFixture.Password }))
            .ExpectProblem(HttpStatusCode.Unauthorized);

        // the repeat resets nothing more: the first answer's password is still the one, and the answer says where it went
        var again = (await admin.PostAsync(reset, null, "reset-1")).Expect(HttpStatusCode.OK);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(user.UserId, again.Id);
        Assert.Null(again.Json["oneTimePassword"]);
        Assert.Contains(reset, again.Json["oneTimePasswordWithheld"]!.GetValue<string>());
        Assert.Equal("no-store", again.Headers.CacheControl?.ToString());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.password-reset' AND record_id = $1", user.UserId));
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "forgetful", password }))
            .ExpectProblem(HttpStatusCode.Forbidden, rule: "password-change-required");

        // a body without a password, and no key: another reset, another password; the one before no longer signs in
        var second = (await admin.PostAsync(reset, new { })).Expect(HttpStatusCode.OK);
        var another = second.Json["oneTimePassword"]!.GetValue<string>();
        Assert.NotEqual(password, another);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'user.password-reset' AND record_id = $1", user.UserId));
        Assert.Equal(2, await Db.ScalarAsync(
            "SELECT count(*) FROM audit_event WHERE action = 'user.password-reset' AND record_id = $1 AND details->>'oneTimePasswordMadeBy' = 'service'", user.UserId));
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "forgetful", password })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/password", new { userName = "forgetful", currentPassword = another, newPassword = "my-own-new-password" }))
            .Expect(HttpStatusCode.NoContent);

        await KeptNowhereAsync(password!, logs);
        await KeptNowhereAsync(another, logs);

        // a password the admin gives still takes no key: its request's hash would be a fast hash of it
        (await admin.PostAsync(reset, new { password = "a-long-enough-password" }, "reset-2")).ExpectProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM idempotency_key WHERE key = 'reset-2'"));
    }

    [Fact]
    public async Task TheOpenApiDocument_SaysTheAnswersOneTimePassword_AndThatAKeyIsTakenOnlyWithoutAPassword()
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        foreach (var (path, status) in new[] { ("/api/v1/users", "201"), ("/api/v1/users/{userId}/password-reset", "200") })
        {
            var post = doc["paths"]![path]!["post"]!;
            var schema = post["responses"]![status]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().Split('/')[^1];
            var properties = doc["components"]!["schemas"]![schema]!["properties"]!;
            Assert.Equal(Made.ToString(), properties["oneTimePassword"]!["pattern"]!.GetValue<string>());
            Assert.Contains("first answer only", properties["oneTimePassword"]!["description"]!.GetValue<string>());
            Assert.NotNull(properties["oneTimePasswordWithheld"]);
            Assert.NotNull(properties["mustChoosePassword"]);
            Assert.Equal("taken", post["x-idempotency-key"]!.GetValue<string>());
            var key = post["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "Idempotency-Key")!;
            Assert.Contains("gives a password", key["description"]!.GetValue<string>());
        }
    }

    /// <summary>The password in no row of any table (as text, or as the hex of its bytes in a bytea) and in no log line.</summary>
    private async Task KeptNowhereAsync(string password, EveryLog logs)
    {
        var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(password)).ToLowerInvariant();
        await using var tables = Db.DataSource.CreateCommand("""
            SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
            """);
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        Assert.Contains("public.idempotency_key", names);
        Assert.Contains("public.audit_event", names);
        foreach (var table in names)
            Assert.True(0 == await Db.ScalarAsync($"SELECT count(*) FROM {table} r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0", password, hex),
                $"{table} holds the one-time password");
        Assert.NotEmpty(logs.Lines);
        var logged = logs.Lines.Where(l => l.Contains(password, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(logged.Count == 0, "logged:\n" + string.Join("\n", logged));
    }

    /// <summary>The service, logging everything it logs (every level, every category) to <paramref name="logs"/>.</summary>
    private WebApplicationFactory<Program> Logged(EveryLog logs) =>
        Db.Factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs).AddFilter<EveryLog>(null, LogLevel.Trace)));

    private static ApiClient As(WebApplicationFactory<Program> service, ApiClient user) =>
        new(service.CreateClient(), user.Http.DefaultRequestHeaders.Authorization!.Parameter, user.UserId, user.UserName);

    private sealed class EveryLog : ILoggerProvider
    {
        public readonly ConcurrentQueue<string> Lines = new();
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category} {level}: {formatter(state, exception)} {state} {exception}");
        }
    }
}

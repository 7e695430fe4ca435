using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>The auditor reads everything and writes nothing, through the API or in PostgreSQL; every write is in the trail.</summary>
public sealed class AuditorTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task EveryWriteEndpointInTheOpenApiDocument_Answers403ToAnAuditor()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        var anonymous = Db.Factory.CreateClient();
        var doc = JsonNode.Parse(await anonymous.GetStringAsync("/swagger/v1/swagger.json"))!;
        var tried = new List<string>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is not ("post" or "put" or "patch" or "delete")) continue;
                // signing in, and choosing one's password before that, are open to anyone (it is how an auditor gets a token);
                // they are the only operations without security
                if (operation!["security"] is null)
                {
                    Assert.Contains(path, new[] { "/api/v1/auth/token", "/api/v1/auth/password" });
                    continue;
                }
                var url = System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", s.ProgrammeId.ToString());
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                var contentType = operation["requestBody"]?["content"]?.AsObject().Select(c => c.Key).FirstOrDefault();
                request.Content = contentType switch
                {
                    null => null,
                    "multipart/form-data" => new MultipartFormDataContent { { new StringContent("x"), "file", "x.csv" } },
                    _ => new StringContent(contentType.Contains("json") ? "{}" : "", Encoding.UTF8, contentType),
                };
                using var response = await auditor.Http.SendAsync(request);
                // an auditor's own password is theirs to change, not a record of the ledger, and auditors take exports (DESIGN.md),
                // which read the ledger and change none of it: both refused here only for their empty bodies; and auditors ask for
                // the ledger's checks to be run, which read it and change none of it: accepted
                var expected = path switch
                {
                    "/api/v1/me/password" or "/api/v1/programmes/{programmeId}/exports" => HttpStatusCode.UnprocessableEntity,
                    "/api/v1/audit/programmes/{programmeId}/check-runs" => HttpStatusCode.Accepted,
                    _ => HttpStatusCode.Forbidden,
                };
                Assert.True(response.StatusCode == expected,
                    $"{method.ToUpperInvariant()} {path} answered an auditor {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                tried.Add($"{method} {path}");
            }
        Assert.True(tried.Count >= 40, $"only {tried.Count} write operations were found: {string.Join(", ", tried)}");
        Assert.Contains("post /api/v1/me/tokens", tried);
        // nothing written in the auditor's name but the run of the checks asked for
        Assert.Equal("ledger-checks.requested", await Db.TextAsync("SELECT string_agg(action, ', ') FROM audit_event WHERE user_id = $1", auditor.UserId));
    }

    [Fact]
    public async Task TheAuditorRoleInPostgreSQL_ReadsTheAuditViews_AndCanWriteNothingAnywhere()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00");
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await Exec(conn, "SET ROLE grantledger_auditor");
        try
        {
            Assert.Equal(1L, await Scalar(conn, "SELECT count(*) FROM audit.journal_lines"));
            Assert.True(await Scalar(conn, "SELECT count(*) FROM audit.trail") > 0);
            Assert.Equal(2L, await Scalar(conn, $"SELECT count(*) FROM audit.balances_as_of({s.ProgrammeId}, '2026-12-31')"));
            foreach (var view in new[] { "accounts", "journal_entries", "claims", "claim_transitions", "evidence_files", "payment_runs", "chain_seals", "seal_status" })
                await Scalar(conn, $"SELECT count(*) FROM audit.{view}");

            var views = await Names(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'audit'");
            Assert.True(views.Count >= 10, string.Join(", ", views));
            foreach (var view in views)
            {
                await Refused(conn, $"DELETE FROM audit.{view}", viewMayRefuseFirst: true);
                await Refused(conn, $"UPDATE audit.{view} SET {(await Names(conn, $"SELECT column_name FROM information_schema.columns WHERE table_schema = 'audit' AND table_name = '{view}' ORDER BY ordinal_position DESC LIMIT 1"))[0]} = NULL", viewMayRefuseFirst: true);
            }
            await Refused(conn, "CREATE TABLE audit.notes (x int)");
            await Refused(conn, "CREATE TABLE public.notes (x int)");
            await Refused(conn, "SELECT count(*) FROM journal_entry"); // only the views, not the tables beneath them
            await Exec(conn, "RESET ROLE");
            var tables = await Names(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
            await Exec(conn, "SET ROLE grantledger_auditor");
            Assert.Contains("journal_entry", tables);
            foreach (var table in tables)
            {
                await Refused(conn, $"DELETE FROM public.{table}");
                await Refused(conn, $"INSERT INTO public.{table} DEFAULT VALUES");
            }
        }
        finally
        {
            await Exec(conn, "RESET ROLE");
        }
    }

    [Fact]
    public async Task SignInsTokensAndUserChanges_AreInTheTrail_WithWhoWhatAndTheChange()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26"); // ended: its half-terms can be closed
        var auditor = await s.AuditorAsync(Db);
        await using var fromOutside = ClientAt.Service(Db, "203.0.113.7");
        var anonymous = new ApiClient(fromOutside.CreateClient(), null, 0, "");
        var admin = await s.ProgrammeAdminAsync(Db);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = admin.UserName, password = "wrong password!" })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = "nobody", password = "wrong password!" })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = admin.UserName, password = DatabaseFixture.Password })).Expect(HttpStatusCode.Created);
        (await anonymous.PostAsync("/api/v1/auth/token", new { userName = auditor.UserName, password = DatabaseFixture.Password })).Expect(HttpStatusCode.Created);
        var token = (await admin.PostAsync("/api/v1/me/tokens", new { name = "script" })).Expect(HttpStatusCode.Created).Id;
        (await admin.DeleteAsync($"/api/v1/me/tokens/{token}")).Expect(HttpStatusCode.NoContent);
        var user = (await admin.PostAsync("/api/v1/users", new
        {
            userName = "new-finance", displayName = "New finance", password = DatabaseFixture.Password, role = Roles.FunderFinance, programmeId = s.ProgrammeId,
        })).Expect(HttpStatusCode.Created).Id;
        (await admin.PostAsync($"/api/v1/users/{user}/disable", null)).Expect(HttpStatusCode.OK);
        var finance = await s.FinanceAsync(Db);
        var period = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json[0]!["periods"]![0]!["id"]!.GetValue<long>();
        (await finance.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/years/{s.YearId}/periods/{period}/close", null)).Expect(HttpStatusCode.OK);

        var events = (await auditor.GetAsync("/api/v1/audit/events?limit=1000")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        JsonNode One(string action, Func<JsonNode, bool>? where = null) => events.Single(e => e!["action"]!.GetValue<string>() == action && (where?.Invoke(e) ?? true))!;

        var failed = events.Where(e => e!["action"]!.GetValue<string>() == "sign-in.failed").ToList();
        Assert.Equal(2, failed.Count);
        Assert.Equal(admin.UserId, failed[0]!["recordId"]!.GetValue<long>());
        Assert.All(failed, f => Assert.Equal("203.0.113.7", f!["clientAddress"]?.GetValue<string>()));
        Assert.Equal("nobody", failed[1]!["details"]!["userName"]!.GetValue<string>());
        var signedIn = One("sign-in.succeeded", e => e["userId"]!.GetValue<long>() == admin.UserId);
        Assert.Equal(Roles.ProgrammeAdmin, signedIn["role"]!.GetValue<string>());
        One("sign-in.succeeded", e => e["userId"]!.GetValue<long>() == auditor.UserId);
        Assert.Equal("script", One("token.issued")["details"]!["name"]!.GetValue<string>());
        Assert.Equal(token, One("token.revoked")["recordId"]!.GetValue<long>());
        Assert.Equal(Roles.FunderFinance, One("user.created", e => e["recordId"]!.GetValue<long>() == user)["details"]!["role"]!.GetValue<string>());
        Assert.Equal(admin.UserName, One("user.disabled")["userName"]!.GetValue<string>());
        var closed = One("period.closed");
        Assert.Equal((finance.UserId, Roles.FunderFinance, period), (closed["userId"]!.GetValue<long>(), closed["role"]!.GetValue<string>(), closed["recordId"]!.GetValue<long>()));
        foreach (var setUp in new[] { "programme.created", "year.created", "area.created", "category.created", "school.enrolled" })
            Assert.Contains(events, e => e!["action"]!.GetValue<string>() == setUp && e["programmeId"]!.GetValue<long>() == s.ProgrammeId);

        // paging through the trail by id, and CSV
        var first = (await auditor.GetAsync("/api/v1/audit/events?limit=2")).Expect(HttpStatusCode.OK).Json;
        var next = first["nextCursor"]!.GetValue<long>();
        var second = (await auditor.GetAsync($"/api/v1/audit/events?limit=2&after={next}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(events[2]!["id"]!.GetValue<long>(), second["items"]![0]!["id"]!.GetValue<long>());
        var csv = (await auditor.GetAsync("/api/v1/audit/events?action=sign-in.&format=csv")).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("# query: GET /api/v1/audit/events?action=sign-in.&format=csv", csv[0]);
        Assert.Equal(1 + 4, csv.SkipWhile(x => x.StartsWith('#')).Count());

        // programme staff see only their programme's trail; schools none of it
        var theirs = (await finance.GetAsync("/api/v1/audit/events?limit=1000")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.All(theirs, e => Assert.Equal(s.ProgrammeId, e!["programmeId"]!.GetValue<long>()));
        (await (await s.SchoolUserAsync(Db)).GetAsync("/api/v1/audit/events")).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Events_ToADate_IncludeThatWholeUkDay_InJsonAndCsv_AndAReversedRangeIs422NamingTo()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        string D(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var url = $"/api/v1/audit/events?programmeId={s.ProgrammeId}&limit=1000";
        var all = (await auditor.GetAsync(url)).Expect(HttpStatusCode.OK).Json["items"]!.AsArray().Count;
        Assert.True(all > 0);

        Assert.Equal(all, (await auditor.GetAsync($"{url}&to={D(today)}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray().Count);
        Assert.Equal(all, (await auditor.GetAsync($"{url}&from={D(today)}&to={D(today)}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray().Count);
        Assert.Empty((await auditor.GetAsync($"{url}&to={D(today.AddDays(-1))}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray());
        Assert.Empty((await auditor.GetAsync($"{url}&from={D(today.AddDays(1))}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray());
        var csv = (await auditor.GetAsync($"{url}&from={D(today)}&to={D(today)}&format=csv")).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + all, csv.SkipWhile(x => x.StartsWith('#')).Count());
        // a moment is still a moment: before it, not the day's end
        Assert.Empty((await auditor.GetAsync($"{url}&to={D(today.AddDays(-1))}T23:59:59Z")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray());

        // from the calendar's first day, to its last: the whole trail (they answered 500)
        Assert.Equal(all, (await auditor.GetAsync($"{url}&from=0001-01-01&to=9999-12-31")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray().Count);
        Assert.Empty((await auditor.GetAsync($"{url}&from=0001-01-01&to=0001-01-01")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray());
        Assert.Empty((await auditor.GetAsync($"{url}&from=9999-12-31")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray());
        (await auditor.GetAsync($"{url}&from=0001-01-01&format=csv")).Expect(HttpStatusCode.OK);

        (await auditor.GetAsync($"{url}&from={D(today.AddDays(1))}&to={D(today)}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to");
        (await auditor.GetAsync($"{url}&from={D(today.AddDays(1))}&to={D(today)}&format=csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to");
    }

    private static async Task Exec(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> Scalar(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private static async Task<List<string>> Names(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var names = new List<string>();
        while (await r.ReadAsync()) names.Add(r.GetString(0));
        return names;
    }

    /// <param name="viewMayRefuseFirst">a view over a join cannot be written by anyone: PostgreSQL says so before it checks privileges</param>
    private static async Task Refused(NpgsqlConnection conn, string sql, bool viewMayRefuseFirst = false)
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => Exec(conn, sql));
        Assert.True(e.SqlState == PostgresErrorCodes.InsufficientPrivilege
                    || (viewMayRefuseFirst && e.SqlState is PostgresErrorCodes.ObjectNotInPrerequisiteState or PostgresErrorCodes.FeatureNotSupported),
            $"{sql}: {e.SqlState} {e.MessageText}");
    }
}

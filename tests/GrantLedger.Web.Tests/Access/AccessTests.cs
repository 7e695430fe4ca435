using System.Net;
using Microsoft.AspNetCore.Hosting;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Access;

public sealed class AccessTests(DatabaseFixture db) : DatabaseTest(db)
{
    private ApiClient Anonymous => new(Db.Factory.CreateClient(), null, 0, "anonymous");

    [Fact]
    public async Task SignIn_WithRightPassword_IssuesATokenThatWorks_AndIsStoredOnlyAsAHash()
    {
        await Db.UserAsync("maria", Roles.Auditor);
        var issued = (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = "maria", password = DatabaseFixture.Password, days = 7 }))
            .Expect(HttpStatusCode.Created).Json;
        var token = issued["token"]!.GetValue<string>();
        Assert.StartsWith("glt_", token);
        var me = (await new ApiClient(Db.Factory.CreateClient(), token, 0, "maria").GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("auditor", me["role"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM api_token WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'", token));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.succeeded'"));
    }

    /// <summary>
    /// A request without a token is challenged as RFC 9110 requires of a 401, with WWW-Authenticate naming the Bearer scheme,
    /// as a refused token already was: it answered 401 with no challenge at all.
    /// </summary>
    [Fact]
    public async Task ARequestWithoutAToken_IsChallengedForABearerToken()
    {
        using var response = await Db.Factory.CreateClient().GetAsync("/api/v1/programmes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksTheAccount_EvenForTheRightPassword()
    {
        await Db.UserAsync("maria", Roles.Auditor);
        for (var i = 0; i < 5; i++)
            (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = "maria", password = "wrong-password-xx" })).ExpectProblem(HttpStatusCode.Unauthorized);
        var locked = (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = "maria", password = DatabaseFixture.Password }))
            .ExpectProblem(HttpStatusCode.Unauthorized).Json;
        Assert.Contains("locked", locked["detail"]!.GetValue<string>());
        Assert.Equal(6, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-in.failed'"));
        (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = "nobody", password = "x" })).ExpectProblem(HttpStatusCode.Unauthorized);
        (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = "" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "password");
    }

    /// <summary>
    /// A user name that does not exist is answered as slowly as a wrong password for one that does (a password is hashed
    /// either way), so timing the answers does not list the user names. The fastest of attempts made in turn, as someone
    /// timing the answers would take them (medians missed the margin once, 248 against 534 ms, with the reliability drills
    /// and the other test projects loading the machine: a wrong password also writes its failure, which waits on a busy
    /// database); the margin is wide (without the hash an unknown name answered many times faster than a hashed password).
    /// </summary>
    [Fact]
    public async Task SignIn_ForAUserNameThatDoesNotExist_TakesAsLongAsAWrongPassword()
    {
        await Db.UserAsync("maria", Roles.Auditor);
        async Task<TimeSpan> AttemptAsync(string userName)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            (await Anonymous.PostAsync("/api/v1/auth/token", new { userName, password = "not-the-password" })).ExpectProblem(HttpStatusCode.Unauthorized);
            return clock.Elapsed;
        }
        await AttemptAsync("nobody-at-all"); // the first of each kind also warms up what it runs
        var (known, unknown) = (new List<TimeSpan>(), new List<TimeSpan>());
        for (var i = 0; i < 3; i++) // four wrong passwords in all: one short of the lockout
        {
            known.Add(await AttemptAsync("maria"));
            unknown.Add(await AttemptAsync($"nobody-{i}"));
        }
        known.Add(await AttemptAsync("maria"));
        unknown.Add(await AttemptAsync("nobody-3"));
        var (knownFastest, unknownFastest) = (known.Min(), unknown.Min());
        Assert.True(unknownFastest * 2 > knownFastest,
            $"an unknown user name answered in {unknownFastest.TotalMilliseconds:N1} ms at the fastest, a wrong password in {knownFastest.TotalMilliseconds:N1} ms");
    }

    [Fact]
    public async Task RevokedToken_StopsWorkingAtOnce()
    {
        var user = await Db.UserAsync("maria", Roles.ProgrammeAdmin); // not an auditor: auditors write nothing, not even a revocation
        var tokens = (await user.GetAsync("/api/v1/me/tokens")).Expect(HttpStatusCode.OK).Json.AsArray();
        var id = tokens.Single()!["id"]!.GetValue<long>();
        Assert.Null(tokens.Single()!["revokedAt"]);
        (await user.DeleteAsync($"/api/v1/me/tokens/{id}")).Expect(HttpStatusCode.NoContent);
        var refused = (await user.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
        Assert.Contains("revoked", refused.Json["detail"]!.GetValue<string>());
    }

    /// <summary>
    /// A token's and a user's times are their audit events' (AuditTrailTimes): a token issued by signing in or asked for, a
    /// token revoked and a user disabled, read by the service's clock, before the events their transaction timed.
    /// </summary>
    [Fact]
    public async Task ATokensAndAUsersTimes_AreTheirAuditEvents_Issued_Revoked_AndDisabled()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        (await Anonymous.PostAsync("/api/v1/auth/token", new { userName = w.School.UserName, password = DatabaseFixture.Password })).Expect(HttpStatusCode.Created);
        var asked = (await w.School.PostAsync("/api/v1/me/tokens", new { name = "script" })).Expect(HttpStatusCode.Created).Id;
        (await w.School.DeleteAsync($"/api/v1/me/tokens/{asked}")).Expect(HttpStatusCode.NoContent);
        (await w.S.Root.PostAsync($"/api/v1/users/{w.School.UserId}/disable", null)).Expect(HttpStatusCode.OK);
        // a password reset revokes its user's tokens at the reset's time (ExecuteUpdate's clock is PostgreSQL's now())
        (await w.S.Root.PostAsync($"/api/v1/users/{w.OtherSchool.UserId}/password-reset", null)).Expect(HttpStatusCode.OK);
        Assert.True(await Db.ScalarAsync("SELECT count(*) FROM api_token WHERE user_id = $1 AND revoked_at IS NOT NULL", w.OtherSchool.UserId) > 0);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM api_token t JOIN audit_event e ON e.action IN ('token.issued', 'sign-in.succeeded') "
            + "AND (e.record_id = t.id AND e.record_type = 'api_token' OR (e.details ->> 'tokenId')::bigint = t.id) WHERE t.user_id = $1", w.School.UserId));
    }

    /// <summary>
    /// A page session (the sign-in cookie, 8 hours and sliding) ends when its account is disabled, at its next request, as
    /// the account's API tokens do; and when its role or scope is changed by anyone (here by SQL, as a careless script
    /// would), so that a person moved to another school does not go on seeing the first one's claims.
    /// </summary>
    [Fact]
    public async Task APageSession_EndsAtOnceWhenItsAccountIsDisabled_OrItsScopeChanges()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        await ExpectSignedInAsync(page);

        (await w.S.Root.PostAsync($"/api/v1/users/{w.School.UserId}/disable", null)).Expect(HttpStatusCode.OK);
        await ExpectSignedOutAsync(page);
        (await w.S.Root.PostAsync($"/api/v1/users/{w.School.UserId}/enable", null)).Expect(HttpStatusCode.OK);
        await ExpectSignedOutAsync(page); // the session ended; enabled again, the person signs in again

        await Security.PageFormFuzzTests.SignInAsync(page, w.School.UserName);
        await ExpectSignedInAsync(page);
        await Db.ScalarAsync("UPDATE app_user SET school_id = (SELECT school_id FROM app_user WHERE id = $2) WHERE id = $1 RETURNING id",
            w.School.UserId, w.OtherSchool.UserId);
        await ExpectSignedOutAsync(page);
    }

    /// <summary>
    /// Signing out ends the account's page sessions everywhere: a second browser signed in as the same person (or a copy of
    /// the cookie) is sent to sign in at its next request; the sign-out is in the audit trail; the API token still works.
    /// </summary>
    [Fact]
    public async Task SigningOut_EndsEveryPageSessionOfTheAccount_AndIsAudited()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var options = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        using var first = Db.Factory.CreateClient(options);
        using var second = Db.Factory.CreateClient(options);
        await Security.PageFormFuzzTests.SignInAsync(first, w.School.UserName);
        await Security.PageFormFuzzTests.SignInAsync(second, w.School.UserName);
        await ExpectSignedInAsync(second);

        var page = await first.GetStringAsync("/school");
        using (var signedOut = await first.PostAsync("/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(page),
               })))
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        await ExpectSignedOutAsync(first);
        await ExpectSignedOutAsync(second);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'sign-out.succeeded' AND user_id = $1", w.School.UserId));
        (await w.School.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    /// <summary>A page session in constant use still ends its hours after signing in (12 by default; a few seconds here).</summary>
    [Fact]
    public async Task APageSession_EndsItsHoursAfterSigningIn_HoweverBusy()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting(Web.Access.CookieSessions.HoursSetting, "0.001")); // 3.6 s
        using var page = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await Security.PageFormFuzzTests.SignInAsync(page, w.School.UserName);
        // the clock starts once signed in, so that the session's 3.6 s began before it however long signing in took
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5)) // busy: a request every 200 ms, each one renewing the cookie's own 8 hours
        {
            await ExpectSignedInAsync(page);
            await Task.Delay(200);
        }
        if (clock.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(TimeSpan.FromSeconds(5) - clock.Elapsed);
        await ExpectSignedOutAsync(page);
    }

    /// <summary>
    /// A page session ends its idle minutes after its last request (30 by default; 10 s here): every request renews them in
    /// full, where the cookie's own sliding renews them only once half have passed, so that the time the pages give is
    /// the time it ends. The page's own check of when it ends (GET /session) does not count as using it; keeping it
    /// ("Stay signed in": POST /session with the page's antiforgery token) does.
    /// </summary>
    [Fact]
    public async Task APageSession_EndsItsIdleMinutesAfterItsLastRequest_AndCanBeKept()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var factory = Db.Factory.WithWebHostBuilder(b => b.UseSetting(CookieSessions.IdleMinutesSetting, "0.1666667")); // 10 s
        using var page = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Security.PageFormFuzzTests.SignInAsync(page, w.School.UserName);
        await Task.Delay(TimeSpan.FromSeconds(4) - clock.Elapsed);
        var sent = clock.Elapsed; // the session is renewed while the request is served: between sent and lastUse
        await ExpectSignedInAsync(page); // 4 s after signing in: the cookie's own sliding would not renew it yet
        var lastUse = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(12) - clock.Elapsed); // past the sign-in's 10 s, within the last request's

        var status = await StatusAsync(page);
        Assert.True(status["idle"]!.GetValue<bool>());
        var endsIn = status["endsIn"]!.GetValue<long>();
        var (earliest, latest) = ((long)(sent + TimeSpan.FromSeconds(10) - clock.Elapsed).TotalMilliseconds,
            (long)(lastUse + TimeSpan.FromSeconds(10) - clock.Elapsed).TotalMilliseconds);
        Assert.True(endsIn > earliest - 1_500 && endsIn < latest + 500, $"ends in {endsIn} ms, not between {earliest} and {latest}"); // the cookie keeps whole seconds
        Assert.Matches(@"^\d\d:\d\d$", status["at"]!.GetValue<string>());
        Assert.Equal(0, status["warnIn"]!.GetValue<long>()); // within the 10 minutes' warning from the start
        while (clock.Elapsed < lastUse + TimeSpan.FromSeconds(8.5)) // asking when it ends keeps nothing
        {
            await StatusAsync(page);
            await Task.Delay(500);
        }
        await Task.Delay(lastUse + TimeSpan.FromSeconds(10.5) - clock.Elapsed);
        await ExpectSignedOutAsync(page);
        using (var ended = await page.GetAsync(CookieSessions.StatusPath))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, ended.StatusCode);
            Assert.Equal("application/problem+json", ended.Content.Headers.ContentType?.MediaType);
        }

        // "Stay signed in": kept with the page's token, refused without it
        await Security.PageFormFuzzTests.SignInAsync(page, w.School.UserName);
        var html = await page.GetStringAsync("/school/claims");
        using (var forged = await page.PostAsync(CookieSessions.StatusPath, null))
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(6));
        using var keep = new HttpRequestMessage(HttpMethod.Post, CookieSessions.StatusPath);
        keep.Headers.Add("RequestVerificationToken", Security.PageFormFuzzTests.TokenOf(html));
        using (var kept = await page.SendAsync(keep))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
            var again = System.Text.Json.Nodes.JsonNode.Parse(await kept.Content.ReadAsStringAsync())!;
            Assert.InRange(again["endsIn"]!.GetValue<long>(), 8_000, 10_000); // its 10 s again, from now
        }
        await Task.Delay(TimeSpan.FromSeconds(6)); // 12 s after the page, 6 after it was kept
        await ExpectSignedInAsync(page);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> StatusAsync(HttpClient page)
    {
        using var answer = await page.GetAsync(CookieSessions.StatusPath);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(answer.Headers.CacheControl?.NoStore, $"{answer.Headers}");
        Assert.False(answer.Headers.Contains("Set-Cookie"), "asking when the session ends renewed it");
        return System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
    }

    /// <summary>
    /// Every page of a session carries when the session ends: hidden until its warning time (the page's script shows it
    /// then), and shown as the page is made once that time has come, so that it is read without the script too. The end
    /// is the nearer of the idle minutes from now (which the page's request has renewed) and the hours from signing in.
    /// </summary>
    [Fact]
    public async Task EveryPage_CarriesWhenItsSessionEnds_ShownAsMadeFromItsWarningTime()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        async Task<(string Tag, string Heading)> BannerAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory)
        {
            using var page = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            await Security.PageFormFuzzTests.SignInAsync(page, w.School.UserName);
            var html = await page.GetStringAsync("/school/claims");
            var tag = System.Text.RegularExpressions.Regex.Match(html, "<div [^>]*id=\"session-end\"[^>]*>");
            Assert.True(tag.Success, "the page does not say when its session ends");
            return (tag.Value, System.Text.RegularExpressions.Regex.Match(html, "You will be signed out at \\d\\d:\\d\\d").Value);
        }
        static long Attribute(string tag, string name) =>
            long.Parse(System.Text.RegularExpressions.Regex.Match(tag, $"{name}=\"(\\d+)\"").Groups[1].Value);

        var signedIn = DateTimeOffset.UtcNow;
        var (idle, idleHeading) = await BannerAsync(Db.Factory); // 30 idle minutes, the warning 10 minutes before
        Assert.Contains(" hidden", idle);
        Assert.Contains("data-idle=\"true\"", idle);
        Assert.InRange(Attribute(idle, "data-ends-in"), (long)TimeSpan.FromMinutes(29.9).TotalMilliseconds, (long)TimeSpan.FromMinutes(30).TotalMilliseconds);
        Assert.Equal(Attribute(idle, "data-ends-in") - (long)TimeSpan.FromMinutes(10).TotalMilliseconds, Attribute(idle, "data-warn-in"));
        var idleEnd = GrantLedger.Core.Ledger.UkTime.Of(DateTimeOffset.UtcNow.AddMinutes(30));
        Assert.Contains(idleHeading, new[] { $"You will be signed out at {idleEnd:HH:mm}", $"You will be signed out at {idleEnd.AddMinutes(-1):HH:mm}" }); // UK time

        using var busy = Db.Factory.WithWebHostBuilder(b => b.UseSetting(CookieSessions.IdleMinutesSetting, "1440")); // the hours come first
        var (usual, heading) = await BannerAsync(busy); // 12 hours
        Assert.Contains("data-idle=\"false\"", usual);
        Assert.InRange(Attribute(usual, "data-ends-in"), (long)TimeSpan.FromHours(11.99).TotalMilliseconds, (long)TimeSpan.FromHours(12).TotalMilliseconds);
        var end = GrantLedger.Core.Ledger.UkTime.Of(signedIn.AddHours(12));
        Assert.Contains(heading, new[] { $"You will be signed out at {end:HH:mm}", $"You will be signed out at {end.AddMinutes(1):HH:mm}" }); // UK time

        using var soon = Db.Factory.WithWebHostBuilder(b => b.UseSetting(CookieSessions.HoursSetting, "0.1")); // 6 minutes: warned from the start
        var (warned, _) = await BannerAsync(soon);
        Assert.DoesNotContain(" hidden", warned);
        Assert.Contains("data-idle=\"false\"", warned);
        Assert.Equal(0, Attribute(warned, "data-warn-in"));
    }

    private static async Task ExpectSignedInAsync(HttpClient page)
    {
        using var dashboard = await page.GetAsync("/school");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
    }

    private static async Task ExpectSignedOutAsync(HttpClient page)
    {
        using var dashboard = await page.GetAsync("/school");
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
        var to = dashboard.Headers.Location!;
        Assert.StartsWith("/sign-in", to.IsAbsoluteUri ? to.PathAndQuery : to.OriginalString);
    }

    [Fact]
    public async Task ExpiredToken_AndDisabledUser_AreRefused()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var school = await s.SchoolUserAsync(Db);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        (await s.Root.PostAsync($"/api/v1/users/{school.UserId}/disable", null)).Expect(HttpStatusCode.OK);
        (await school.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
        (await s.Root.PostAsync($"/api/v1/users/{school.UserId}/enable", null)).Expect(HttpStatusCode.OK);
        (await school.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);

        // changed outside the service: refused once the database's notice reaches the token cache (TokenCacheTests)
        await Db.ScalarAsync("UPDATE api_token SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE user_id = $1 RETURNING 1", school.UserId);
        Assert.Contains("expired", (await school.RefusedWithinAsync(TimeSpan.FromSeconds(5))).Json["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateUser_ScopeMustFitTheRole_AndLieInTheAdminsProgramme()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var other = await Scenario.CreateAsync(Db, 1, 1, "op", s.Root);
        var admin = await s.ProgrammeAdminAsync(Db);
        var created = (await admin.PostAsync("/api/v1/users", new
        {
            userName = "Jo.Bloggs", displayName = "Jo Bloggs", password = "a-long-enough-password", role = "school_business_manager", schoolId = s.Schools[0].Id,
        })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("jo.bloggs", created["userName"]!.GetValue<string>());
        Assert.Equal(s.ProgrammeId, created["programmeId"]!.GetValue<long>());

        (await admin.PostAsync("/api/v1/users", new { userName = "lead", displayName = "Lead", password = "a-long-enough-password", role = "area_lead" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        (await admin.PostAsync("/api/v1/users", new { userName = "x", displayName = "X", password = "short", role = "auditor" }))
            .ExpectProblem(HttpStatusCode.Forbidden);
        (await admin.PostAsync("/api/v1/users", new { userName = "y", displayName = "Y", password = "a-long-enough-password", role = "area_lead", areaId = other.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.Forbidden);
        // a school or area of another programme than the one named is refused, naming it: the user was made in the school's
        // programme, not the one asked for, by an admin of every programme (and an admin of one was told it was not theirs)
        var root = s.Root;
        (await root.PostAsync("/api/v1/users", new { userName = "y2", displayName = "Y", password = "a-long-enough-password", role = "area_lead", programmeId = s.ProgrammeId, areaId = other.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        (await root.PostAsync("/api/v1/users", new { userName = "y3", displayName = "Y", password = "a-long-enough-password", role = "school_business_manager", programmeId = s.ProgrammeId, schoolId = other.Schools[0].Id }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "schoolId");
        (await admin.PostAsync("/api/v1/users", new { userName = "y4", displayName = "Y", password = "a-long-enough-password", role = "area_lead", programmeId = s.ProgrammeId, areaId = other.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        Assert.Contains("there is no area 999999", (await admin.PostAsync("/api/v1/users", new { userName = "y5", displayName = "Y", password = "a-long-enough-password", role = "area_lead", areaId = 999999 }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId").Body);
        (await admin.PostAsync("/api/v1/users", new { userName = "y6", displayName = "Y", password = "a-long-enough-password", role = "school_business_manager", schoolId = s.Schools[0].Id, areaId = 999999 }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        // a role above one area or school given one is refused naming it, not made with it kept nowhere
        (await admin.PostAsync("/api/v1/users", new { userName = "y7", displayName = "Y", password = "a-long-enough-password", role = "funder_finance", programmeId = s.ProgrammeId, schoolId = s.Schools[0].Id }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "schoolId");
        (await admin.PostAsync("/api/v1/users", new { userName = "y8", displayName = "Y", password = "a-long-enough-password", role = "programme_admin", programmeId = s.ProgrammeId, areaId = s.AreaIds[0] }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        (await root.PostAsync("/api/v1/users", new { userName = "y9", displayName = "Y", password = "a-long-enough-password", role = "auditor", schoolId = s.Schools[0].Id }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "schoolId");
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE user_name LIKE 'y%'"));
        (await admin.PostAsync("/api/v1/users", new { userName = "z", displayName = "Z", password = "short", role = "funder_finance", programmeId = s.ProgrammeId }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "password");
        (await admin.PostAsync("/api/v1/users", new { userName = "jo.bloggs", displayName = "Again", password = "a-long-enough-password", role = "funder_finance", programmeId = s.ProgrammeId }))
            .ExpectProblem(HttpStatusCode.Conflict, "userName");
        // an email address that is not one is refused, naming the field (it was kept as "notanemail"); none at all is fine
        foreach (var notOne in new[] { "notanemail", "jo@school", "Jo <jo@school.org.uk>", "jo bloggs@school.org.uk" })
            (await admin.PostAsync("/api/v1/users", new { userName = "e", displayName = "E", email = notOne, password = "a-long-enough-password", role = "funder_finance", programmeId = s.ProgrammeId }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "email");
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM app_user WHERE user_name = 'e'"));
        (await admin.PostAsync("/api/v1/users", new { userName = "e", displayName = "E", email = "e.bloggs@school.org.uk", password = "a-long-enough-password", role = "funder_finance", programmeId = s.ProgrammeId }))
            .Expect(HttpStatusCode.Created);
        var listed = (await admin.GetAsync("/api/v1/users")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.All(listed, u => Assert.Equal(s.ProgrammeId, u!["programmeId"]?.GetValue<long>()));
        (await (await s.FinanceAsync(Db)).GetAsync("/api/v1/users")).ExpectProblem(HttpStatusCode.Forbidden);
    }

    /// <summary>
    /// The users list, by user name, is read a page at a time when a client asks for one (limit, 1 to 5000; the next page after
    /// the last user name), and whole without a limit, as before: it had no paging.
    /// </summary>
    [Fact]
    public async Task TheUsersList_IsReadAPageAtATime_ByUserName_OrWhole()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        var admin = await s.ProgrammeAdminAsync(Db);
        await s.SchoolUserAsync(Db, 0);
        await s.FinanceAsync(Db);
        string[] Names(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(u => u!["userName"]!.GetValue<string>()).ToArray();
        var all = Names(await admin.GetAsync("/api/v1/users"));
        Assert.True(all.Length >= 3, string.Join(", ", all));
        var page = Names(await admin.GetAsync("/api/v1/users?limit=2"));
        Assert.Equal(all[..2], page);
        Assert.Equal(all[2..], Names(await admin.GetAsync($"/api/v1/users?limit={all.Length}&after={Uri.EscapeDataString(page[^1])}")));
        (await admin.GetAsync("/api/v1/users?limit=0")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    [Fact]
    public void EveryEndpoint_StatesWhoMayCallIt()
    {
        var actions = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.AspNetCore.Mvc.ControllerBase).IsAssignableFrom(t) && !t.IsAbstract)
            .SelectMany(t => t.GetMethods().Where(m => m.DeclaringType == t && m.IsPublic && !m.IsSpecialName)
                .Select(m => (Controller: t, Action: m)));
        var silent = actions.Where(a =>
            !a.Action.GetCustomAttributes(true).Concat(a.Controller.GetCustomAttributes(true))
                .Any(x => x is Microsoft.AspNetCore.Authorization.AuthorizeAttribute { Roles: not null } or Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute))
            .Select(a => $"{a.Controller.Name}.{a.Action.Name}").ToList();
        Assert.True(silent.Count == 0, "endpoints without [Authorize(Roles = …)] or [AllowAnonymous]: " + string.Join(", ", silent));
    }

    /// <summary>
    /// A list filtered by a programme, area or school the caller may not see answers 403, as reading its records does: it
    /// answered an empty list, which a script could not tell from "nothing there" (found in a review of the API). A filter
    /// of their own, or an id that is nobody's, lists as before.
    /// </summary>
    [Fact]
    public async Task AListFilteredByAProgrammeAreaOrSchoolOutOfScope_Is403_NotAnEmptyList()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.NewClaimAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other");
        var admin = w.Admin; // an admin of the world's programme alone
        (await admin.GetAsync($"/api/v1/claims?programmeId={other.ProgrammeId}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await admin.GetAsync($"/api/v1/action-plans?programmeId={other.ProgrammeId}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.GetAsync($"/api/v1/claims?schoolId={w.S.Schools[1].Id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.School.GetAsync($"/api/v1/programmes/{w.S.ProgrammeId}/accounts?schoolId={w.S.Schools[1].Id}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.GetAsync($"/api/v1/claims?areaId={w.S.AreaIds[1]}")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.Lead.GetAsync($"/api/v1/action-plans?areaId={w.S.AreaIds[1]}")).ExpectProblem(HttpStatusCode.Forbidden);

        Assert.Single((await w.School.GetAsync($"/api/v1/claims?schoolId={w.S.Schools[0].Id}")).Expect(HttpStatusCode.OK).Json.AsArray());
        Assert.Single((await admin.GetAsync($"/api/v1/claims?programmeId={w.S.ProgrammeId}&areaId={w.S.AreaIds[0]}")).Expect(HttpStatusCode.OK).Json.AsArray());
        Assert.Empty((await admin.GetAsync("/api/v1/claims?schoolId=999999")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    /// <summary>
    /// The pages' sign-in cookie reads the API (the export page polls its job with it) but writes nothing through it: an HTML
    /// form of any same-site page can send text/plain, form-encoded or multipart, and with the cookie alone had approved a
    /// claim in full as its lead and imported a school's lines, with no antiforgery token (found in a review of the pages).
    /// </summary>
    [Fact]
    public async Task ThePagesCookie_ReadsTheApi_ButWritesNothingThroughIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        using var lead = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Equal(HttpStatusCode.OK, (await lead.GetAsync($"/api/v1/claims/{id}")).StatusCode);
        foreach (var body in new HttpContent[]
                 {
                     new StringContent("", System.Text.Encoding.UTF8, "text/plain"),
                     new FormUrlEncodedContent([]),
                     new MultipartFormDataContent { { new StringContent("x"), "file", "lines.csv" } },
                 })
        {
            using var answer = await lead.PostAsync($"/api/v1/claims/{id}/approve", body);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        }
        using (var answer = await lead.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/evidence/1")))
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Equal("under-review", await Db.TextAsync("SELECT state FROM claim WHERE id = $1", id));
        // the same step with the lead's token is the lead's to take
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
    }
}

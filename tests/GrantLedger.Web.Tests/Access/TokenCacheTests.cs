using System.Diagnostics;
using System.Net;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Access;

/// <summary>The token cache (decision 0014): it saves each API request the token's look-up, and never outlives a change.</summary>
public sealed class TokenCacheTests(DatabaseFixture db) : DatabaseTest(db)
{
    private ApiTokenCache Cache => Db.Factory.Services.GetRequiredService<ApiTokenCache>();

    [Fact]
    public async Task A_token_revoked_or_a_user_disabled_outside_the_service_is_refused_promptly()
    {
        await ListeningAsync();
        var maria = await Db.UserAsync("maria", Roles.Auditor);
        var jo = await Db.UserAsync("jo", Roles.Auditor);
        foreach (var user in new[] { maria, jo, maria, jo }) (await user.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);

        // as a script or the admin command would, not through this service
        await Db.ScalarAsync("UPDATE api_token SET revoked_at = now() WHERE user_id = $1 RETURNING 1", maria.UserId);
        Assert.Contains("revoked", (await maria.RefusedWithinAsync(TimeSpan.FromSeconds(5))).Json["detail"]!.GetValue<string>());
        await Db.ScalarAsync("UPDATE app_user SET disabled_at = now() WHERE id = $1 RETURNING 1", jo.UserId);
        Assert.Contains("disabled", (await jo.RefusedWithinAsync(TimeSpan.FromSeconds(5))).Json["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_kept_token_is_used_only_while_the_databases_notices_are_heard()
    {
        await ListeningAsync();
        var maria = await Db.UserAsync("maria", Roles.Auditor);
        (await maria.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // its first use is recorded: a change, announced
        await HeardAllAsync();
        (await maria.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // looked up again, and kept
        try
        {
            // a revocation the database does not announce (its trigger turned off, as only a careless superuser could)
            await Db.DataSource.ExecuteAsync("ALTER TABLE api_token DISABLE TRIGGER api_token_changed");
            await Db.ScalarAsync("UPDATE api_token SET revoked_at = now() WHERE user_id = $1 RETURNING 1", maria.UserId);
            // the kept token still answers: the request did not look the token up
            (await maria.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
            // while notices cannot be heard, nothing kept is used: the token is looked up, and refused
            Cache.Listening = false;
            var refused = (await maria.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
            Assert.Contains("revoked", refused.Json["detail"]!.GetValue<string>());
        }
        finally
        {
            await Db.DataSource.ExecuteAsync("ALTER TABLE api_token ENABLE TRIGGER api_token_changed");
            Cache.Listening = true;
        }
    }

    [Fact]
    public async Task A_lost_listening_connection_is_opened_again_and_its_notices_are_heard()
    {
        await ListeningAsync();
        var before = await Db.ScalarAsync("SELECT pid FROM pg_stat_activity WHERE application_name LIKE '% access listener' AND datname = current_database()");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid = $1", before));

        var clock = Stopwatch.StartNew();
        long after;
        while ((after = await Db.ScalarAsync(
                   "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE application_name LIKE '% access listener' AND datname = current_database()")) is 0
               || after == before || !Cache.Listening)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the service did not listen again within 15 s");
            await Task.Delay(50);
        }
        await HeardAllAsync();

        var maria = await Db.UserAsync("maria", Roles.Auditor);
        (await maria.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("UPDATE api_token SET revoked_at = now() WHERE user_id = $1 RETURNING 1", maria.UserId);
        await maria.RefusedWithinAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_look_up_that_began_before_a_change_keeps_nothing()
    {
        var cache = new ApiTokenCache(new ConfigurationBuilder().Build()) { Listening = true };
        var hash = ApiTokens.Hash(ApiTokens.NewToken());
        var found = new FoundToken(1, DateTimeOffset.UtcNow.AddDays(1), null, DateTimeOffset.UtcNow, new AppUser { Id = 7, DisplayName = "Maria", Role = Roles.Auditor });

        var began = cache.Generation;
        cache.Heard("7"); // the change's notice, heard while the look-up ran
        cache.Keep(hash, found, began);
        Assert.False(cache.TryGet(hash, out _));

        cache.Keep(hash, found, cache.Generation);
        Assert.True(cache.TryGet(hash, out var kept));
        Assert.Same(found, kept);
        cache.Heard("8"); // someone else's change
        Assert.True(cache.TryGet(hash, out _));
        cache.Heard("*");
        Assert.False(cache.TryGet(hash, out _));

        cache.Keep(hash, found, cache.Generation);
        cache.Listening = false;
        Assert.False(cache.TryGet(hash, out _));
        cache.Keep(hash, found, cache.Generation);
        cache.Listening = true;
        Assert.False(cache.TryGet(hash, out _));
    }

    [Fact]
    public async Task A_kept_token_is_looked_up_again_after_its_lifetime()
    {
        var cache = new ApiTokenCache(Lifetime("0.05")) { Listening = true };
        var hash = ApiTokens.Hash(ApiTokens.NewToken());
        cache.Keep(hash, new FoundToken(1, DateTimeOffset.UtcNow.AddDays(1), null, null, new AppUser { Id = 7, DisplayName = "Maria", Role = Roles.Auditor }),
            cache.Generation);
        Assert.True(cache.TryGet(hash, out _));
        await Task.Delay(200);
        Assert.False(cache.TryGet(hash, out _));
    }

    [Fact]
    public void Without_a_lifetime_nothing_is_kept()
    {
        var cache = new ApiTokenCache(Lifetime("0")) { Listening = true };
        var hash = ApiTokens.Hash(ApiTokens.NewToken());
        cache.Keep(hash, new FoundToken(1, DateTimeOffset.UtcNow.AddDays(1), null, null, new AppUser { Id = 7, DisplayName = "Maria", Role = Roles.Auditor }), cache.Generation);
        Assert.False(cache.Enabled);
        Assert.False(cache.TryGet(hash, out _));
    }

    private static IConfiguration Lifetime(string seconds) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ApiTokenCache.LifetimeSetting] = seconds }).Build();

    private async Task ListeningAsync()
    {
        var clock = Stopwatch.StartNew();
        while (!Cache.Listening)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the service did not listen for changes within 15 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Every notice committed so far has been acted on: notices arrive in commit order, so once our own is, all are.</summary>
    private async Task HeardAllAsync()
    {
        var marker = -Random.Shared.NextInt64(1, long.MaxValue);
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnHeard(long? userId) { if (userId == marker) heard.TrySetResult(); }
        Cache.NoticeHeard += OnHeard;
        try
        {
            await Db.DataSource.ExecuteAsync($"NOTIFY {AccessChangeListener.Channel}, '{marker}'");
            await heard.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            Cache.NoticeHeard -= OnHeard;
        }
    }
}

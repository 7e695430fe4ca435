using System.Collections.Concurrent;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Access;

/// <summary>What the token handler read for a token: the token's own facts and its user's.</summary>
public sealed record FoundToken(long TokenId, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, AppUser User);

/// <summary>
/// The tokens this instance has looked up, kept for GrantLedger:Access:TokenCacheSeconds (default 30; 0 turns the cache
/// off) so that an API request does not wait for the token's look-up before its own work (decision 0014). Kept only
/// while <see cref="AccessChangeListener"/> hears the database's notices: every change to a token or a user (revoked,
/// disabled, locked, its role or scope, by the service or by anyone else) tells every instance at commit to forget that
/// user's tokens. While nobody listens (starting, the database gone), nothing is kept and every request looks its token up.
/// The clock's checks (expiry, lockout) are made on every request, cached or not.
/// </summary>
public sealed class ApiTokenCache
{
    public const string LifetimeSetting = "GrantLedger:Access:TokenCacheSeconds";

    private sealed record Entry(FoundToken Found, long Until);

    /// <summary>More tokens than this in use within half a minute, and the cache starts afresh rather than grow.</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> entries = new();
    private readonly long lifetimeTicks;
    private long generation; // moves on whenever what is kept may have gone stale: a look-up that began before keeps nothing
    private volatile bool listening;

    public ApiTokenCache(IConfiguration configuration) =>
        lifetimeTicks = (long)(Math.Max(0, configuration.GetValue<double?>(LifetimeSetting) ?? 30) * TimeSpan.TicksPerSecond);

    public bool Enabled => lifetimeTicks > 0;

    /// <summary>Whether the database's notices are heard (and so whether anything is kept).</summary>
    public bool Listening
    {
        get => listening;
        set
        {
            // going either way, forget: before, notices may have been missed; after, none will be heard
            if (!value) listening = false;
            Forget();
            if (value) listening = true;
        }
    }

    /// <summary>The count to give <see cref="Keep"/> for a look-up about to begin.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public bool TryGet(byte[] hash, out FoundToken? found)
    {
        found = null;
        var key = Key(hash);
        if (!listening || !entries.TryGetValue(key, out var entry)) return false;
        if (entry.Until <= Environment.TickCount64 * TimeSpan.TicksPerMillisecond)
        {
            entries.TryRemove(KeyValuePair.Create(key, entry)); // expired: the look-up that follows keeps it afresh
            return false;
        }
        found = entry.Found;
        return true;
    }

    /// <summary>Keeps what a look-up begun at <paramref name="generation"/> read, unless a change was heard since it began.</summary>
    public void Keep(byte[] hash, FoundToken found, long generation)
    {
        if (!Enabled || !listening || Generation != generation) return;
        if (entries.Count >= MaxEntries) entries.Clear(); // tokens used once and never again would otherwise stay
        var key = Key(hash);
        entries[key] = new Entry(found, Environment.TickCount64 * TimeSpan.TicksPerMillisecond + lifetimeTicks);
        // a change heard between the check above and the write: its sweep may have run before the write, so undo it
        if (Generation != generation) entries.TryRemove(key, out _);
    }

    /// <summary>A notice from the database: its payload is a user's id, or '*' for everyone (migration 0054).</summary>
    public void Heard(string payload)
    {
        long? userId = long.TryParse(payload, out var id) ? id : null;
        Forget(userId);
        NoticeHeard?.Invoke(userId);
    }

    /// <summary>Raised after each notice is acted on (tests use it to know that every earlier notice has been).</summary>
    public event Action<long?>? NoticeHeard;

    /// <summary>Forgets one user's tokens, or everything.</summary>
    public void Forget(long? userId = null)
    {
        Interlocked.Increment(ref generation);
        if (userId is null) entries.Clear();
        else
            foreach (var (key, entry) in entries)
                if (entry.Found.User.Id == userId)
                    entries.TryRemove(key, out _);
    }

    private static string Key(byte[] hash) => Convert.ToBase64String(hash);
}

/// <summary>
/// Listens for the database's notices of changes to tokens and users (migration 0054) on a connection of its own, outside
/// the pools (their connections are not reset when given back, so none of them may be left listening), and tells
/// <see cref="ApiTokenCache"/>. When the connection fails the cache stops keeping anything until listening again.
/// </summary>
public sealed class AccessChangeListener(IServiceProvider services, ApiTokenCache cache, ILogger<AccessChangeListener> log) : BackgroundService
{
    public const string Channel = "grantledger_access";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!cache.Enabled) return;
        // resolved now, not when constructed: the database endpoint is known only once StartUp has run
        var endpoint = services.GetRequiredService<DatabaseEndpoint>();
        var builder = new NpgsqlConnectionStringBuilder(endpoint.ConnectionString) { Pooling = false, KeepAlive = 10 };
        builder.ApplicationName = (string.IsNullOrEmpty(builder.ApplicationName) ? "GrantLedger" : builder.ApplicationName) + " access listener";
        var heard = true; // whether the last attempt listened: a failure is logged once, not every second of an outage
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(builder.ConnectionString);
                conn.Notification += (_, notice) => cache.Heard(notice.Payload);
                await conn.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(stoppingToken);
                cache.Listening = true;
                if (!heard) log.LogInformation("Hearing changes to tokens and users again: tokens are kept again");
                heard = true;
                while (true) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            // any failure, not only the database's: were this loop to end, the host would stop with it
            catch (Exception e)
            {
                if (heard) log.LogWarning(e, "Not hearing changes to tokens and users: every request looks its token up until listening again");
                else log.LogDebug(e, "Still not hearing changes to tokens and users");
                heard = false;
            }
            finally
            {
                cache.Listening = false;
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

using Npgsql;

namespace GrantLedger.Web.Infrastructure;

public sealed class GrantLedgerOptions
{
    /// <summary>Load the demo programmes, users and tokens (./run.sh does; nothing else does by default).</summary>
    public bool Demo { get; set; }

    /// <summary>Where the local PostgreSQL cluster and demo credentials live; defaults to .data at the repository root.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Port for the local cluster when it is first started (any free port otherwise).</summary>
    public int LocalPostgresPort { get; set; } = 5433;

    /// <summary>
    /// Sign-in attempts and token requests allowed per client address per minute, whether they succeed or not (then 429):
    /// what bounds the password hashing one address can ask for. Failures have their own, lower limit.
    /// </summary>
    public int SignInsPerMinute { get; set; } = 300;

    /// <summary>Failed sign-ins allowed per client address per minute; then every sign-in from it is refused (429) until the minute ends.</summary>
    public int FailedSignInsPerMinute { get; set; } = 20;

    /// <summary>The largest request body, in bytes, of endpoints that do not set their own (file uploads and imports do).</summary>
    public long MaxRequestBytes { get; set; } = Security.DefaultMaxRequestBytes;

    /// <summary>
    /// The reverse proxies in front of the service, comma-separated addresses or networks ("10.0.0.5,10.1.0.0/16"), whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed: the client's address then counts for the sign-in rate limit and
    /// goes into the audit trail, and https marks the cookies Secure. Empty (the default): no such header is believed.
    /// </summary>
    public string TrustedProxies { get; set; } = "";

    /// <summary>
    /// How long an export waits for the reports replica (ConnectionStrings:GrantLedgerReports) to replay what was committed
    /// before it was asked for; then it is read on the primary.
    /// </summary>
    public int ReportsReplicaWaitSeconds { get; set; } = 30;
}

/// <summary>
/// Where the database is: the configured connection string (ConnectionStrings:GrantLedger, or the
/// environment variable ConnectionStrings__GrantLedger), or else a local cluster started here.
/// Resolved once, at start-up, before anything touches the database.
/// </summary>
/// <remarks>
/// Two roles: the owner of the schema, which applies the migrations (ConnectionStrings:GrantLedgerOwner), and the role
/// the service works as (ConnectionStrings:GrantLedger), given only the rows' privileges after each start's migrations
/// (<see cref="ServiceRole"/>), so that the service cannot switch the ledger's triggers off. Without an owner's connection
/// string the one connection string does both, as a single-role deployment did before. The local cluster has both: the
/// migrations run as its superuser, the service as <see cref="ServiceRole.Local"/>.
/// </remarks>
public sealed class DatabaseEndpoint(IConfiguration configuration, GrantLedgerOptions options, ILogger<DatabaseEndpoint> log)
{
    /// <summary>The key of the data source background work uses (the sealer, the export runner's polling, the readiness check).</summary>
    public const string Background = "background";

    /// <summary>The connection string of the schema's owner, which applies the migrations (optional).</summary>
    public const string OwnerConnectionStringName = "GrantLedgerOwner";

    private string? _connectionString;
    private string? _ownerConnectionString;

    public LocalPostgres? LocalCluster { get; private set; }

    /// <summary>The role the service works as.</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("the database endpoint is resolved at start-up");

    /// <summary>The schema's owner, which applies the migrations: the service's own connection string when no owner's is configured.</summary>
    public string OwnerConnectionString => _ownerConnectionString ?? ConnectionString;

    public async Task ResolveAsync(CancellationToken ct = default)
    {
        if (_connectionString is not null) return;
        var configured = configuration.GetConnectionString("GrantLedger");
        var owner = configuration.GetConnectionString(OwnerConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _connectionString = configured;
            if (!string.IsNullOrWhiteSpace(owner)) _ownerConnectionString = owner;
            return;
        }
        if (!string.IsNullOrWhiteSpace(owner))
            throw new InvalidOperationException(
                $"ConnectionStrings:{OwnerConnectionStringName} is set but ConnectionStrings:GrantLedger is not: set both (the owner applies " +
                "the migrations, the service works as the other role), or neither for the local cluster.");

        var root = Path.Combine(DataDirectory(options), "postgres");
        log.LogInformation("No connection string configured: using the local PostgreSQL cluster in {Root}", root);
        LocalCluster = await LocalPostgres.StartAsync(root, preferredPort: options.LocalPostgresPort, ct: ct);
        await LocalCluster.CreateDatabaseIfMissingAsync("grantledger", ct);
        await LocalCluster.CreateLoginRoleIfMissingAsync(ServiceRole.Local, ct);
        _ownerConnectionString = LocalCluster.ConnectionString("grantledger");
        _connectionString = LocalCluster.ConnectionString("grantledger", ServiceRole.Local);
        log.LogInformation("Local PostgreSQL is listening on 127.0.0.1:{Port}", LocalCluster.Port);
    }

    /// <summary>
    /// Applies the migrations as the owner, then gives the service's role its privileges when it is another role; warns
    /// when the service's role could switch the ledger's triggers off.
    /// </summary>
    /// <returns>the names of the migrations applied now</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        var applied = await Migrator.ApplyAsync(OwnerConnectionString, ct: ct);
        var service = await ServiceRole.InspectAsync(ConnectionString, ct);
        if (_ownerConnectionString is not null && !service.Unguarded)
            await ServiceRole.GrantAsync(_ownerConnectionString, service.Name, ct);
        if (service.Unguarded)
            log.LogWarning(
                "The service connects to PostgreSQL as {Role}, which {What}: it could switch the ledger's triggers off. Give " +
                "ConnectionStrings:GrantLedger a role that owns nothing and ConnectionStrings:{Owner} the schema's owner " +
                "(docs/security.md, \"The role the service works as\").",
                service.Name, service.Superuser ? "is a superuser" : "owns the ledger's tables", OwnerConnectionStringName);
        return applied;
    }

    /// <summary>The configured folder, or .data beside GrantLedger.sln (found upwards from here), or ./.data.</summary>
    public static string DataDirectory(GrantLedgerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.DataDirectory)) return Path.GetFullPath(options.DataDirectory);
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return Path.Combine(dir.FullName, ".data");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return Path.Combine(dir.FullName, ".data");
        return Path.GetFullPath(".data");
    }

    /// <summary>
    /// The data source every part of GrantLedger uses. Error detail is included because the ledger's
    /// refusals carry their facts (account, shortfall) in it: without it a refusal could not say by how much.
    /// Statements a connection sends again and again (EF's queries, the ledger's inserts) are prepared
    /// automatically, once per physical connection, unless the connection string says otherwise: the
    /// server then skips parsing and planning them (a claim's submission sends about 20; docs/performance.md).
    /// A pooled connection is not reset when it is given back (No Reset On Close), unless the connection string
    /// says otherwise: the reset (SET SESSION AUTHORIZATION DEFAULT; RESET ALL; … DISCARD TEMP) was parsed and run
    /// before every API request's first statement, and nothing here leaves session state behind: settings are
    /// SET LOCAL, advisory locks are transaction-scoped (the migrator's session lock is taken on a connection of its
    /// own, outside this data source, and released in a finally), and no temporary tables, cursors or LISTENs are used (the
    /// token cache's listener has a connection of its own, outside the pools: AccessChangeListener).
    /// The pool follows the load within about 10 seconds (Connection Idle Lifetime 10, Connection Pruning Interval 1,
    /// unless the connection string says otherwise; Npgsql's defaults are 300 and 10): every second it counts its idle
    /// connections, and every 10 seconds it closes as many as were idle at the median count. Npgsql hands out idle
    /// connections first in, first out, so connections left over from a busier minute would take turns serving the
    /// requests, each on a server process whose caches the others had cooled: one client's submissions cost PostgreSQL
    /// about a tenth more CPU that way (docs/performance.md, section 9).
    /// </summary>
    /// <param name="background">for background work's pool: its connections' application name says "background"</param>
    /// <param name="logs">where Npgsql's own log goes (its "Npgsql" categories: connections opened and broken, cancellations)</param>
    public static NpgsqlDataSource CreateDataSource(string connectionString, bool background = false, ILoggerFactory? logs = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (logs is not null) builder.UseLoggerFactory(logs);
        // what pg_stat_activity shows an operator: "GrantLedger" (or the connection string's name), "… background"
        builder.ConnectionStringBuilder.ApplicationName =
            (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName) ? "GrantLedger" : builder.ConnectionStringBuilder.ApplicationName)
            + (background ? " background" : "");
        builder.ConnectionStringBuilder.IncludeErrorDetail = true;
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.ConnectionStringBuilder.MaxAutoPrepare = 100;
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (!connectionString.Contains("Idle Lifetime", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("Pruning Interval", StringComparison.OrdinalIgnoreCase))
            (builder.ConnectionStringBuilder.ConnectionIdleLifetime, builder.ConnectionStringBuilder.ConnectionPruningInterval) = (10, 1);
        // a thread for each of its connections, should they all wait on a frozen server's cancellation at once
        CancellationThreads.Reserve(background ? "background" : "requests", builder.ConnectionStringBuilder.MaxPoolSize);
        return builder.Build();
    }
}

using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Ledger;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GrantLedger.Web.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL cluster for the test run: created in a temporary folder, migrated
/// once, shared by every database test (one collection, so they run one at a time) and reset
/// with TRUNCATE before each test. Stopped and deleted when the run ends, whether tests passed or not.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"grantledger-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
    private LocalPostgres? _cluster;

    /// <summary>The cluster's superuser, which owns the schema: the migrations' and the tests' own (resets, tampering).</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The role the service under test works as (<see cref="ServiceRole.Local"/>): it owns nothing, as a deployment's should.</summary>
    public string ServiceConnectionString { get; private set; } = "";

    public LocalPostgres Cluster => _cluster!;
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await LocalPostgres.StartAsync(_root, throwaway: true);
        await _cluster.CreateDatabaseIfMissingAsync("grantledger_test");
        ConnectionString = _cluster.ConnectionString("grantledger_test");
        ServiceConnectionString = await _cluster.MigrateForTheServiceAsync("grantledger_test");
        DataSource = DatabaseEndpoint.CreateDataSource(ConnectionString);
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            // every request of every test works as a role that owns nothing, which is what shows the service needs no more
            b.UseSetting("ConnectionStrings:GrantLedger", ServiceConnectionString);
            b.UseSetting("ConnectionStrings:" + DatabaseEndpoint.OwnerConnectionStringName, ConnectionString);
            b.UseSetting("GrantLedger:Demo", "false");
            b.UseSetting("GrantLedger:DataDirectory", _root);
            b.UseSetting("GrantLedger:SignInsPerMinute", "100000"); // tests sign in far more often than people; SecurityTests set their own
            b.UseSetting("GrantLedger:FailedSignInsPerMinute", "100000"); // and try more wrong passwords
            b.UseSetting(GrantLedger.Web.Audit.Sealer.IntervalSetting, "0"); // tests seal when they choose (Sealing.SealAllAsync)
            b.UseSetting("GrantLedger:SubmissionPatienceMs", "60000"); // tests hold writers up when they choose (ClaimRulesTests)
            b.ConfigureLogging(l => l.AddProvider(new ServerErrors()));
        });
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Factory.DisposeAsync();
            await DataSource.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
        finally
        {
            if (_cluster is not null) await _cluster.StopAsync();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Empties every table but the migration journal and what migrations fill (the claim lifecycle, 0058; the audit trail's actions, 0075). The
    /// append-only guards refuse TRUNCATE, so this runs as a replication session, which does not fire them: only a superuser can.
    /// A service's background work left running by the test before (an export reading table after table in one snapshot)
    /// can deadlock with it; PostgreSQL then cancels one of the two, and when that is the reset it is tried again.</summary>
    public async Task ResetAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TruncateAsync();
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
                await Task.Delay(100 * attempt);
            }
        }
        Accounts.ForgetAll();
        // a replication session's TRUNCATE fires no trigger, so it announces nothing to the token cache (migration 0054)
        Factory.Services.GetRequiredService<ApiTokenCache>().Forget();
    }

    private async Task TruncateAsync()
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("""
            SET session_replication_role = replica;
            DO $$ BEGIN
              EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident(tablename), ', ') || ' RESTART IDENTITY CASCADE'
                       FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('schema_migration', 'claim_lifecycle', 'audit_action'));
            END $$;
            SET session_replication_role = origin;
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public async Task<GrantLedgerDb> NewDbAsync()
    {
        var scope = Factory.Services.CreateAsyncScope();
        return await Task.FromResult(scope.ServiceProvider.GetRequiredService<GrantLedgerDb>());
    }

    /// <summary>A user straight into the database (as the CLI's admin create does) and a client signed in with their token.</summary>
    public async Task<ApiClient> UserAsync(string userName, string role, long? programmeId = null, long? areaId = null, long? schoolId = null)
    {
        var (user, token) = await InScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var u = new AppUser
            {
                UserName = userName, DisplayName = userName, Role = role, ProgrammeId = programmeId, AreaId = areaId, SchoolId = schoolId,
                LockoutEnabled = true,
            };
            var result = await users.CreateAsync(u, Password);
            if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
            var (_, secret) = await ApiTokens.IssueAsync(sp.GetRequiredService<GrantLedgerDb>(), u.Id, "test", TimeSpan.FromDays(1));
            return (u, secret);
        });
        return new ApiClient(Factory.CreateClient(), token, user.Id, userName);
    }

    public const string Password = "correct-horse-battery";

    /// <summary>What a programme admin gives a user they make: a one-time password, which lets them only choose their own.</summary>
    public const string OneTimePassword = "one-time-password-from-the-admin";

    /// <summary>
    /// A user made as a programme admin makes one (POST /api/v1/users, with <see cref="OneTimePassword"/>) who has chosen
    /// their own password (<see cref="Password"/>, POST /api/v1/auth/password), and a client signed in with their token.
    /// </summary>
    public async Task<ApiClient> UserMadeByAsync(ApiClient admin, string userName, string role, long? programmeId = null, long? areaId = null,
        long? schoolId = null)
    {
        var id = (await admin.PostAsync("/api/v1/users", new { userName, displayName = userName, password = OneTimePassword, role, programmeId, areaId, schoolId }))
            .Expect(System.Net.HttpStatusCode.Created).Id;
        var anonymous = new ApiClient(Factory.CreateClient(), null, 0, "");
        (await anonymous.PostAsync("/api/v1/auth/password", new { userName, currentPassword = OneTimePassword, newPassword = Password }))
            .Expect(System.Net.HttpStatusCode.NoContent);
        var token = (await anonymous.PostAsync("/api/v1/auth/token", new { userName, password = Password })).Expect(System.Net.HttpStatusCode.Created)
            .Json["token"]!.GetValue<string>();
        return new ApiClient(Factory.CreateClient(), token, id, userName);
    }

    public Task<long> ScalarAsync(string sql, params object[] args) => DataSource.ScalarAsync(sql, args);

    public Task<string?> TextAsync(string sql, params object[] args) => DataSource.TextAsync(sql, args);

    /// <summary>Another database in the same cluster, migrated: for a test whose statistics must be its own.</summary>
    public async Task<NpgsqlDataSource> OwnDatabaseAsync(string name)
    {
        await Cluster.CreateDatabaseIfMissingAsync(name);
        var connectionString = Cluster.ConnectionString(name);
        await Migrator.ApplyAsync(connectionString);
        return DatabaseEndpoint.CreateDataSource(connectionString);
    }
}

public static class DataSourceScalars
{
    /// <summary>The first column of the first row as a whole number (an id, a count), the arguments as $1, $2, …</summary>
    public static async Task<long> ScalarAsync(this NpgsqlDataSource dataSource, string sql, params object[] args)
    {
        await using var cmd = Command(dataSource, sql, args);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>The first column of the first row as text (null for SQL NULL or no row), the arguments as $1, $2, …</summary>
    public static async Task<string?> TextAsync(this NpgsqlDataSource dataSource, string sql, params object[] args)
    {
        await using var cmd = Command(dataSource, sql, args);
        return await cmd.ExecuteScalarAsync() as string;
    }

    public static async Task ExecuteAsync(this NpgsqlDataSource dataSource, string sql, params object[] args)
    {
        await using var cmd = Command(dataSource, sql, args);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A change made as a superuser could make it, behind the database's guards: every trigger (the append-only ones among
    /// them) switched off for the session, on one connection. What the hash chains must then find out.
    /// </summary>
    public static async Task TamperAsync(this NpgsqlDataSource dataSource, string sql, params object[] args)
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        await using (var off = new NpgsqlCommand("SET session_replication_role = replica", conn)) await off.ExecuteNonQueryAsync();
        await using (var cmd = new NpgsqlCommand(sql, conn))
        {
            foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var on = new NpgsqlCommand("SET session_replication_role = origin", conn)) await on.ExecuteNonQueryAsync();
    }

    private static NpgsqlCommand Command(NpgsqlDataSource dataSource, string sql, object[] args)
    {
        var cmd = dataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return cmd;
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<DatabaseFixture>
{
    public const string Name = "database";
}

/// <summary>Base for database tests: each starts from empty tables.</summary>
[Collection(DatabaseCollection.Name)]
public abstract class DatabaseTest(DatabaseFixture db) : IAsyncLifetime
{
    protected DatabaseFixture Db { get; } = db;

    public virtual Task InitializeAsync() => Db.ResetAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;
}

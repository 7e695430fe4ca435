using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GrantLedger.Web.Tests.Infrastructure;

/// <summary>
/// The service works as a PostgreSQL role that owns nothing (decision 25), so that neither it nor anything holding its
/// connection string can switch the ledger's triggers off, drop a rule or empty a table. Every other test of this project
/// goes through such a role too (<see cref="DatabaseFixture.ServiceConnectionString"/>): that is what shows it needs no more.
/// </summary>
public sealed class ServiceRoleTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task TheServicesPools_WorkAsTheRoleThatOwnsNothing()
    {
        var pool = Db.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        await using var cmd = pool.CreateCommand("SELECT current_user::text");
        Assert.Equal(ServiceRole.Local, await cmd.ExecuteScalarAsync());
        var who = await ServiceRole.InspectAsync(Db.ServiceConnectionString);
        Assert.False(who.Superuser);
        Assert.False(who.OwnsLedger);
    }

    [Theory]
    [InlineData("ALTER TABLE transfer DISABLE TRIGGER USER")]
    [InlineData("ALTER TABLE transfer DISABLE TRIGGER transfer_immutable")]
    [InlineData("SET session_replication_role = replica")]
    [InlineData("DROP TRIGGER transfer_apply ON transfer")]
    [InlineData("ALTER TABLE account DROP CONSTRAINT account_pkey CASCADE")]
    [InlineData("ALTER TABLE transfer DROP COLUMN amount")]
    [InlineData("CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")]
    [InlineData("TRUNCATE journal_entry, transfer CASCADE")]
    [InlineData("TRUNCATE audit_event CASCADE")]
    [InlineData("DELETE FROM schema_migration")]
    [InlineData("INSERT INTO schema_migration (version, name, checksum) VALUES (9999, 'mine.sql', 'x')")]
    [InlineData("CREATE TABLE public.mine (id int)")]
    [InlineData("CREATE OR REPLACE VIEW audit.seal_status AS SELECT 1 AS ok")]
    public async Task AsTheServicesRole_AScript_CannotSwitchOffOrDropTheLedgersRules(string sql)
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => AsServiceAsync(sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        // nothing changed: every trigger of the ledger is still on, and the migrations' journal is whole
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'transfer'::regclass AND tgenabled = 'D'"));
        Assert.Equal(Migrator.Embedded().Count, await Db.ScalarAsync("SELECT count(*) FROM schema_migration"));
    }

    [Fact]
    public async Task AsTheServicesRole_TheLedgersRowsAreStillGuardedByItsTriggers()
    {
        await ClaimWorld.CreateAsync(Db); // a programme funded and allocated: entries and transfers to guard
        var before = await Db.TextAsync("SELECT string_agg(id || ':' || amount, ',' ORDER BY id) FROM transfer");
        var e = await Assert.ThrowsAsync<PostgresException>(() => AsServiceAsync("UPDATE transfer SET amount = amount + 100"));
        Assert.Equal("GL002", e.SqlState);
        e = await Assert.ThrowsAsync<PostgresException>(() => AsServiceAsync("DELETE FROM journal_entry"));
        Assert.Equal("GL002", e.SqlState);
        Assert.Equal(before, await Db.TextAsync("SELECT string_agg(id || ':' || amount, ',' ORDER BY id) FROM transfer"));
    }

    [Fact]
    public async Task Migrating_AsTheOwner_GivesTheServicesRoleTheRowsOfEveryTable_AndNoWarning()
    {
        // as docs/security.md tells a deployment: two roles, neither a superuser, the database the owner's
        const string role = "gl_fresh_service", ownerRole = "gl_fresh_owner";
        await Db.Cluster.CreateLoginRoleIfMissingAsync(role);
        await Db.Cluster.CreateLoginRoleIfMissingAsync(ownerRole);
        await using (var cluster = new NpgsqlConnection(Db.Cluster.ConnectionString()))
        {
            await cluster.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE service_role_fresh OWNER {ownerRole}", cluster);
            await create.ExecuteNonQueryAsync();
        }
        var owner = Db.Cluster.ConnectionString("service_role_fresh", ownerRole);
        var service = Db.Cluster.ConnectionString("service_role_fresh", role);
        var logged = new LogCapture();
        var endpoint = Endpoint(logged, ("GrantLedger", service), (DatabaseEndpoint.OwnerConnectionStringName, owner));
        await endpoint.ResolveAsync();

        Assert.Equal(Migrator.Embedded().Select(m => m.Name), await endpoint.MigrateAsync());
        Assert.Empty(await endpoint.MigrateAsync());

        await using var conn = new NpgsqlConnection(service);
        await conn.OpenAsync();
        // every table the migrations made can be read by the service, and what it writes it may write
        await using (var tables = new NpgsqlCommand("""
            SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
               AND NOT has_table_privilege(current_user, c.oid, 'SELECT')
            """, conn))
            Assert.Equal(0L, await tables.ExecuteScalarAsync());
        await using (var written = new NpgsqlCommand("""
            SELECT has_table_privilege(current_user, 'public.claim', 'INSERT, UPDATE, DELETE')
               AND has_sequence_privilege(current_user, 'public.journal_entry_id_seq', 'USAGE')
               AND NOT has_table_privilege(current_user, 'public.transfer', 'TRUNCATE')
               AND NOT has_table_privilege(current_user, 'public.schema_migration', 'INSERT')
               AND has_table_privilege(current_user, 'audit.seal_status', 'SELECT')
               AND has_function_privilege(current_user, 'audit.balances_as_of(bigint, date, timestamptz)', 'EXECUTE')
               AND NOT has_schema_privilege(current_user, 'audit', 'CREATE')
            """, conn))
            Assert.Equal(true, await written.ExecuteScalarAsync());
        Assert.DoesNotContain(logged.Entries, e => e.Level >= LogLevel.Warning);
        // a start that finds everything granted grants nothing (rewrites no catalog row); one that finds a grant gone restores it
        Assert.False(await ServiceRole.GrantAsync(owner, role));
        await using (var revoke = new NpgsqlConnection(owner))
        {
            await revoke.OpenAsync();
            await using var cmd = new NpgsqlCommand($"REVOKE SELECT ON claim FROM {role}", revoke);
            await cmd.ExecuteNonQueryAsync();
        }
        Assert.True(await ServiceRole.GrantAsync(owner, role));
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM claim", conn)) Assert.Equal(0L, await read.ExecuteScalarAsync());
    }

    /// <summary>Instances started together: each migrates and grants in turn (two GRANTs of one table at once would fail).</summary>
    [Fact]
    public async Task ThreeServicesStartedAtOnce_OnAFreshDatabase_EachMigratesAndGrants_WithoutAnError()
    {
        const string role = "gl_race_service";
        await Db.Cluster.CreateDatabaseIfMissingAsync("service_role_race");
        await Db.Cluster.CreateLoginRoleIfMissingAsync(role);
        var logged = new LogCapture();
        var starts = Enumerable.Range(0, 3).Select(async _ =>
        {
            var endpoint = Endpoint(logged, ("GrantLedger", Db.Cluster.ConnectionString("service_role_race", role)),
                (DatabaseEndpoint.OwnerConnectionStringName, Db.Cluster.ConnectionString("service_role_race")));
            await endpoint.ResolveAsync();
            return await endpoint.MigrateAsync();
        }).ToList();
        var applied = await Task.WhenAll(starts);
        Assert.Equal(Migrator.Embedded().Count, applied.Sum(a => a.Count));
        Assert.False((await ServiceRole.InspectAsync(Db.Cluster.ConnectionString("service_role_race", role))).Unguarded);
        Assert.False(await ServiceRole.GrantAsync(Db.Cluster.ConnectionString("service_role_race"), role));
        Assert.DoesNotContain(logged.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task AServiceConnectingAsASuperuser_IsWarnedThatItCouldSwitchTheTriggersOff()
    {
        var logged = new LogCapture();
        var endpoint = Endpoint(logged, ("GrantLedger", Db.ConnectionString));
        await endpoint.ResolveAsync();
        await endpoint.MigrateAsync();
        var warning = Assert.Single(logged.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("as postgres, which is a superuser: it could switch the ledger's triggers off", warning.Message);
        Assert.Contains("ConnectionStrings:GrantLedgerOwner", warning.Message);
    }

    [Fact]
    public async Task AnOwnersConnectionStringWithoutTheServices_StopsTheStartWithAClearMessage()
    {
        var endpoint = Endpoint(new LogCapture(), (DatabaseEndpoint.OwnerConnectionStringName, Db.ConnectionString));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => endpoint.ResolveAsync());
        Assert.Contains("ConnectionStrings:GrantLedgerOwner is set but ConnectionStrings:GrantLedger is not", e.Message);
    }

    /// <summary>What ./run.sh does with no connection string: a local cluster, migrated as its superuser, the service as a role that owns nothing.</summary>
    [Fact]
    public async Task TheLocalCluster_MigratesAsItsSuperuser_AndTheServiceWorksAsARoleThatOwnsNothing()
    {
        var root = Path.Combine(Path.GetTempPath(), $"grantledger-role-{Guid.NewGuid():N}"[..32]);
        var logged = new LogCapture();
        var endpoint = new DatabaseEndpoint(new ConfigurationBuilder().Build(),
            new GrantLedgerOptions { DataDirectory = root }, logged.For<DatabaseEndpoint>());
        try
        {
            await endpoint.ResolveAsync();
            await endpoint.MigrateAsync();
            Assert.Equal(ServiceRole.Local, new NpgsqlConnectionStringBuilder(endpoint.ConnectionString).Username);
            Assert.Equal("postgres", new NpgsqlConnectionStringBuilder(endpoint.OwnerConnectionString).Username);
            var who = await ServiceRole.InspectAsync(endpoint.ConnectionString);
            Assert.False(who.Unguarded);
            Assert.DoesNotContain(logged.Entries, e => e.Level >= LogLevel.Warning);
            await using var conn = new NpgsqlConnection(endpoint.ConnectionString);
            await conn.OpenAsync();
            await using var off = new NpgsqlCommand("ALTER TABLE journal_entry DISABLE TRIGGER USER", conn);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => off.ExecuteNonQueryAsync())).SqlState);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (endpoint.LocalCluster is { } cluster) await cluster.StopAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task AsServiceAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(Db.ServiceConnectionString + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static DatabaseEndpoint Endpoint(LogCapture logged, params (string Name, string Value)[] connectionStrings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(connectionStrings.Select(c =>
                new KeyValuePair<string, string?>("ConnectionStrings:" + c.Name, c.Value))).Build(),
            new GrantLedgerOptions(), logged.For<DatabaseEndpoint>());
}

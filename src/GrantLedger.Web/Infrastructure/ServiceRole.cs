using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// The PostgreSQL role the service works as, and what it is given. The ledger's rules are triggers and constraints, and
/// the owner of a table (or a superuser) can switch its triggers off (<c>ALTER TABLE … DISABLE TRIGGER</c>,
/// <c>session_replication_role</c>), drop a constraint, or <c>TRUNCATE</c>. A service that connects as a role that owns
/// nothing, with only the rows' privileges, cannot: nor can anything that gets hold of its connection string
/// (docs/decisions/0025-the-service-works-as-a-role-that-owns-nothing.md).
/// </summary>
public static class ServiceRole
{
    /// <summary>The role the service works as on the local cluster (./run.sh, no connection string); the tables are the <c>postgres</c> superuser's.</summary>
    public const string Local = "grantledger_service";

    /// <summary>Who a connection string connects as, and whether that role could switch the ledger's rules off.</summary>
    /// <param name="Superuser">a superuser: it may do anything, and its sessions may set <c>session_replication_role</c></param>
    /// <param name="OwnsLedger">it owns the ledger's tables (or is a member of their owner), so it may disable their triggers</param>
    public sealed record Who(string Name, bool Superuser, bool OwnsLedger)
    {
        /// <summary>It could switch the ledger's triggers off.</summary>
        public bool Unguarded => Superuser || OwnsLedger;
    }

    public static async Task<Who> InspectAsync(string connectionString, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        // before the first migration there is no transfer table: the role then owns nothing of the ledger yet
        await using var cmd = new NpgsqlCommand("""
            SELECT current_user::text, r.rolsuper,
                   COALESCE((SELECT pg_has_role(current_user, c.relowner, 'USAGE')
                               FROM pg_class c WHERE c.oid = to_regclass('public.transfer')), false)
              FROM pg_roles r WHERE r.rolname = current_user
            """, conn);
        await using var row = await cmd.ExecuteReaderAsync(ct);
        await row.ReadAsync(ct);
        return new Who(row.GetString(0), row.GetBoolean(1), row.GetBoolean(2));
    }

    /// <summary>
    /// Gives <paramref name="role"/> what the service needs and nothing more: the rows of every table of the public schema
    /// (read, insert, update, delete: the triggers decide which changes are taken), the migrations' journal to read only,
    /// the sequences, and the auditors' views (the <c>audit</c> schema, migration 0041) to read. No TRUNCATE, no REFERENCES,
    /// no TRIGGER; functions stay executable by everyone, as PostgreSQL makes them. Run by the owner after each start's
    /// migrations, so that tables a new migration adds are granted too; under the migrations' advisory lock, because two
    /// GRANTs of one table at once fail ("tuple concurrently updated") and instances may start together; and only when
    /// something is missing, so that a start that changes nothing rewrites no catalog row.
    /// </summary>
    /// <returns>whether anything was granted</returns>
    public static async Task<bool> GrantAsync(string ownerConnectionString, string role, CancellationToken ct = default)
    {
        var r = Statements.Identifier(role);
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var wait = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx) { Parameters = { new() { Value = Migrator.AdvisoryLockKey } } })
            await wait.ExecuteNonQueryAsync(ct);
        await using (var missing = new NpgsqlCommand("""
            SELECT NOT has_schema_privilege($1::name, 'public', 'USAGE')
                OR EXISTS (SELECT FROM pg_class c
                            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migration'
                              AND NOT (has_table_privilege($1::name, c.oid, 'SELECT') AND has_table_privilege($1::name, c.oid, 'INSERT')
                                       AND has_table_privilege($1::name, c.oid, 'UPDATE') AND has_table_privilege($1::name, c.oid, 'DELETE')))
                OR EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
                              AND NOT (has_sequence_privilege($1::name, c.oid, 'USAGE') AND has_sequence_privilege($1::name, c.oid, 'UPDATE')))
                OR NOT has_table_privilege($1::name, 'public.schema_migration', 'SELECT')
                OR has_table_privilege($1::name, 'public.schema_migration', 'INSERT, UPDATE, DELETE')
                OR NOT has_schema_privilege($1::name, 'audit', 'USAGE')
                OR EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = 'audit'::regnamespace AND c.relkind IN ('r', 'v')
                              AND NOT has_table_privilege($1::name, c.oid, 'SELECT'))
                OR EXISTS (SELECT FROM pg_proc f WHERE f.pronamespace = 'audit'::regnamespace AND NOT has_function_privilege($1::name, f.oid, 'EXECUTE'))
            """, conn, tx) { Parameters = { new() { Value = role } } })
            if (await missing.ExecuteScalarAsync(ct) is not true)
            {
                await tx.CommitAsync(ct);
                return false;
            }
        await using (var grant = new NpgsqlCommand($"""
            GRANT USAGE ON SCHEMA public TO {r};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r};
            REVOKE INSERT, UPDATE, DELETE ON schema_migration FROM {r};
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r};
            GRANT USAGE ON SCHEMA audit TO {r};
            GRANT SELECT ON ALL TABLES IN SCHEMA audit TO {r};
            GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA audit TO {r};
            """, conn, tx))
            await grant.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}

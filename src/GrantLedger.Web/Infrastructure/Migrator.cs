using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the file with line endings normalised, so a checkout on Windows matches.</summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.Replace("\r\n", "\n"))));
}

/// <summary>A migration file was edited after it was applied: start-up stops rather than guess.</summary>
public sealed class MigrationChanged(string message) : Exception(message);

/// <summary>
/// Applies the numbered SQL files of migrations/ (embedded in this assembly) in order, each in its
/// own transaction, recording each with its checksum in schema_migration. An advisory lock keeps
/// two instances starting together from racing.
/// </summary>
public static partial class Migrator
{
    /// <summary>The session-level advisory lock the migrations are applied under, and the service role's grants (<see cref="ServiceRole"/>).</summary>
    internal const long AdvisoryLockKey = 0x4752_414E_544C_4447; // "GRANTLDG"

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();

    public static IReadOnlyList<Migration> Embedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/")))
        {
            var file = resource["migrations/".Length..];
            var match = FileName().Match(file);
            if (!match.Success) throw new InvalidOperationException($"migration file name '{file}' is not NNNN_name.sql");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value), file, reader.ReadToEnd()));
        }
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"two migrations share number {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}");
        return migrations.OrderBy(m => m.Version).ToList();
    }

    /// <returns>the names of the migrations applied now (empty when the database was up to date)</returns>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, IReadOnlyList<Migration>? migrations = null,
        CancellationToken ct = default)
    {
        migrations ??= Embedded();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await ExecAsync(conn, "SELECT pg_advisory_lock($1)", ct, AdvisoryLockKey);
        try
        {
            await ExecAsync(conn, """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())
                """, ct);

            var applied = new Dictionary<int, (string Name, string Checksum)>();
            await using (var read = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migration", conn))
            await using (var rows = await read.ExecuteReaderAsync(ct))
                while (await rows.ReadAsync(ct)) applied[rows.GetInt32(0)] = (rows.GetString(1), rows.GetString(2));

            foreach (var m in migrations.Where(m => applied.ContainsKey(m.Version)))
            {
                var (name, checksum) = applied[m.Version];
                if (checksum != m.Checksum)
                    throw new MigrationChanged(
                        $"Migration {m.Name} was changed after it was applied to this database (applied as {name}, " +
                        $"checksum {checksum[..12]}…, file now {m.Checksum[..12]}…). Applied migrations must not change: " +
                        "restore the file and put the change in a new numbered migration.");
            }
            var unknown = applied.Keys.Except(migrations.Select(m => m.Version)).ToList();
            if (unknown.Count > 0)
                throw new MigrationChanged(
                    $"The database has migrations this build does not know ({string.Join(", ", unknown.Select(v => applied[v].Name))}): " +
                    "it was migrated by a newer version of GrantLedger.");

            var done = new List<string>();
            foreach (var m in migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var run = new NpgsqlCommand(m.Sql, conn, tx)) await run.ExecuteNonQueryAsync(ct);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)", conn, tx))
                {
                    record.Parameters.Add(new() { Value = m.Version });
                    record.Parameters.Add(new() { Value = m.Name });
                    record.Parameters.Add(new() { Value = m.Checksum });
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                done.Add(m.Name);
            }
            return done;
        }
        finally
        {
            await ExecAsync(conn, "SELECT pg_advisory_unlock($1)", CancellationToken.None, AdvisoryLockKey);
        }
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

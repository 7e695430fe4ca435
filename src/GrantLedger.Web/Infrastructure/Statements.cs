using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace GrantLedger.Web.Infrastructure;

/// <summary>Hand-written statements for an <see cref="NpgsqlBatch"/> (a claim transition's, docs/decisions/0013).</summary>
public static class Statements
{
    /// <summary>
    /// A statement with its parameters in order ($1, $2, …). A null is sent untyped: PostgreSQL takes its type from
    /// where the statement uses it (the column it is written to or compared with). A parameter made here (<see cref="Jsonb"/>)
    /// is sent as it is.
    /// </summary>
    public static NpgsqlBatchCommand Of(string sql, params object?[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var value in values) cmd.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        return cmd;
    }

    /// <summary>
    /// A name (a database's, a role's) written into a statement that takes no parameter for it (CREATE DATABASE, CREATE
    /// ROLE, GRANT): quoted as PostgreSQL reads a quoted identifier, its own quotes doubled.
    /// </summary>
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>
    /// A value for a jsonb column, serialized once to its text: the same jsonb as the value itself or a JsonDocument of it
    /// would store, without Npgsql serializing it again to learn its size (docs/performance.md, section 12).
    /// </summary>
    public static NpgsqlParameter Jsonb(object value, JsonSerializerOptions? options = null) =>
        new() { Value = JsonSerializer.Serialize(value, value.GetType(), options), NpgsqlDbType = NpgsqlDbType.Jsonb };
}

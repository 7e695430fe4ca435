using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>Hand-written statements for an <see cref="NpgsqlBatch"/> (a claim transition's, docs/decisions/0013).</summary>
public static class Statements
{
    /// <summary>
    /// A statement with its parameters in order ($1, $2, …). A null is sent untyped: PostgreSQL takes its type from
    /// where the statement uses it (the column it is written to or compared with).
    /// </summary>
    public static NpgsqlBatchCommand Of(string sql, params object?[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return cmd;
    }
}

using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Reads an entity's row by hand, with the columns EF's model maps: for statements sent in one
/// <see cref="NpgsqlBatch"/> with others (EF sends each query on its own round trip). The entities read
/// are not tracked. Only plain column properties are mapped (no value converters, no shadow properties):
/// the reader refuses an entity with either rather than read it wrong.
/// </summary>
public static class EntityRows
{
    private sealed record Shape(string[] Columns, int Count, Delegate Read);

    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    /// <summary>The entity's columns for a SELECT list, each prefixed with <paramref name="alias"/>.</summary>
    public static string Columns<T>(GrantLedgerDb db, string alias) =>
        string.Join(", ", ShapeOf<T>(db).Columns.Select(c => $"{alias}.{c}"));

    /// <summary>How many columns <see cref="Columns{T}"/> lists: where the next entity's begin in a joined row.</summary>
    public static int Count<T>(GrantLedgerDb db) => ShapeOf<T>(db).Count;

    /// <summary>The entity from the reader's current row, its columns starting at <paramref name="offset"/>.</summary>
    public static T Read<T>(GrantLedgerDb db, NpgsqlDataReader reader, int offset = 0) =>
        ((Func<NpgsqlDataReader, int, T>)ShapeOf<T>(db).Read)(reader, offset);

    private static Shape ShapeOf<T>(GrantLedgerDb db) => Shapes.GetOrAdd(typeof(T), _ => Build<T>(db.Model));

    private static Shape Build<T>(IModel model)
    {
        var entity = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model");
        var properties = entity.GetProperties().ToList();
        foreach (var p in properties)
        {
            if (p.PropertyInfo is null) throw new InvalidOperationException($"{typeof(T).Name}.{p.Name} is a shadow property");
            if (p.GetValueConverter() is not null) throw new InvalidOperationException($"{typeof(T).Name}.{p.Name} has a value converter");
        }

        // (reader, offset) => new T { P0 = reader.IsDBNull(offset + 0) ? default : reader.GetFieldValue<T0>(offset + 0), … }
        var reader = Expression.Parameter(typeof(NpgsqlDataReader), "reader");
        var offset = Expression.Parameter(typeof(int), "offset");
        var bindings = properties.Select((p, i) =>
        {
            var type = p.ClrType;
            var stored = Nullable.GetUnderlyingType(type) ?? type;
            var ordinal = Expression.Add(offset, Expression.Constant(i));
            Expression value = Expression.Call(reader, nameof(NpgsqlDataReader.GetFieldValue), [stored], ordinal);
            if (stored != type) value = Expression.Convert(value, type);
            if (p.IsNullable)
                value = Expression.Condition(Expression.Call(reader, nameof(NpgsqlDataReader.IsDBNull), null, ordinal), Expression.Default(type), value);
            return (MemberBinding)Expression.Bind(p.PropertyInfo!, value);
        });
        var body = Expression.MemberInit(Expression.New(typeof(T)), bindings);
        var read = Expression.Lambda<Func<NpgsqlDataReader, int, T>>(body, reader, offset).Compile();
        return new Shape(properties.Select(p => p.GetColumnName()).ToArray(), properties.Count, read);
    }
}

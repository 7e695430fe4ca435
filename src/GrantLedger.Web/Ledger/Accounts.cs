using System.Collections.Concurrent;
using GrantLedger.Core.Ledger;
using Npgsql;
using NpgsqlTypes;

namespace GrantLedger.Web.Ledger;

/// <summary>
/// Finds accounts by code, creating those the chart of accounts names but nobody has used yet.
/// Ids are cached: an account is never deleted and its code, unit and programme never change
/// (the database refuses it). Only rows committed by another transaction are cached: one this
/// transaction created could still be rolled back.
/// </summary>
public static class Accounts
{
    private static readonly ConcurrentDictionary<(long Programme, string Unit, string Code), long> Ids = new();

    public static async Task<long> EnsureAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId,
        AccountSpec spec, CancellationToken ct = default) =>
        (await EnsureAsync(conn, tx, programmeId, [spec], ct))[spec];

    /// <returns>the accounts' ids, by spec (or by code where only one unit uses it)</returns>
    public static async Task<AccountIds> EnsureAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        long programmeId, IReadOnlyCollection<AccountSpec> specs, CancellationToken ct = default)
    {
        var result = new AccountIds();
        var missing = new List<AccountSpec>();
        foreach (var spec in specs.DistinctBy(s => (s.Code, s.Unit)))
        {
            if (Ids.TryGetValue((programmeId, spec.Unit.ToCode(), spec.Code), out var id)) result.Set(spec.Unit.ToCode(), spec.Code, id);
            else missing.Add(spec);
        }
        if (missing.Count == 0) return result;

        // One look-up per account finds those that exist (reading them back as they are found); the rest are inserted.
        // This used to look each account up twice, before the insert and again after it: 0.3-0.5 s more for a year's
        // first allocation (docs/performance.md, bulk). ON CONFLICT only matters when another transaction inserts the
        // same account meanwhile; that one is read again below.
        await using var cmd = new NpgsqlCommand("""
            WITH spec AS (
                SELECT s.*, a.id, a.programme_id, (a.xmin = pg_current_xact_id_if_assigned()::xid) IS TRUE AS ours
                  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[])
                       AS s(unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id)
                  LEFT JOIN account a ON a.unit = s.unit AND a.code = s.code
            ), inserted AS (
                INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id)
                SELECT $1, unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id FROM spec
                 WHERE id IS NULL
                ON CONFLICT (unit, code) DO NOTHING
                RETURNING id, unit, code, programme_id
            )
            SELECT id, unit, code, programme_id, true AS ours FROM inserted
            UNION ALL
            SELECT id, unit, code, programme_id, ours FROM spec WHERE id IS NOT NULL
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = programmeId });
        cmd.Parameters.Add(new() { Value = missing.Select(s => s.Unit.ToCode()).ToArray() });
        cmd.Parameters.Add(new() { Value = missing.Select(s => s.Code).ToArray() });
        cmd.Parameters.Add(new() { Value = missing.Select(s => s.Name).ToArray() });
        cmd.Parameters.Add(new() { Value = missing.Select(s => s.Side.ToCode()).ToArray() });
        cmd.Parameters.Add(new() { Value = missing.Select(s => s.Limit.ToCode()).ToArray() });
        cmd.Parameters.Add(Ids8(missing.Select(s => s.YearId)));
        cmd.Parameters.Add(Ids8(missing.Select(s => s.SchoolId)));
        cmd.Parameters.Add(Ids8(missing.Select(s => s.CategoryId)));
        await using (var rows = await cmd.ExecuteReaderAsync(ct))
        {
            while (await rows.ReadAsync(ct))
            {
                var (id, unit, code, owner, ours) = (rows.GetInt64(0), rows.GetString(1), rows.GetString(2), rows.GetInt64(3), rows.GetBoolean(4));
                if (owner != programmeId)
                    throw new InvalidOperationException($"account {code} belongs to another programme");
                result.Set(unit, code, id);
                if (!ours || tx is null) Ids[(programmeId, unit, code)] = id;
            }
        }

        // An account a concurrent transaction created and committed while this statement waited on it
        // is not in this statement's snapshot: read it again, in a new statement.
        var late = missing.Where(m => !result.Has(m)).ToList();
        if (late.Count > 0)
        {
            await using var again = new NpgsqlCommand("SELECT id, unit, code FROM account WHERE (unit, code) IN (SELECT * FROM unnest($1::text[], $2::text[]))", conn, tx);
            again.Parameters.Add(new() { Value = late.Select(s => s.Unit.ToCode()).ToArray() });
            again.Parameters.Add(new() { Value = late.Select(s => s.Code).ToArray() });
            await using var rows = await again.ExecuteReaderAsync(ct);
            while (await rows.ReadAsync(ct)) result.Set(rows.GetString(1), rows.GetString(2), rows.GetInt64(0));
        }
        return result;
    }

    /// <summary>Forgets every cached id (tests that reset the database call this).</summary>
    public static void ForgetAll() => Ids.Clear();

    // long?[] rather than object[] of boxed ids and DBNull: Npgsql writes an object[] one element at a time through
    // its late-bound converter, which for a year's first allocation (3 x 96,000 ids) cost about a second.
    private static NpgsqlParameter Ids8(IEnumerable<long?> ids) =>
        new() { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };
}

/// <summary>
/// Account ids by (unit, code). Money and minutes share some codes (a year's funding, unallocated,
/// lapsed …), so the code alone finds an id only where one unit uses it.
/// </summary>
public sealed class AccountIds
{
    private readonly Dictionary<(string Unit, string Code), long> _ids = new();

    public long this[AccountSpec spec] => _ids[(spec.Unit.ToCode(), spec.Code)];

    public long this[string code]
    {
        get
        {
            var matches = _ids.Where(x => x.Key.Code == code).Select(x => x.Value).Take(2).ToList();
            return matches.Count switch
            {
                1 => matches[0],
                0 => throw new KeyNotFoundException($"no account {code}"),
                _ => throw new InvalidOperationException($"account {code} exists in more than one unit: look it up by its spec"),
            };
        }
    }

    internal bool Has(AccountSpec spec) => _ids.ContainsKey((spec.Unit.ToCode(), spec.Code));
    internal void Set(string unit, string code, long id) => _ids[(unit, code)] = id;
}

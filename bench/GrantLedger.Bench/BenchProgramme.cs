namespace GrantLedger.Bench;

/// <summary>
/// A programme for the posting benchmark, written with bulk SQL: one year, one area, schools each
/// with an 'available' and a 'payable' staff-cover account (both limited, as the chart defines them),
/// funded and allocated through journal entries, then some history of transfers between them.
/// Account ids are contiguous, so a transfer for school s is available0 + s → payable0 + s on both
/// sides of the benchmark.
/// </summary>
public sealed record BenchProgramme(long ProgrammeId, DateOnly ValueDate, int Schools, long Available0, long Payable0)
{
    public static async Task<BenchProgramme> SeedAsync(BenchCluster db, int schools, int historyEntries, string code = "bench")
    {
        var programmeId = (long)(await db.Scalar(
            "INSERT INTO programme (code, name, funder, area_kind) VALUES ($1, 'Benchmark programme', 'Bench funder', 'icb') RETURNING id", code))!;
        var yearId = (long)(await db.Scalar(
            "INSERT INTO programme_year (programme_id, code, starts_on, ends_on) VALUES ($1, '2026-27', '2026-09-01', '2027-08-31') RETURNING id",
            programmeId))!;
        var areaId = (long)(await db.Scalar("INSERT INTO area (programme_id, code, name) VALUES ($1, 'bench-icb', 'Bench ICB') RETURNING id", programmeId))!;
        await db.Exec("""
            INSERT INTO school (programme_id, urn, name, phase, area_id, payee_reference)
            SELECT $1, (100000 + g)::text, 'Bench School ' || g, 'Primary', $2, 'SUP-' || g FROM generate_series(1, $3) g ORDER BY g
            """, programmeId, areaId, schools);
        var categoryId = (long)(await db.Scalar(
            "INSERT INTO budget_category (programme_id, code, name, unit, kind) VALUES ($1, 'staff-cover', 'Staff cover', 'GBP', 'staff-cover') RETURNING id",
            programmeId))!;
        await db.Exec("""
            INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id)
            VALUES ($1, 'GBP', $3 || ':2026-27:funding', 'Funding', 'debit', 'none', $2),
                   ($1, 'GBP', $3 || ':2026-27:unallocated', 'Unallocated', 'credit', 'debits_within_credits', $2)
            """, programmeId, yearId, code);
        foreach (var purpose in new[] { "available", "payable" })
            await db.Exec("""
                INSERT INTO account (programme_id, unit, code, name, normal_side, limit_kind, programme_year_id, school_id, category_id)
                SELECT $1, 'GBP', $4 || ':2026-27:school:' || s.urn || ':staff-cover:' || $5, s.name || ' staff cover ' || $5,
                       'credit', 'debits_within_credits', $2, s.id, $3
                  FROM school s WHERE s.programme_id = $1 ORDER BY s.id
                """, programmeId, yearId, categoryId, code, purpose);
        var available0 = (long)(await db.Scalar($"SELECT min(id) - 1 FROM account WHERE programme_id = $1 AND code LIKE '%:available'", programmeId))!;
        var payable0 = (long)(await db.Scalar($"SELECT min(id) - 1 FROM account WHERE programme_id = $1 AND code LIKE '%:payable'", programmeId))!;
        var misplaced = (long)(await db.Scalar("""
            SELECT count(*)
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM school WHERE programme_id = $1) s
              LEFT JOIN account a ON a.id = $2 + s.rn AND a.school_id = s.id AND a.code LIKE '%:available'
              LEFT JOIN account b ON b.id = $3 + s.rn AND b.school_id = s.id AND b.code LIKE '%:payable'
             WHERE a.id IS NULL OR b.id IS NULL
            """, programmeId, available0, payable0))!;
        if (misplaced != 0) throw new InvalidOperationException($"{misplaced} schools' accounts are not where the benchmark expects them");

        // dated today, as the service dates a claim's holds: a raw-SQL ceiling dated before what the service posted on the same
        // accounts would be dated back, and PostgreSQL would read the days since on every entry (migration 0069)
        var p = new BenchProgramme(programmeId, GrantLedger.Core.Ledger.UkTime.Today, schools, available0, payable0);
        // Funding and allocation: £10m into each school's available account.
        const long each = 10_000_000_00;
        await FundAsync(db, programmeId, "2026-09-01", code + ":2026-27:funding", code + ":2026-27:unallocated", each * schools);
        await db.Exec("""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ($1, '2026-09-01', 'Bench allocation', 'allocation') RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', u.id, a.id, $2, 'posted', e.value_date, e.recorded_at
              FROM e, account u, account a
             WHERE u.programme_id = $1 AND u.code LIKE '%:unallocated' AND a.programme_id = $1 AND a.code LIKE '%:available'
            """, programmeId, each);
        await p.SeedHistoryAsync(db, historyEntries);
        await db.Exec("ANALYZE");
        return p;
    }

    /// <summary>
    /// <paramref name="total"/> pence of funding posted from a year's funding account to its unallocated account, as one entry
    /// of as many transfers as the ledger's most a transfer may move (£10bn, migration 0084) needs: £10m a school for 24,000
    /// schools is £240bn.
    /// </summary>
    public static Task FundAsync(BenchCluster db, long programmeId, string valueDate, string fundingCode, string unallocatedCode, long total) =>
        db.Exec("""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ($1, $2::date, 'Bench funding', 'funding') RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', f.id, u.id, least($5::bigint, $6::bigint - (g - 1) * $5::bigint), 'posted', e.value_date, e.recorded_at
              FROM e, account f, account u, generate_series(1, ($6::bigint + $5::bigint - 1) / $5::bigint) g
             WHERE f.programme_id = $1 AND f.code = $3 AND u.programme_id = $1 AND u.code = $4
             ORDER BY g
            """, programmeId, valueDate, fundingCode, unallocatedCode, GrantLedger.Core.Money.Hundredths.Most, total);

    /// <summary>History: one-transfer entries available → payable for random schools, in batches.</summary>
    public async Task SeedHistoryAsync(BenchCluster db, int entries)
    {
        for (var done = 0; done < entries; done += 50_000)
            await db.Exec("""
                WITH e AS (
                    INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                    SELECT $1, DATE '2026-09-01' + (g % 90), 'Seeded history', 'claim' FROM generate_series(1, $2) g
                    RETURNING id, programme_id, value_date, recorded_at)
                INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
                SELECT x.id, x.programme_id, 'GBP', $3 + x.s, $4 + x.s, x.amount, 'posted', x.value_date, x.recorded_at
                  FROM (SELECT e.*, 1 + floor(random() * $5)::bigint AS s, 1 + floor(random() * 5000)::bigint AS amount FROM e) x
                """, ProgrammeId, Math.Min(50_000, entries - done), Available0, Payable0, (long)Schools);
    }
}

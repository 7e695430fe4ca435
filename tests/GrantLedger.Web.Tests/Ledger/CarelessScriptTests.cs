using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>
/// What a careless script with plain SQL could rewrite around the ledger, found by a review acting as one (7 December):
/// PostgreSQL refuses each (migrations 0084 and 0085), as the service never writes it. The payment runs' are in
/// PaymentRunTests.Script.cs.
/// </summary>
public sealed partial class CarelessScriptTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<Npgsql.PostgresException> RefusedAsync(string sql, params object[] args) =>
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.DataSource.ExecuteAsync(sql, args));

    /// <summary>
    /// A database of its own, migrated up to migration <paramref name="version"/> (not that one), with a programme (1), an
    /// area, a school and its business manager (user 1), a year and its first half-term: for a test of what a migration
    /// does with the rows a script had left before it. Each test has a database of its own, named by its own name's hash.
    /// </summary>
    private async Task<Npgsql.NpgsqlDataSource> BeforeMigrationAsync(int version, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var name = $"before_{version:D4}_{test.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u):x8}"; // FNV-1a: stable from run to run
        await Db.Cluster.CreateDatabaseIfMissingAsync(name);
        var data = GrantLedger.Web.Infrastructure.DatabaseEndpoint.CreateDataSource(Db.Cluster.ConnectionString(name));
        await GrantLedger.Web.Infrastructure.Migrator.ApplyAsync(data.ConnectionString!,
            GrantLedger.Web.Infrastructure.Migrator.Embedded().Where(m => m.Version < version).ToList());
        await data.ExecuteAsync("""
            INSERT INTO programme (code, name, funder) VALUES ('dm', 'Difference Matters', 'Funder');
            INSERT INTO area (programme_id, code, name) VALUES (1, 'a', 'A');
            INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES (1, '100001', 'Alpha', 'Secondary', 1);
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id)
            VALUES ('sbm', 'SBM', 'School business manager', 'school_business_manager', 1, 1);
            INSERT INTO programme_year (programme_id, code, starts_on, ends_on) VALUES (1, '2026-27', '2026-09-01', '2027-08-31');
            INSERT INTO period (programme_year_id, code, name, starts_on, ends_on) VALUES (1, 'aut1', 'Autumn 1', '2026-09-01', '2026-10-23');
            """);
        return data;
    }

    /// <summary>Runs migration <paramref name="version"/>'s SQL alone on <paramref name="data"/>, and returns the notices it raised (its WARNINGs).</summary>
    private static async Task<List<string>> MigrationWarningsAsync(Npgsql.NpgsqlDataSource data, int version)
    {
        var warnings = new List<string>();
        await using var migrating = GrantLedger.Web.Infrastructure.DatabaseEndpoint.CreateDataSource(data.ConnectionString!);
        await using var conn = await migrating.OpenConnectionAsync();
        conn.Notice += (_, e) => warnings.Add(e.Notice.MessageText);
        await using var cmd = new Npgsql.NpgsqlCommand(GrantLedger.Web.Infrastructure.Migrator.Embedded().Single(m => m.Version == version).Sql, conn);
        await cmd.ExecuteNonQueryAsync();
        return warnings;
    }

    /// <summary>
    /// A closed half-term or year keeps its dates, a school its programme, and a funding, allocation or virement stays as the
    /// entry naming it was posted: with a closed half-term's end moved earlier, an entry dated in it had been taken.
    /// </summary>
    [Fact]
    public async Task ClosedDates_ASchoolsProgramme_AndTheRecordsEntriesName_AreKeptWhateverWritesThem()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods["aut1"]}/close", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("GL003", (await RefusedAsync("UPDATE period SET ends_on = ends_on - 14 WHERE id = $1", w.Periods["aut1"])).SqlState);
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other");
        Assert.Contains("it stays one", (await RefusedAsync("UPDATE school SET programme_id = $1 WHERE id = $2", other.ProgrammeId, w.S.Schools[0].Id)).MessageText);
        foreach (var sql in new[] { "UPDATE funding SET amount = 1", "DELETE FROM funding", "UPDATE allocation SET description = 'edited'", "DELETE FROM allocation" })
            Assert.Equal("GL002", (await RefusedAsync(sql)).SqlState);
        Assert.Equal("transfer_amount_at_most", (await RefusedAsync("""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                       VALUES ($1, '2026-07-01', 'from nowhere', 'funding') RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT e.id, e.programme_id, 'GBP', f.id, u.id, 9000000000000000000, 'posted', e.value_date, e.recorded_at
              FROM e, account f, account u
             WHERE f.programme_id = e.programme_id AND f.code LIKE '%:funding' AND f.unit = 'GBP'
               AND u.programme_id = e.programme_id AND u.code LIKE '%:unallocated' AND u.unit = 'GBP'
            """, w.S.ProgrammeId)).ConstraintName);
    }

    /// <summary>
    /// An account and a claim lie within one programme, their school, year, category and half-term its own: a script had made
    /// a programme's account for another programme's school and allocated to it, and moved a draft to another programme's school.
    /// </summary>
    [Fact]
    public async Task AnAccountOrAClaim_OfAnotherProgrammesSchoolYearOrHalfTerm_IsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var draft = await w.NewClaimAsync();
        var other = await Scenario.CreateAsync(Db, 1, 1, code: "other");
        var otherPeriod = await Db.ScalarAsync("SELECT id FROM period WHERE programme_year_id = $1 AND code = 'aut1'", other.YearId);
        foreach (var (sql, constraint) in new (string, string)[]
                 {
                     ($"UPDATE claim SET school_id = {other.Schools[0].Id} WHERE id = {draft}", "claim_school_of_its_programme"),
                     ($"UPDATE claim SET period_id = {otherPeriod} WHERE id = {draft}", "claim_half_term_of_its_year"),
                     ($"INSERT INTO account (programme_id, unit, code, name, normal_side, school_id) VALUES ({w.S.ProgrammeId}, 'GBP', 'tp:x:school:{other.Schools[0].Urn}', 'x', 'credit', {other.Schools[0].Id})",
                         "account_school_of_its_programme"),
                     ($"INSERT INTO account (programme_id, unit, code, name, normal_side, programme_year_id) VALUES ({w.S.ProgrammeId}, 'GBP', 'tp:x:year', 'x', 'credit', {other.YearId})",
                         "account_year_of_its_programme"),
                 })
            Assert.Equal(constraint, (await RefusedAsync(sql)).ConstraintName);
        Assert.Equal(w.S.Schools[0].Id, await Db.ScalarAsync("SELECT school_id FROM claim WHERE id = $1", draft));
    }
}

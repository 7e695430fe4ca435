using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Tests.Support;
using Npgsql;
using static GrantLedger.Web.Tests.Ledger.LedgerHarness;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>The invariants PostgreSQL itself enforces, whoever writes: tried with direct SQL as well as through the service.</summary>
public sealed class LedgerDatabaseTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<PostgresException> RefusedAsync(string sql)
    {
        await using var cmd = Db.DataSource.CreateCommand(sql);
        return await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task DirectUpdateOrDeleteOfAPostedEntry_IsRefusedByTheDatabase()
    {
        var h = await CreateAsync(Db);
        var posted = await h.PostAsync(Move(h.Funding, h.Unallocated, 1000));
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE transfer SET amount = 1 WHERE id = {posted.TransferIds[0]}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"DELETE FROM transfer WHERE id = {posted.TransferIds[0]}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE journal_entry SET description = 'edited' WHERE id = {posted.EntryId}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"DELETE FROM journal_entry WHERE id = {posted.EntryId}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync("TRUNCATE transfer CASCADE")).SqlState);
        Assert.Equal(1000, (await h.BalanceAsync(h.Unallocated)).CreditsPosted);
    }

    [Fact]
    public async Task DirectUpdateOfAnAccountBalance_IsRefused_AndAccountsCannotBeDeleted()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000));
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE account SET credits_posted = 999999 WHERE id = {h.Unallocated}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE account SET limit_kind = 'none' WHERE id = {h.Unallocated}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"DELETE FROM account WHERE id = {h.Available[0]}")).SqlState);
    }

    [Fact]
    public async Task RawSqlTransferBeyondALimit_IsRefusedByTheDatabase()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100));
        var e = await RefusedAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({h.ProgrammeId}, '2026-10-01', 'script', 'allocation')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {h.Unallocated}, {h.Available[0]}, 101, 'posted', value_date, recorded_at FROM e
            """);
        Assert.Equal("GL001", e.SqlState);
        Assert.Equal(0, (await h.BalanceAsync(h.Unallocated)).DebitsPosted);
    }

    [Fact]
    public async Task Entry_WithoutTransfers_OrMixingProgrammes_IsRefused()
    {
        var h = await CreateAsync(Db);
        Assert.Equal("GL005", (await RefusedAsync($"INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({h.ProgrammeId}, '2026-10-01', 'empty', 'allocation')")).SqlState);
        var other = await Db.ScalarAsync("INSERT INTO programme (code, name, funder) VALUES ('other', 'Other', 'F') RETURNING id");
        var e = await RefusedAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({other}, '2026-10-01', 'x', 'allocation')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', {h.Funding}, {h.Unallocated}, 1, 'posted', value_date, recorded_at FROM e
            """);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
    }

    // The entry and account keys on transfer are checked by the ledger trigger for the whole
    // statement (migration 0044), no longer by per-row foreign keys: a script still cannot get past them.
    private string RawTransfer(LedgerHarness h, long debit, long credit, long amount, string valueDate = "value_date") => $"""
        WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({h.ProgrammeId}, '2026-10-01', 'script', 'allocation')
                   RETURNING id, programme_id, value_date, recorded_at)
        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
        SELECT id, programme_id, 'GBP', {debit}, {credit}, {amount}, 'posted', {valueDate}, recorded_at FROM e
        """;

    [Fact]
    public async Task RawSqlTransfer_ToAnAccountThatDoesNotExist_IsRefusedAsAForeignKeyViolation()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100));
        var e = await RefusedAsync(RawTransfer(h, h.Unallocated, 999_999_999, 1));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
        Assert.Equal(0, (await h.BalanceAsync(h.Unallocated)).DebitsPosted);
    }

    [Fact]
    public async Task RawSqlTransfer_InAnotherUnitThanItsAccounts_IsRefusedAsAForeignKeyViolation()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100));
        var e = await RefusedAsync(RawTransfer(h, h.Unallocated, h.Available[0], 1).Replace("'GBP'", "'MIN'"));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
    }

    [Fact]
    public async Task RawSqlTransfer_DatedOtherwiseThanItsEntry_IsRefusedAsAForeignKeyViolation()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100));
        var e = await RefusedAsync(RawTransfer(h, h.Unallocated, h.Available[0], 1, "value_date + 1"));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
    }

    [Fact]
    public async Task RawSqlTransfers_OneOfManyOverdrawing_RefusesTheWholeStatement()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100), Move(h.Unallocated, h.Available[0], 50));
        var e = await RefusedAsync($"""
            WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES ({h.ProgrammeId}, '2026-10-01', 'script', 'allocation')
                       RETURNING id, programme_id, value_date, recorded_at)
            INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
            SELECT id, programme_id, 'GBP', d, c, a, 'posted', value_date, recorded_at
              FROM e, (VALUES ({h.Unallocated}::bigint, {h.Available[1]}::bigint, 10::bigint), ({h.Available[0]}, {h.Payable[0]}, 51)) AS t(d, c, a)
            """);
        Assert.Equal("GL001", e.SqlState);
        Assert.Equal(new Balance(0, 50, 0, 0), await h.BalanceAsync(h.Available[0]));
        Assert.Equal(new Balance(0, 0, 0, 0), await h.BalanceAsync(h.Available[1]));
    }

    // account's keys to programme, year, school and category are checked once per statement by a
    // trigger (migration 0045), no longer by per-row foreign keys: a script still cannot name a missing one.
    private async Task<(long Year, long School, long Category)> ParentsAsync(LedgerHarness h) => (
        await Db.ScalarAsync("SELECT id FROM programme_year WHERE programme_id = $1", h.ProgrammeId),
        await Db.ScalarAsync("SELECT min(id) FROM school WHERE programme_id = $1", h.ProgrammeId),
        await Db.ScalarAsync("SELECT id FROM budget_category WHERE programme_id = $1", h.ProgrammeId));

    [Theory]
    [InlineData("programme", "account_programme_id_fkey")]
    [InlineData("year", "account_programme_year_id_fkey")]
    [InlineData("school", "account_school_id_fkey")]
    [InlineData("category", "account_category_id_fkey")]
    public async Task AnAccountNamingAMissingParent_IsRefusedAsAForeignKeyViolation(string missing, string constraint)
    {
        var h = await CreateAsync(Db);
        var (year, school, category) = await ParentsAsync(h);
        string Id(string parent, long id) => parent == missing ? "999999999" : id.ToString();
        // one bad row among good ones refuses the whole statement
        var e = await RefusedAsync($"""
            INSERT INTO account (programme_id, unit, code, name, normal_side, programme_year_id, school_id, category_id)
            VALUES ({h.ProgrammeId}, 'GBP', 'script-good', 'x', 'credit', {year}, {school}, {category}),
                   ({Id("programme", h.ProgrammeId)}, 'GBP', 'script-bad', 'x', 'credit', {Id("year", year)}, {Id("school", school)}, {Id("category", category)})
            """);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
        Assert.Equal(constraint, e.ConstraintName);
        Assert.Contains("999999999", e.MessageText);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE 'script-%'"));
    }

    private static string DatedEntry(LedgerHarness h, string valueDate, string recordedAt = "now()") => $"""
        WITH e AS (INSERT INTO journal_entry (programme_id, value_date, recorded_at, description, cause_type)
                   VALUES ({h.ProgrammeId}, {valueDate}, {recordedAt}, 'script', 'funding')
                   RETURNING id, programme_id, value_date, recorded_at)
        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
        SELECT id, programme_id, 'GBP', {h.Funding}, {h.Unallocated}, 100, 'posted', value_date, recorded_at FROM e
        """;

    // An entry cannot be dated after the day it is recorded, in the UK (migration 0068): money allocated for a later date
    // could be claimed at once, and the school's budget was overdrawn as of today. Whoever writes: the service or a script.
    [Fact]
    public async Task AnEntryDatedAfterTheUkDayItIsRecorded_IsRefusedByTheDatabase()
    {
        var h = await CreateAsync(Db);
        var e = await RefusedAsync(DatedEntry(h, "(now() AT TIME ZONE 'Europe/London')::date + 1"));
        Assert.Equal("GL013", e.SqlState);
        Assert.Contains("in the future", e.MessageText);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script'"));

        await using (var cmd = Db.DataSource.CreateCommand(DatedEntry(h, "(now() AT TIME ZONE 'Europe/London')::date"))) await cmd.ExecuteNonQueryAsync();
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script'"));

        var refused = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1)) with { ValueDate = UkTime.Today.AddDays(1) }));
        Assert.Equal("value-date-in-the-future", refused.Rule);
        Assert.Equal("valueDate", refused.Field);
        Assert.Equal(422, refused.Status);
    }

    // An entry is recorded when it is written (migration 0088): a script had recorded one in the past, or in the future, and
    // the hash chain then sealed that time as written, which an auditor reads as when the money moved. Its transfers carry
    // the entry's time (checked by their statement's trigger), so they cannot differ either.
    [Fact]
    public async Task AnEntryRecordedAtAnotherTimeThanItIsWritten_IsRefusedByTheDatabase()
    {
        var h = await CreateAsync(Db);
        foreach (var at in new[] { "'2026-10-24 23:30:00+00'", "now() - interval '1 microsecond'", "now() + interval '2 days'" })
        {
            var e = await RefusedAsync(DatedEntry(h, "'2026-10-01'", at));
            Assert.Equal((at, "GL020"), (at, e.SqlState));
            Assert.Contains("journal_entry's recorded_at is the moment it is written", e.MessageText);
        }
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script'"));

        // the column's default and now() are that moment, as the service writes it
        await using (var cmd = Db.DataSource.CreateCommand(DatedEntry(h, "'2026-10-01'"))) await cmd.ExecuteNonQueryAsync();
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script' AND recorded_at <= now()"));
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1)));
    }

    private static string MoveOn(LedgerHarness h, string valueDate, long debit, long credit, long amount, string kind = "posted") => $"""
        WITH e AS (INSERT INTO journal_entry (programme_id, value_date, description, cause_type)
                   VALUES ({h.ProgrammeId}, '{valueDate}', 'script', 'allocation')
                   RETURNING id, programme_id, value_date, recorded_at)
        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
        SELECT id, programme_id, 'GBP', {debit}, {credit}, {amount}, '{kind}', value_date, recorded_at FROM e
        """;

    private static readonly DateOnly September15 = new(2026, 9, 15);

    // A limited account keeps within its limit as of every day, not only on its balance now (migration 0069): money dated
    // 1 October cannot be moved on dated 15 September, whoever writes, though the balance now would allow it.
    [Fact]
    public async Task AnEntryDatedBeforeTheMoneyReachedItsAccount_IsRefusedByTheDatabase_AsOfThatDay()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1000)) with { ValueDate = new(2026, 9, 1) });
        await h.PostAsync(Move(h.Unallocated, h.Available[0], 100)); // 1 October

        var e = await RefusedAsync(MoveOn(h, "2026-09-15", h.Available[0], h.Available[1], 100));
        Assert.Equal("GL014", e.SqlState);
        Assert.Contains("by 100 pence as of 2026-09-15", e.MessageText);
        Assert.Contains("\"asOf\" : \"2026-09-15\"", e.Detail);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script'"));
        Assert.Equal(new Balance(0, 100, 0, 0), await h.BalanceAsync(h.Available[0]));

        // an allocation dated before its programme's funding reached the programme account
        var early = await RefusedAsync(MoveOn(h, "2026-08-31", h.Unallocated, h.Available[1], 1));
        Assert.Equal("GL014", early.SqlState);

        // through the service: a rule naming the value date, saying as of which day and by how much
        var refused = await Assert.ThrowsAsync<LimitExceededAsOf>(() => h.PostAsync(h.Entry(Move(h.Available[0], h.Available[1], 100)) with { ValueDate = September15 }));
        Assert.Equal(422, refused.Status);
        Assert.Equal("valueDate", refused.Field);
        Assert.StartsWith("As of 15 September 2026 this would leave School 0", refused.Message);
        Assert.Contains("£1.00 past its limit", refused.Message);
        Assert.Equal("2026-09-15", refused.Details["asOf"]);
        Assert.Equal("1.00", refused.Details["shortfall"]);

        // dated the day the money arrived, or later, it is taken
        await h.PostAsync(Move(h.Available[0], h.Available[1], 100));
        Assert.Equal(new Balance(100, 100, 0, 0), await h.BalanceAsync(h.Available[0]));
    }

    [Fact]
    public async Task ABackdatedCredit_IsAccepted_AndSoIsADebitItCovers()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1000)) with { ValueDate = new(2026, 9, 1) });
        await h.PostAsync(Move(h.Unallocated, h.Available[0], 100)); // 1 October
        await h.PostAsync(h.Entry(Move(h.Unallocated, h.Available[0], 50)) with { ValueDate = new(2026, 9, 10) });
        await h.PostAsync(h.Entry(Move(h.Available[0], h.Available[1], 50)) with { ValueDate = September15 });
        Assert.Equal(new Balance(50, 150, 0, 0), await h.BalanceAsync(h.Available[0]));
        var refused = await Assert.ThrowsAsync<LimitExceededAsOf>(() => h.PostAsync(h.Entry(Move(h.Available[0], h.Available[1], 1)) with { ValueDate = new(2026, 9, 20) }));
        Assert.Equal("valueDate", refused.Field);
        Assert.Contains("20 September 2026", refused.Message);
    }

    // Holds count as of their day too: a claim's reservation dated before the allocation reached the school is refused,
    // and one dated on it is taken; a resolution releases what was held from its own day.
    [Fact]
    public async Task AHoldDatedBeforeTheMoneyReachedItsAccount_IsRefusedByTheDatabase()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1000)) with { ValueDate = new(2026, 9, 1) });
        await h.PostAsync(Move(h.Unallocated, h.Available[0], 600)); // 1 October

        var e = await RefusedAsync(MoveOn(h, "2026-09-20", h.Available[0], h.Payable[0], 600, "pending"));
        Assert.Equal("GL014", e.SqlState);
        Assert.Equal(new Balance(0, 600, 0, 0), await h.BalanceAsync(h.Available[0]));

        var hold = (await h.PostAsync(Move(h.Available[0], h.Payable[0], 600, TransferKind.Pending))).TransferIds[0];
        await h.PostAsync(h.Entry(Move(h.Available[0], h.Payable[0], 200, TransferKind.PostPending, hold)) with { ValueDate = new(2026, 10, 5) });
        // 400 released on 5 October: a virement of it dated 3 October would spend what was still held then
        var refused = await Assert.ThrowsAsync<LimitExceededAsOf>(() => h.PostAsync(h.Entry(Move(h.Available[0], h.Available[1], 400)) with { ValueDate = new(2026, 10, 3) }));
        Assert.Contains("3 October 2026", refused.Message);
        Assert.Contains("£4.00", refused.Message);
        await h.PostAsync(h.Entry(Move(h.Available[0], h.Available[1], 400)) with { ValueDate = new(2026, 10, 5) });
    }

    // A day already below its limit, from rows written before migration 0069 (here with the ledger's triggers off), does
    // not make a posting that does not worsen it fail: a backdated credit over it is taken, a debit that deepens it is not.
    [Fact]
    public async Task ADayAlreadyPastItsLimit_DoesNotRefuseAPostingThatDoesNotWorsenIt()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1000)) with { ValueDate = new(2026, 9, 1) });
        await h.PostAsync(Move(h.Unallocated, h.Available[0], 300)); // 1 October
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        await using (var old = new NpgsqlCommand($"""
            SET session_replication_role = replica;
            {MoveOn(h, "2026-09-15", h.Available[0], h.Payable[0], 100)};
            UPDATE account SET debits_posted = debits_posted + 100 WHERE id = {h.Available[0]};
            UPDATE account SET credits_posted = credits_posted + 100, latest_value_date = '2026-09-15' WHERE id = {h.Payable[0]};
            SET session_replication_role = origin;
            """, conn))
            await old.ExecuteNonQueryAsync();

        // a credit dated before the bad days, and a posting to another account dated back
        await h.PostAsync(h.Entry(Move(h.Unallocated, h.Available[0], 30)) with { ValueDate = new(2026, 9, 10) });
        await h.PostAsync(h.Entry(Move(h.Unallocated, h.Available[1], 30)) with { ValueDate = new(2026, 9, 10) });
        await h.PostAsync(h.Entry(Move(h.Payable[0], h.Available[0], 10)) with { ValueDate = new(2026, 9, 20) });
        // a debit dated after them
        await h.PostAsync(Move(h.Available[0], h.Available[2], 100));
        // entries that take from the account dated before the bad days, and leave them better off (read, and not refused)
        await EntriesAsync(h, h.Entry(Move(h.Available[0], h.Available[2], 5)) with { ValueDate = new(2026, 9, 10) },
            h.Entry(Move(h.Unallocated, h.Available[0], 50)) with { ValueDate = new(2026, 9, 12) });
        // one dated in them that deepens them: as of 16 September, 80 in and 106 out
        var deeper = await RefusedAsync(MoveOn(h, "2026-09-16", h.Available[0], h.Available[2], 1));
        Assert.Equal("GL014", deeper.SqlState);
        Assert.Contains("by 26 pence as of 2026-09-16", deeper.MessageText);
        Assert.Equal(new Balance(205, 390, 0, 0), await h.BalanceAsync(h.Available[0]));
    }

    // journal_entry's key to programme is checked by its BEFORE INSERT trigger without a lock on the programme's row
    // (migration 0060): a script still cannot post to a programme that does not exist.
    [Fact]
    public async Task AnEntryNamingAMissingProgramme_IsRefusedAsAForeignKeyViolation()
    {
        await CreateAsync(Db);
        var e = await RefusedAsync("""
            INSERT INTO journal_entry (programme_id, value_date, description, cause_type) VALUES (999999999, '2026-10-01', 'script', 'funding')
            """);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
        Assert.Equal("journal_entry_programme_id_fkey", e.ConstraintName);
        Assert.Contains("999999999", e.MessageText);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE description = 'script'"));
    }

    [Fact]
    public async Task AnAccountNamingParentsThatExist_IsAccepted_EvenWhenTheyWereCreatedInTheSameTransaction()
    {
        var h = await CreateAsync(Db);
        var (year, _, category) = await ParentsAsync(h);
        Assert.True(await Db.ScalarAsync($"""
            WITH s AS (INSERT INTO school (programme_id, urn, name, phase, area_id)
                       SELECT {h.ProgrammeId}, '599999', 'New school', 'Primary', area_id FROM school WHERE programme_id = {h.ProgrammeId} LIMIT 1
                       RETURNING id)
            INSERT INTO account (programme_id, unit, code, name, normal_side, programme_year_id, school_id, category_id)
            SELECT {h.ProgrammeId}, 'GBP', 'script-new-school', 'x', 'credit', {year}, s.id, {category} FROM s RETURNING id
            """) > 0);
    }

    [Fact]
    public async Task TwoTransactionsCreatingTheSameAccounts_BothGetTheSameAccounts_OneEach()
    {
        var h = await CreateAsync(Db);
        var year = await Db.ScalarAsync("SELECT id FROM programme_year WHERE programme_id = $1", h.ProgrammeId);
        var (p, y) = (new ProgrammeRef(h.ProgrammeId, "lh"), new YearRef(year, "2026-27"));
        AccountSpec[] specs = [Chart.Lapsed(p, y, Unit.Gbp), Chart.CarriedForward(p, y, Unit.Gbp), Chart.Unallocated(p, y, Unit.Gbp)];
        Accounts.ForgetAll();

        await using var first = await Db.DataSource.OpenConnectionAsync();
        await using var second = await Db.DataSource.OpenConnectionAsync();
        await using var firstTx = await first.BeginTransactionAsync();
        var created = await Accounts.EnsureAsync(first, firstTx, h.ProgrammeId, specs);

        // The second waits on the first's uncommitted accounts (the unique key), then finds them once it commits.
        await using var secondTx = await second.BeginTransactionAsync();
        var racing = Accounts.EnsureAsync(second, secondTx, h.ProgrammeId, specs);
        var waited = false;
        for (var i = 0; i < 100 && !waited; i++)
        {
            waited = await Db.ScalarAsync("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0;
            if (!waited) await Task.Delay(50);
        }
        Assert.True(waited, "the second transaction should wait for the first's accounts");
        await firstTx.CommitAsync();
        var found = await racing;
        await secondTx.CommitAsync();

        Assert.All(specs, spec => Assert.Equal(created[spec], found[spec]));
        Assert.Equal(h.Unallocated, found[specs[2]]);
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE 'lh:2026-27:lapsed' OR code LIKE 'lh:2026-27:carried-forward'"));
    }

    [Fact]
    public async Task ProgrammesYearsSchoolsAndCategories_CannotBeDeletedTruncatedOrRenumbered()
    {
        var h = await CreateAsync(Db);
        var (year, school, category) = await ParentsAsync(h);
        // the accounts that name them rely on this (0045): they are checked when an account is inserted, not afterwards
        foreach (var (table, id) in new[] { ("programme", h.ProgrammeId), ("programme_year", year), ("school", school), ("budget_category", category) })
        {
            Assert.Equal("GL002", (await RefusedAsync($"DELETE FROM {table} WHERE id = {id}")).SqlState);
            Assert.Equal("GL002", (await RefusedAsync($"UPDATE {table} SET id = DEFAULT WHERE id = {id}")).SqlState);
            Assert.Equal("GL002", (await RefusedAsync($"TRUNCATE {table} CASCADE")).SqlState);
            Assert.Equal(1L, await Db.ScalarAsync($"SELECT count(*) FROM {table} WHERE id = {id}"));
        }
        // a school no account names yet stays too: nothing in the service removes one
        var unused = await Db.ScalarAsync($"INSERT INTO school (programme_id, urn, name, phase, area_id) SELECT programme_id, '599998', 'Unused', 'Primary', area_id FROM school WHERE id = {school} RETURNING id");
        Assert.Equal("GL002", (await RefusedAsync($"DELETE FROM school WHERE id = {unused}")).SqlState);
    }

    [Fact]
    public async Task AnAccountsId_CannotChange()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 100));
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE account SET id = DEFAULT WHERE id = {h.Unallocated}")).SqlState);
        Assert.Equal("GL002", (await RefusedAsync($"UPDATE account SET unit = 'MIN' WHERE id = {h.Unallocated}")).SqlState);
        Assert.Equal(h.Unallocated, await Db.ScalarAsync($"UPDATE account SET name = 'renamed' WHERE id = {h.Unallocated} RETURNING id"));
    }

    [Fact]
    public async Task Hold_PostsOnceForAtMostItsAmount_TheRestIsReleased()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000), Move(h.Unallocated, h.Available[0], 1000));
        var hold = (await h.PostAsync(Move(h.Available[0], h.Payable[0], 600, TransferKind.Pending))).TransferIds[0];
        Assert.Equal(new Balance(0, 1000, 600, 0), await h.BalanceAsync(h.Available[0]));

        var more = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 601, TransferKind.PostPending, hold)));
        Assert.Equal("invalid-resolution", more.Rule);

        await h.PostAsync(Move(h.Available[0], h.Payable[0], 450, TransferKind.PostPending, hold));
        Assert.Equal(new Balance(450, 1000, 0, 0), await h.BalanceAsync(h.Available[0]));
        Assert.Equal(new Balance(0, 450, 0, 0), await h.BalanceAsync(h.Payable[0]));

        var twice = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 100, TransferKind.PostPending, hold)));
        Assert.Equal("pending-already-resolved", twice.Rule);
        var voidAfterPost = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 600, TransferKind.VoidPending, hold)));
        Assert.Equal("pending-already-resolved", voidAfterPost.Rule);
    }

    [Fact]
    public async Task VoidedHold_CannotBePostedOrVoidedAgain_AndMustReleaseAllItHeld()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000), Move(h.Unallocated, h.Available[0], 1000));
        var hold = (await h.PostAsync(Move(h.Available[0], h.Payable[0], 300, TransferKind.Pending))).TransferIds[0];
        var partial = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 100, TransferKind.VoidPending, hold)));
        Assert.Equal("invalid-resolution", partial.Rule);
        await h.PostAsync(Move(h.Available[0], h.Payable[0], 300, TransferKind.VoidPending, hold));
        Assert.Equal(new Balance(0, 1000, 0, 0), await h.BalanceAsync(h.Available[0]));
        Assert.Equal("pending-already-resolved",
            (await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 300, TransferKind.PostPending, hold)))).Rule);
        Assert.Equal("pending-already-resolved",
            (await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[0], 300, TransferKind.VoidPending, hold)))).Rule);
        var fresh = (await h.PostAsync(Move(h.Available[0], h.Payable[0], 100, TransferKind.Pending))).TransferIds[0];
        var otherAccounts = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Available[0], h.Payable[1], 100, TransferKind.PostPending, fresh)));
        Assert.Equal("invalid-resolution", otherAccounts.Rule);
    }

    [Fact]
    public async Task Holds_CountAgainstTheLimit_SoTwoHoldsCannotOverdraw()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000), Move(h.Unallocated, h.Available[0], 1000));
        await h.PostAsync(Move(h.Available[0], h.Payable[0], 700, TransferKind.Pending));
        var refused = await Assert.ThrowsAsync<LimitExceeded>(() => h.PostAsync(Move(h.Available[0], h.Payable[1], 301, TransferKind.Pending)));
        Assert.Equal(1, refused.Shortfall);
        Assert.EndsWith(":available", refused.Account);
    }

    /// <summary>Several entries posted as one statement (a group of claims' holds, <see cref="Journal.Entries"/>).</summary>
    private static async Task EntriesAsync(LedgerHarness h, params EntryDraft[] entries)
    {
        await using var conn = await h.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var reserved = new List<ReservedIds>();
        foreach (var entry in entries)
        {
            await using var reserve = new NpgsqlBatch(conn, tx) { BatchCommands = { Journal.ReserveIds(entry.Transfers.Count.ToString()) } };
            await using var row = await reserve.ExecuteReaderAsync();
            reserved.Add(await Journal.ReadReservedAsync(row, default));
        }
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { Journal.Entries(entries.Zip(reserved).ToList()) } };
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (LedgerRefusals.Translate(e) is { } rule)
        {
            throw rule;
        }
        await tx.CommitAsync();
    }

    [Fact]
    public async Task SeveralEntriesInOneStatement_EachKeepsItsOwnTransfers_AndTheirSumIsCheckedAgainstEveryLimit()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000), Move(h.Unallocated, h.Available[0], 600), Move(h.Unallocated, h.Available[1], 400));

        // each hold fits what its school has left; the first and the last together do not: nothing of any is written
        var refused = await Assert.ThrowsAsync<LimitExceeded>(() => EntriesAsync(h,
            h.Entry(Move(h.Available[0], h.Payable[0], 400, TransferKind.Pending)),
            h.Entry(Move(h.Available[1], h.Payable[1], 100, TransferKind.Pending)),
            h.Entry(Move(h.Available[0], h.Payable[0], 250, TransferKind.Pending))));
        Assert.Equal(50, refused.Shortfall);
        Assert.Equal(0, (await h.BalanceAsync(h.Available[0])).DebitsPending);
        Assert.Equal(0, (await h.BalanceAsync(h.Available[1])).DebitsPending);
        Assert.Equal(1L, await Db.DataSource.ScalarAsync("SELECT count(*) FROM journal_entry WHERE programme_id = $1", h.ProgrammeId));

        await EntriesAsync(h,
            h.Entry(Move(h.Available[0], h.Payable[0], 400, TransferKind.Pending)),
            h.Entry(Move(h.Available[1], h.Payable[1], 100, TransferKind.Pending), Move(h.Available[1], h.Payable[1], 300, TransferKind.Pending)),
            h.Entry(Move(h.Available[0], h.Payable[0], 200, TransferKind.Pending)));
        Assert.Equal(600, (await h.BalanceAsync(h.Available[0])).DebitsPending);
        Assert.Equal(400, (await h.BalanceAsync(h.Available[1])).DebitsPending);
        // three entries, each with its own transfers in the order given
        await using var cmd = Db.DataSource.CreateCommand("""
            SELECT string_agg(t.amount::text, ',' ORDER BY t.id)
              FROM journal_entry j JOIN transfer t ON t.entry_id = j.id
             WHERE j.programme_id = $1 AND t.kind = 'pending' GROUP BY j.id ORDER BY j.id
            """);
        cmd.Parameters.Add(new() { Value = h.ProgrammeId });
        var entries = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) entries.Add(r.GetString(0));
        Assert.Equal(["400", "100,300", "200"], entries);
    }

    [Fact]
    public async Task Reversal_MirrorsTheEntryOnce_AndAPartialOrSecondReversalIsRefused()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(Move(h.Funding, h.Unallocated, 1000));
        var allocation = await h.PostAsync(Move(h.Unallocated, h.Available[0], 400), Move(h.Unallocated, h.Available[1], 100));
        var wrong = new EntryDraft(h.ProgrammeId, Day, "partial", null, CauseType.Reversal, allocation.EntryId,
            [Move(h.Available[0], h.Unallocated, 400)], allocation.EntryId);
        Assert.Equal("unbalanced-entry", (await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(wrong))).Rule);

        var reversal = EntryDraft.Reversal(h.ProgrammeId, allocation.EntryId, Day, "wrong schools", null,
            [Move(h.Unallocated, h.Available[0], 400), Move(h.Unallocated, h.Available[1], 100)]);
        await h.PostAsync(reversal);
        // unallocated: funded 1,000 and given back 500 (credits); allocated 500 (debits)
        Assert.Equal(new Balance(500, 1500, 0, 0), await h.BalanceAsync(h.Unallocated));
        Assert.Equal(new Balance(400, 400, 0, 0), await h.BalanceAsync(h.Available[0]));
        Assert.Equal("already-reversed", (await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(reversal))).Rule);
    }

    [Fact]
    public async Task ClosedPeriod_RefusesEntriesDatedInsideIt_WithTheReason()
    {
        var h = await CreateAsync(Db);
        await Db.ScalarAsync("""
            INSERT INTO period (programme_year_id, code, name, starts_on, ends_on, closed_at)
            SELECT id, 'aut1', 'Autumn 1', '2026-09-01', '2026-10-31', now() FROM programme_year RETURNING id
            """);
        var refused = await Assert.ThrowsAsync<RuleBroken>(() => h.PostAsync(Move(h.Funding, h.Unallocated, 1)));
        Assert.Equal("period-closed", refused.Rule);
        Assert.Equal(409, refused.Status);
        Assert.Contains("Autumn 1", refused.Message);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1)) with { ValueDate = new DateOnly(2026, 11, 1) });
    }

    [Fact]
    public async Task BalancesAsOfADate_CountOnlyWhatWasDatedUpToIt_IncludingHoldsStillOpenThen()
    {
        var h = await CreateAsync(Db);
        await h.PostAsync(h.Entry(Move(h.Funding, h.Unallocated, 1000), Move(h.Unallocated, h.Available[0], 1000)) with { ValueDate = new(2026, 9, 1) });
        var hold = (await h.PostAsync(h.Entry(Move(h.Available[0], h.Payable[0], 300, TransferKind.Pending)) with { ValueDate = new(2026, 10, 1) })).TransferIds[0];
        await h.PostAsync(h.Entry(Move(h.Available[0], h.Payable[0], 250, TransferKind.PostPending, hold)) with { ValueDate = new(2026, 11, 1) });

        async Task<Balance> AsOf(DateOnly date)
        {
            await using var cmd = Db.DataSource.CreateCommand("SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM account_balances_as_of($1, $2) WHERE account_id = $3");
            cmd.Parameters.Add(new() { Value = h.ProgrammeId });
            cmd.Parameters.Add(new() { Value = date });
            cmd.Parameters.Add(new() { Value = h.Available[0] });
            await using var r = await cmd.ExecuteReaderAsync();
            return await r.ReadAsync() ? new Balance(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)) : Balance.Zero;
        }
        Assert.Equal(Balance.Zero, await AsOf(new(2026, 8, 31)));
        Assert.Equal(new Balance(0, 1000, 0, 0), await AsOf(new(2026, 9, 30)));
        Assert.Equal(new Balance(0, 1000, 300, 0), await AsOf(new(2026, 10, 15)));
        Assert.Equal(new Balance(250, 1000, 0, 0), await AsOf(new(2026, 11, 1)));
        Assert.Equal(await h.BalanceAsync(h.Available[0]), await AsOf(new(2027, 1, 1)));
    }

    /// <summary>
    /// After a few entries of thousands of transfers each, PostgreSQL's statistics say an entry has thousands of
    /// transfers, and the plan the entry check is given after five calls was a sequential scan of transfer, stopping at
    /// the first match — but a new entry's transfers are at the table's end, so each check read the whole table (48,000
    /// entries committed at once ran for minutes). Migration 0053 keeps the check on its index. Its own database, so
    /// that the statistics are this test's.
    /// </summary>
    [Fact]
    public async Task ManyEntriesCommittedAtOnce_AfterAFewLargeOnes_AreEachCheckedByTheIndex_NotByReadingEveryTransfer()
    {
        await using var dataSource = await Db.OwnDatabaseAsync("ledger_skewed_statistics");
        var h = await CreateAsync(dataSource);
        for (var i = 0; i < 2; i++) await h.PostAsync(Enumerable.Range(0, 5_000).Select(_ => Move(h.Funding, h.Unallocated, 1)).ToArray());
        await dataSource.ExecuteAsync("ANALYZE journal_entry, transfer");

        await using var conn = await dataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        for (var i = 0; i < 20; i++) await Journal.PostAsync(conn, tx, h.Entry(Move(h.Unallocated, h.Available[i % 3], 1)));
        var before = await SeqScansAsync(conn, tx, "transfer");
        await using (var check = new NpgsqlCommand("SET CONSTRAINTS ALL IMMEDIATE", conn, tx)) await check.ExecuteNonQueryAsync(); // the entries' checks, now
        var scans = await SeqScansAsync(conn, tx, "transfer") - before;
        await tx.CommitAsync();

        Assert.Equal(0, scans);
        Assert.Equal(10_020, await dataSource.ScalarAsync("SELECT count(*) FROM transfer"));
        Assert.Equal(20, (await h.BalanceAsync(h.Unallocated)).DebitsPosted);
    }

    /// <summary>
    /// The state-change check (migration 0052) is planned once per connection. Planned from statistics that say the
    /// history is empty (a database analysed before its first transition), that plan read the whole history table for
    /// every transition until autovacuum analysed it again; a benchmark's first minute spent 3-4 ms a submission there.
    /// Migration 0053 keeps it on the (claim_id, id) index.
    /// </summary>
    [Fact]
    public async Task ClaimTransitions_OnANewDatabase_AreCheckedByTheHistoryIndex_NotByReadingTheWholeHistory()
    {
        await using var dataSource = await Db.OwnDatabaseAsync("claims_new_database");
        var h = await CreateAsync(dataSource, schools: 1);
        var school = await dataSource.ScalarAsync("SELECT id FROM school WHERE programme_id = $1", h.ProgrammeId);
        var year = await dataSource.ScalarAsync("SELECT id FROM programme_year WHERE programme_id = $1", h.ProgrammeId);
        var period = await dataSource.ScalarAsync(
            "INSERT INTO period (programme_year_id, code, name, starts_on, ends_on) VALUES ($1, 'aut1', 'Autumn 1', '2026-09-01', '2026-10-23') RETURNING id", year);
        var user = await dataSource.ScalarAsync("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id)
            VALUES ('sbm', 'SBM', 'School', 'school_business_manager', $1, $2) RETURNING id
            """, h.ProgrammeId, school);
        await dataSource.ExecuteAsync("""
            INSERT INTO claim (programme_id, programme_year_id, period_id, school_id, created_by)
            SELECT $1, $2, $3, $4, $5 FROM generate_series(1, 2000)
            """, h.ProgrammeId, year, period, school, user);
        // analysed before any claim has moved, as an operator does after a restore or an upgrade: the history is empty
        await dataSource.ExecuteAsync("ANALYZE");

        await using var conn = await dataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var claims = new List<long>();
        await using (var ids = new NpgsqlCommand("SELECT id FROM claim ORDER BY id", conn, tx))
        await using (var r = await ids.ExecuteReaderAsync())
            while (await r.ReadAsync()) claims.Add(r.GetInt64(0));
        var before = await SeqScansAsync(conn, tx, "claim_transition");
        foreach (var claim in claims)
        {
            // as the service writes a transition: the history row naming its entry, the claim's state, then the entry (holding
            // a penny: migration 0086 asks a submission for its entry)
            await using var submit = new NpgsqlBatch(conn, tx)
            {
                BatchCommands =
                {
                    new("""
                        INSERT INTO claim_transition (claim_id, trigger, from_state, to_state, actor_id, actor_role, entry_id)
                        VALUES ($1, 'submit', 'draft', 'submitted', $2, 'school_business_manager', nextval('journal_entry_id_seq'))
                        """)
                        { Parameters = { new() { Value = claim }, new() { Value = user } } },
                    new("UPDATE claim SET state = 'submitted', submitted_by = $2, submitted_at = now() WHERE id = $1")
                        { Parameters = { new() { Value = claim }, new() { Value = user } } },
                    new("""
                        WITH e AS (INSERT INTO journal_entry (id, programme_id, value_date, description, actor_id, cause_type, cause_id)
                                   OVERRIDING SYSTEM VALUE
                                   VALUES (currval('journal_entry_id_seq'), $3, $4, 'Claim submitted', $2, 'claim', $1)
                                   RETURNING id, programme_id, value_date, recorded_at)
                        INSERT INTO transfer (entry_id, programme_id, unit, debit_account_id, credit_account_id, amount, kind, value_date, recorded_at)
                        SELECT e.id, e.programme_id, 'GBP', $5, $6, 1, 'pending', e.value_date, e.recorded_at FROM e
                        """)
                        {
                            Parameters =
                            {
                                new() { Value = claim }, new() { Value = user }, new() { Value = h.ProgrammeId }, new() { Value = LedgerHarness.Day },
                                new() { Value = h.Funding }, new() { Value = h.Unallocated },
                            },
                        },
                },
            };
            await submit.ExecuteNonQueryAsync();
        }
        var scans = await SeqScansAsync(conn, tx, "claim_transition") - before;
        await tx.CommitAsync();

        Assert.Equal(0, scans);
        Assert.Equal(2000, await dataSource.ScalarAsync("SELECT count(*) FROM claim c JOIN claim_transition t ON t.claim_id = c.id WHERE c.state = 'submitted'"));
    }

    /// <summary>Sequential scans of the table so far in this transaction (its triggers' statements included).</summary>
    private static async Task<long> SeqScansAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table)
    {
        await using var cmd = new NpgsqlCommand("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = $1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = table });
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}

using System.Net;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Cli;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>Journal entries and audit events are sealed into SHA-256 chains; verification recomputes them from the rows.</summary>
public sealed class HashChainTests(DatabaseFixture db) : DatabaseTest(db)
{
    private async Task<Scenario> LedgerWithHistoryAsync()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        return s;
    }

    private Task<IReadOnlyList<Sealing.Sealed>> SealAsync() => Sealing.SealAllAsync(Db.DataSource);


    [Fact]
    public async Task Seal_PutsEveryEntryAndEventIntoItsChain_AndVerificationFindsThemAllUnchanged()
    {
        var s = await LedgerWithHistoryAsync();
        var status = (await s.Root.GetAsync("/api/v1/audit/seal-status")).Expect(HttpStatusCode.OK).Json;
        Assert.True(status["unsealed"]!.GetValue<long>() > 0, "writes wait in the queue until sealed");

        var sealedNow = await SealAsync();
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        var events = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        Assert.Equal(entries, sealedNow.Single(c => c.Chain == $"journal:{s.ProgrammeId}").Records);
        Assert.Equal(events, sealedNow.Single(c => c.Chain == "audit").Records);
        Assert.Empty(await SealAsync()); // nothing left

        var report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        var journal = report["chains"]!.AsArray().Single(c => c!["chain"]!.GetValue<string>() == $"journal:{s.ProgrammeId}")!;
        Assert.Equal(entries, journal["verified"]!.GetValue<long>());
        Assert.Equal(64, journal["head"]!.GetValue<string>().Length);

        status = (await s.Root.GetAsync("/api/v1/audit/seal-status")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(0, status["unsealed"]!.GetValue<long>());
        Assert.Equal(0, status["maxLagSeconds"]!.GetValue<double>());
    }

    [Fact]
    public async Task Verification_NamesAJournalEntryChangedInPostgreSQLBehindTheGuards()
    {
        var s = await LedgerWithHistoryAsync();
        await SealAsync();
        var allocation = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'allocation'");
        await Db.DataSource.TamperAsync("UPDATE transfer SET amount = amount + 1 WHERE id = (SELECT min(id) FROM transfer WHERE entry_id = $1)", allocation);

        var report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.False(report["ok"]!.GetValue<bool>());
        var first = report["firstMismatch"]!;
        Assert.Equal($"journal:{s.ProgrammeId}", first["chain"]!.GetValue<string>());
        Assert.Equal("journal_entry", first["recordType"]!.GetValue<string>());
        Assert.Equal(allocation, first["recordId"]!.GetValue<long>());
        Assert.Contains("changed", first["problem"]!.GetValue<string>());
        // the audit chain is untouched
        var audit = report["chains"]!.AsArray().Single(c => c!["chain"]!.GetValue<string>() == "audit")!;
        Assert.Null(audit["firstMismatch"]);

        var output = new StringWriter();
        Assert.Equal(3, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None));
        Assert.Contains($"journal_entry {allocation} does not match its seal", output.ToString());
    }

    [Fact]
    public async Task Verification_NamesAnAuditEventChangedOrDeleted_AndAnEventSlippedInUnsealed()
    {
        var s = await LedgerWithHistoryAsync();
        await SealAsync();
        var funded = await Db.ScalarAsync("SELECT id FROM audit_event WHERE action = 'funding.posted'");
        await Db.DataSource.TamperAsync("UPDATE audit_event SET details = jsonb_set(details, '{reference}', '\"forged\"') WHERE id = $1", funded);
        var report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("audit", report["firstMismatch"]!["chain"]!.GetValue<string>());
        Assert.Equal(funded, report["firstMismatch"]!["recordId"]!.GetValue<long>());

        await Db.ResetAsync();
        s = await LedgerWithHistoryAsync();
        await SealAsync();
        var created = await Db.ScalarAsync("SELECT min(id) FROM audit_event WHERE action = 'school.enrolled'");
        await Db.DataSource.TamperAsync("DELETE FROM audit_event WHERE id = $1", created);
        report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(created, report["firstMismatch"]!["recordId"]!.GetValue<long>());
        Assert.Contains("no longer exists", report["firstMismatch"]!["problem"]!.GetValue<string>());

        await Db.ResetAsync();
        s = await LedgerWithHistoryAsync();
        await SealAsync();
        await Db.DataSource.TamperAsync("INSERT INTO audit_event (action, record_type, details) VALUES ('user.created', 'app_user', '{}')");
        report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.False(report["ok"]!.GetValue<bool>());
        Assert.Contains("neither sealed nor queued", report["firstMismatch"]!["problem"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARecordCommittedAfterALaterOneWasSealed_JoinsTheChainAtItsEnd()
    {
        var s = await LedgerWithHistoryAsync();
        await using var slow = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await slow.BeginTransactionAsync();
        long slowId;
        await using (var cmd = new NpgsqlCommand("INSERT INTO audit_event (action, record_type, details) VALUES ('sign-out.succeeded', 'app_user', '{}') RETURNING id", slow, tx))
            slowId = (long)(await cmd.ExecuteScalarAsync())!;
        // a later event commits first and is sealed while the slow one is still open
        (await s.Root.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/areas", new { code = "late", name = "Late" })).Expect(HttpStatusCode.Created);
        await SealAsync();
        await tx.CommitAsync();
        var more = await SealAsync();
        Assert.Equal(1, more.Single().Records);

        var lastSeq = await Db.ScalarAsync("SELECT max(seq) FROM chain_seal WHERE chain = 'audit'");
        Assert.Equal(lastSeq, await Db.ScalarAsync("SELECT seq FROM chain_seal WHERE record_type = 'audit_event' AND record_id = $1", slowId));
        Assert.True(await Db.ScalarAsync("SELECT count(*) FROM chain_seal WHERE chain = 'audit' AND record_id > $1", slowId) > 0);
        Assert.True((await Verification.VerifyAsync(Db.DataSource)).Ok);
    }

    [Fact]
    public async Task TwoSealersAtOnce_BuildOneUnbrokenChain()
    {
        var s = await LedgerWithHistoryAsync();
        for (var i = 0; i < 5; i++) await s.AllocateEachAsync("action-plan", "1.00");
        await Task.WhenAll(SealAsync(), SealAsync(), SealAsync());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM seal_queue"));
        Assert.Equal(await Db.ScalarAsync("SELECT count(*) FROM audit_event"), await Db.ScalarAsync("SELECT max(seq) FROM chain_seal WHERE chain = 'audit'"));
        Assert.True((await Verification.VerifyAsync(Db.DataSource)).Ok);
        var output = new StringWriter();
        Assert.Equal(0, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None));
        Assert.Contains("Every chain matches", output.ToString());
    }

    [Fact]
    public async Task TheDatabaseRefusesToChangeOrRemoveAuditEventsAndSeals()
    {
        await LedgerWithHistoryAsync();
        await SealAsync();
        foreach (var sql in new[]
                 {
                     "UPDATE audit_event SET action = 'x.y'", "DELETE FROM audit_event", "TRUNCATE audit_event CASCADE",
                     "UPDATE chain_seal SET hash = hash", "DELETE FROM chain_seal", "TRUNCATE chain_seal",
                 })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => Db.ScalarAsync(sql));
            Assert.Equal("GL002", e.SqlState);
        }
    }

    [Fact]
    public void ContentIsCompactJsonThatOtherToolsWriteTheSameWay()
    {
        var content = ChainContent.Of(new ChainContent.EventColumns(7, new DateTime(2026, 9, 1, 10, 15, 30, DateTimeKind.Utc).AddTicks(1234560),
            3, "ada", "programme-admin", "claim.approve", "claim", 12, 1, """{"a": "b\"c"}""", null));
        Assert.Equal("""["audit_event",7,"2026-09-01T10:15:30.123456Z",3,"ada","programme-admin","claim.approve","claim",12,1,"{\"a\": \"b\\\"c\"}",null]""",
            content);
        var entry = ChainContent.Of(new ChainContent.EntryColumns(1, 2, new DateOnly(2026, 9, 1), new DateTime(2026, 9, 1, 0, 0, 0, DateTimeKind.Utc),
            "a\"b\\c\nd\u0001é", null, "funding", null, null, [new(5, "GBP", 10, 11, 100, "posted", null)]));
        // json.dumps(row, ensure_ascii=False, separators=(",", ":")) in Python gives exactly this
        Assert.Equal("""["journal_entry",1,2,"2026-09-01","2026-09-01T00:00:00.000000Z","a\"b\\c\nd\u0001é",null,"funding",null,null,[[5,"GBP",10,11,100,"posted",null]]]""",
            entry);
    }
}

/// <summary>The background sealer, switched on (the shared test server has it off).</summary>
public sealed class BackgroundSealerTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task TheBackgroundSealer_SealsWhatWasWritten_WithinAFewIntervals()
    {
        await using var sealing = Db.Factory.WithWebHostBuilder(b => b.UseSetting(Sealer.IntervalSetting, "0.2"));
        _ = sealing.Services; // starts the host, and with it the sealer
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("10.00");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await Db.ScalarAsync("SELECT count(*) FROM seal_queue") > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM seal_queue"));
        Assert.Equal(await Db.ScalarAsync("SELECT count(*) FROM audit_event"), await Db.ScalarAsync("SELECT count(*) FROM chain_seal WHERE chain = 'audit'"));
        Assert.True((await Verification.VerifyAsync(Db.DataSource)).Ok);
    }
}

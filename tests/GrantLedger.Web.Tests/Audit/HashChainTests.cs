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

    /// <summary>
    /// Balances as of a date, statements and exports read each transfer's own copy of its entry's date and recording time, which
    /// the transfer's key to its entry keeps equal; moved behind that key, money would change days while the entry matched its seal.
    /// </summary>
    [Fact]
    public async Task Verification_NamesAnEntryWhoseTransferWasMovedToAnotherDateOrMomentBehindTheGuards()
    {
        var s = await LedgerWithHistoryAsync();
        await SealAsync();
        var allocation = await Db.ScalarAsync("SELECT id FROM journal_entry WHERE cause_type = 'allocation'");
        const string first = "(SELECT min(id) FROM transfer WHERE entry_id = $1)";

        await Db.DataSource.TamperAsync($"UPDATE transfer SET value_date = value_date + 30 WHERE id = {first}", allocation);
        var report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.False(report["ok"]!.GetValue<bool>());
        Assert.Equal(allocation, report["firstMismatch"]!["recordId"]!.GetValue<long>());
        Assert.Matches(@"journal_entry \d+ does not match its seal: its transfer \d+ has value date \S+ where the entry's is ",
            report["firstMismatch"]!["problem"]!.GetValue<string>());

        await Db.DataSource.TamperAsync($"UPDATE transfer SET value_date = value_date - 30, recorded_at = recorded_at - interval '1 day' WHERE id = {first}", allocation);
        report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(allocation, report["firstMismatch"]!["recordId"]!.GetValue<long>());
        Assert.Contains("has recording time", report["firstMismatch"]!["problem"]!.GetValue<string>());
        var output = new StringWriter();
        Assert.Equal(3, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None));
        Assert.Contains($"journal_entry {allocation} does not match its seal: its transfer", output.ToString());

        await Db.DataSource.TamperAsync($"UPDATE transfer SET recorded_at = recorded_at + interval '1 day' WHERE id = {first}", allocation);
        report = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.True(report["ok"]!.GetValue<bool>(), "put back as it was, it verifies again");
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

    /// <summary>The heads a verification reports, as an auditor notes them: "chain,seal,hash".</summary>
    private static Dictionary<string, string> Heads(System.Text.Json.Nodes.JsonNode report) =>
        report["chains"]!.AsArray().ToDictionary(c => c!["chain"]!.GetValue<string>(),
            c => $"{c!["chain"]!.GetValue<string>()},{c["sealed"]!.GetValue<long>()},{c["head"]!.GetValue<string>()}");

    private static string Noted(params string[] heads) => string.Join("&", heads.Select(h => "noted=" + Uri.EscapeDataString(h)));

    /// <summary>
    /// What someone able to change the database could do that the seals alone do not show: change a record, then make its seal and
    /// every seal after it again over the records as they are now (with the append-only triggers off, as a superuser can).
    /// </summary>
    internal static async Task RewriteChainFromAsync(DatabaseFixture db, string chain, long fromSeq)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using (var off = new NpgsqlCommand("SET session_replication_role = replica", conn)) await off.ExecuteNonQueryAsync();
        var seals = new List<(long Seq, string Type, long Id)>();
        byte[] previous = ChainContent.Genesis;
        await using (var cmd = new NpgsqlCommand("SELECT seq, record_type, record_id, hash FROM chain_seal WHERE chain = $1 AND seq >= $2 - 1 ORDER BY seq", conn))
        {
            cmd.Parameters.Add(new() { Value = chain });
            cmd.Parameters.Add(new() { Value = fromSeq });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                if (r.GetInt64(0) < fromSeq) previous = r.GetFieldValue<byte[]>(3);
                else seals.Add((r.GetInt64(0), r.GetString(1), r.GetInt64(2)));
        }
        foreach (var (seq, type, id) in seals)
        {
            var content = (await ChainRecords.ContentAsync(conn, null, type, [id], CancellationToken.None))[id];
            previous = ChainContent.Hash(previous, content);
            await using var update = new NpgsqlCommand("UPDATE chain_seal SET hash = $1 WHERE chain = $2 AND seq = $3", conn);
            update.Parameters.Add(new() { Value = previous });
            update.Parameters.Add(new() { Value = chain });
            update.Parameters.Add(new() { Value = seq });
            await update.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task AChainRewrittenWithItsSealsMadeAgain_MatchesItsRecords_ButNotTheHeadNotedBefore()
    {
        var s = await LedgerWithHistoryAsync();
        var journal = $"journal:{s.ProgrammeId}";
        await SealAsync();
        var before = Heads((await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json);
        var headsFile = Path.Combine(Path.GetTempPath(), $"heads-{Guid.NewGuid():N}.csv");
        var output = new StringWriter();
        Assert.Equal(0, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None, writeHeads: new FileInfo(headsFile)));
        var written = await File.ReadAllLinesAsync(headsFile);
        Assert.Equal("chain,seal,hash", written[0]);
        Assert.Equal(before.Values.Order(), written.Skip(1).Order());

        // the ledger moves on: the heads noted are still in their chains
        await s.AllocateEachAsync("action-plan", "1.00");
        await SealAsync();
        var later = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(before[journal], before["audit"])}")).Expect(HttpStatusCode.OK).Json;
        Assert.True(later["ok"]!.GetValue<bool>(), later.ToJsonString());
        Assert.Equal(["extended", "extended"], later["noted"]!.AsArray().Select(n => n!["result"]!.GetValue<string>()));
        Assert.NotEqual(before[journal], Heads(later)[journal]); // the head moved on, and the one noted is still there
        output = new StringWriter();
        Assert.Equal(0, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None, noted: new FileInfo(headsFile)));
        Assert.Contains("Every head noted is still in its chain", output.ToString());

        // an allocation's amount changed, and the chain made again from its seal on: every seal matches its record...
        var allocation = await Db.ScalarAsync("SELECT min(id) FROM journal_entry WHERE cause_type = 'allocation'");
        await Db.DataSource.TamperAsync("UPDATE transfer SET amount = amount + 1 WHERE id = (SELECT min(id) FROM transfer WHERE entry_id = $1)", allocation);
        await RewriteChainFromAsync(Db, journal, await Db.ScalarAsync("SELECT seq FROM chain_seal WHERE record_type = 'journal_entry' AND record_id = $1", allocation));
        var alone = (await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json;
        Assert.True(alone["ok"]!.GetValue<bool>(), "a chain made again over the changed records matches them: only a head noted before shows it");

        // ...and the head noted before is not in it
        var report = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(before[journal], before["audit"])}")).Expect(HttpStatusCode.OK).Json;
        Assert.False(report["ok"]!.GetValue<bool>());
        Assert.Null(report["firstMismatch"]);
        var (rewritten, untouched) = (report["noted"]![0]!, report["noted"]![1]!);
        Assert.Equal((journal, "rewritten"), (rewritten["chain"]!.GetValue<string>(), rewritten["result"]!.GetValue<string>()));
        Assert.Equal(before[journal].Split(',')[2], rewritten["hash"]!.GetValue<string>());
        Assert.NotEqual(rewritten["hash"]!.GetValue<string>(), rewritten["hashNow"]!.GetValue<string>());
        Assert.Contains("rewritten at or before it", rewritten["says"]!.GetValue<string>());
        Assert.Equal("extended", untouched["result"]!.GetValue<string>());
        output = new StringWriter();
        Assert.Equal(3, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None, noted: new FileInfo(headsFile)));
        Assert.Contains($"noted {journal} seal {before[journal].Split(',')[1]}: REWRITTEN", output.ToString());
        Assert.Contains("REWRITTEN: a head noted is not in its chain as it was.", output.ToString());

        // seals removed after the head noted, and a chain not there
        var auditSeal = long.Parse(before["audit"].Split(',')[1]);
        await Db.DataSource.TamperAsync("DELETE FROM chain_seal WHERE chain = 'audit' AND seq >= $1", auditSeal);
        report = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(before["audit"], "journal:999999,1," + new string('a', 64))}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(["missing", "unknown-chain"], report["noted"]!.AsArray().Select(n => n!["result"]!.GetValue<string>()));
        Assert.Contains($"it ends at seal {auditSeal - 1:N0}", report["noted"]![0]!["says"]!.GetValue<string>());
        File.Delete(headsFile);
    }

    [Fact]
    public async Task HeadsNotedThatCannotBeRead_AreRefused_EachLineNamed()
    {
        var s = await LedgerWithHistoryAsync();
        await SealAsync();
        foreach (var (noted, says) in new[]
                 {
                     ("audit,12", "line 1 (audit,12) must be the chain, the seal's number and its hash"),
                     ("ledger:3,12," + new string('a', 64), "names no chain"),
                     ("audit,0," + new string('a', 64), "whole number from 1"),
                     ("audit,-4," + new string('a', 64), "whole number from 1"),
                     ("audit,99999999999999999999," + new string('a', 64), "whole number from 1"),
                     ("audit,12," + new string('a', 63), "64 hex digits"),
                     ("audit,12," + new string('g', 64), "64 hex digits"),
                 })
        {
            var problem = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(noted)}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "noted").Json;
            Assert.Contains(says, problem["errors"]!["noted"]![0]!.GetValue<string>());
        }
        var many = Enumerable.Range(1, Verification.MostNoted + 1).Select(i => $"audit,{i},{new string('a', 64)}").ToArray();
        var tooMany = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(many)}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "noted").Json;
        Assert.Contains($"at most {Verification.MostNoted}", tooMany["errors"]!["noted"]![0]!.GetValue<string>());
        // as the OpenAPI document says, for clients generated from it
        var document = System.Text.Json.Nodes.JsonNode.Parse(await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var parameter = document["paths"]!["/api/v1/audit/verification"]!["get"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "noted")!;
        Assert.Equal(Verification.MostNoted, parameter["schema"]!["maxItems"]!.GetValue<int>());
        // the download's header line and blank lines are passed over, and upper-case hex read as lower
        var head = Heads((await s.Root.GetAsync("/api/v1/audit/verification")).Expect(HttpStatusCode.OK).Json)["audit"];
        var given = $"chain,seal,hash\r\n\r\n{head.ToUpperInvariant().Replace("AUDIT", "audit")}\r\n";
        var read = (await s.Root.GetAsync($"/api/v1/audit/verification?{Noted(given)}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("extended", read["noted"]!.AsArray().Single()!["result"]!.GetValue<string>());

        var file = Path.Combine(Path.GetTempPath(), $"heads-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, "audit,twelve,abc\n");
        var output = new StringWriter();
        Assert.Equal(2, await AuditCommands.VerifyAsync(Db.DataSource, output, CancellationToken.None, noted: new FileInfo(file)));
        Assert.Contains("cannot be read: line 1 (audit,twelve,abc) must give the seal's number as a whole number from 1", output.ToString());
        File.Delete(file);
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

    // An audit event happens when it is written (migration 0088): a script had written one a day back, and the chain then
    // sealed that time as written. The service's events take the column's default, the moment of writing, and seal as ever.
    [Fact]
    public async Task AnAuditEventWrittenForAnotherTime_IsRefused_AndOneWrittenNowIsSealed()
    {
        await LedgerWithHistoryAsync();
        var before = await Db.ScalarAsync("SELECT count(*) FROM audit_event");
        static string Event(string at) => $"""
            INSERT INTO audit_event ({(at == "" ? "" : "occurred_at, ")}user_name, role, action, record_type, record_id)
            VALUES ({(at == "" ? "" : at + ", ")}'script', 'programme_admin', 'claim.approve', 'claim', 1)
            """;
        foreach (var at in new[] { "now() - interval '1 day'", "timestamptz '2026-09-01 10:00Z'", "now() + interval '1 second'" })
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => Db.DataSource.ExecuteAsync(Event(at)));
            Assert.Equal((at, "GL020"), (at, e.SqlState));
            Assert.Contains("audit_event's occurred_at is the moment it is written", e.MessageText);
        }
        Assert.Equal(before, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));

        await Db.DataSource.ExecuteAsync(Event(""));
        await Db.DataSource.ExecuteAsync(Event("now()"));
        Assert.Equal(before + 2, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
        await SealAsync();
        Assert.True((await Verification.VerifyAsync(Db.DataSource)).Ok);
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

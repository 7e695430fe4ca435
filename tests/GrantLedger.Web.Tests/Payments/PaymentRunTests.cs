using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

public sealed partial class PaymentRunTests(DatabaseFixture db) : DatabaseTest(db)
{
    private sealed record World(ClaimWorld W, ApiClient Maker, ApiClient Checker, long[] Claims)
    {
        public string Runs => $"/api/v1/programmes/{W.S.ProgrammeId}/payment-runs";
    }

    /// <summary>Two approved claims of school 0 (£250 and £200 sanctioned of £250) and one of school 1 (£250); payee references set.</summary>
    private async Task<World> ApprovedAsync()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var a = await w.UnderReviewAsync("STAFF-01", "2026-10-05");
        (await w.Lead.PostAsync($"/api/v1/claims/{a}/approve", null)).Expect(HttpStatusCode.OK);
        var b = await w.UnderReviewAsync("STAFF-02", "2026-10-06");
        var lineId = (await w.School.GetAsync($"/api/v1/claims/{b}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{b}/approve", new { lines = new[] { new { lineId, amount = "200.00", reason = "half a day evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var c = await w.NewClaimAsync(w.OtherSchool);
        await w.AddStaffTimeAsync(c, "STAFF-03", "2026-10-07", school: w.OtherSchool);
        (await w.SubmitAsync(c, w.OtherSchool)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{c}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{c}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        return new World(w, await w.S.FinanceAsync(Db, "maker"), await w.S.FinanceAsync(Db, "checker"), [a, b, c]);
    }

    private static string State(JsonNode claim) => claim["state"]!.GetValue<string>();

    private async Task<(long Id, string File)> ExportedAsync(World x)
    {
        var run = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Json;
        var id = run["id"]!.GetValue<long>();
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{id}/approve", null)).Expect(HttpStatusCode.OK);
        var file = (await x.Maker.PostAsync($"/api/v1/payment-runs/{id}/export", null)).Expect(HttpStatusCode.OK);
        return (id, file.Body);
    }

    private async Task<JsonNode> ImportAsync(World x, string csv, string name = "confirmations.csv") =>
        (await SendConfirmationsAsync(x, csv, name)).Expect(HttpStatusCode.OK).Json;

    /// <summary>A confirmations file sent by the maker, answered whatever the answer.</summary>
    private static async Task<Answer> SendConfirmationsAsync(World x, string csv, string name = "confirmations.csv")
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", name);
        using var response = await x.Maker.Http.PostAsync($"/api/v1/programmes/{x.W.S.ProgrammeId}/payment-confirmations", form);
        return await Answer.ReadAsync(response);
    }

    private static string Today => GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd"); // the day approvals and exports are dated: the UK's

    [Fact]
    public async Task Build_TakesEveryApprovedClaim_OnePayeePerSchool_AndTheBuilderCannotApprove()
    {
        var x = await ApprovedAsync();
        var run = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("built", run["state"]!.GetValue<string>());
        Assert.Equal("700.00", run["total"]!.GetValue<string>());
        Assert.Equal(2, run["payeeCount"]!.GetValue<int>());
        Assert.Equal(3, run["claimCount"]!.GetValue<int>());
        var payees = run["payees"]!.AsArray();
        Assert.Equal("450.00", payees[0]!["amount"]!.GetValue<string>());
        Assert.Equal(2, payees[0]!["claims"]!.AsArray().Count);
        foreach (var id in x.Claims) Assert.Equal("in-payment-run", State((await x.W.Admin.GetAsync($"/api/v1/claims/{id}")).Json));
        var runId = run["id"]!.GetValue<long>();

        // The builder sees no approve button and is refused; a second finance user approves.
        Assert.DoesNotContain("approve", run["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).ExpectProblem(HttpStatusCode.Conflict, rule: "approver-not-builder");
        var checkerView = (await x.Checker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Contains("approve", checkerView["allowedActions"]!.AsArray().Select(a => a!.GetValue<string>()));
        (await x.W.Admin.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).ExpectProblem(HttpStatusCode.Forbidden);
        var approved = (await x.Checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", approved["state"]!.GetValue<string>());

        // The database itself refuses a run approved by its builder, whoever writes it.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("WITH u AS (UPDATE payment_run SET approved_by = built_by WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", runId));

        // No second run can take the same claims.
        (await x.Maker.PostAsync(x.Runs, new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "nothing-to-pay");
    }

    /// <summary>
    /// "Nothing to pay" names the choice to change, in the API's problem and on the page's error summary: a half-term with
    /// no approved claims the half-term, an area with none the area, a date before every approval the date. It named the
    /// date whatever was chosen, so a user who chose only a half-term was sent to the date they had left blank.
    /// </summary>
    /// <summary>
    /// A payment run answers with an ETag, and its approve, export and cancel change only the version sent back as If-Match
    /// (409 stale-version, naming the version now, and nothing done), as the README now says of runs beside claims and plans:
    /// the checker who read a run before it was cancelled and rebuilt is not told "approved" of a version they did not read.
    /// </summary>
    [Fact]
    public async Task ARunsStepsWithIfMatch_ChangeOnlyTheVersionRead()
    {
        var x = await ApprovedAsync();
        var built = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created);
        var id = built.Id;
        var read = built.Headers.ETag!.Tag;
        (await x.Maker.SendAsync(HttpMethod.Post, $"/api/v1/payment-runs/{id}/cancel", new { reason = "rebuild after a late claim" }, ifMatch: "\"1\""))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");
        var approved = (await x.Checker.SendAsync(HttpMethod.Post, $"/api/v1/payment-runs/{id}/approve", null, ifMatch: read)).Expect(HttpStatusCode.OK);
        var stale = (await x.Maker.SendAsync(HttpMethod.Post, $"/api/v1/payment-runs/{id}/export", null, ifMatch: read))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");
        Assert.Equal(approved.Headers.ETag!.Tag, stale.Json["currentETag"]!.GetValue<string>());
        Assert.Equal("approved", (await x.Maker.GetAsync($"/api/v1/payment-runs/{id}")).Json["state"]!.GetValue<string>());
        (await x.Maker.SendAsync(HttpMethod.Post, $"/api/v1/payment-runs/{id}/export", null, ifMatch: approved.Headers.ETag!.Tag)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task NothingToPay_NamesTheChoiceThatLeftNothingToPay_OnThePageAndInTheApi()
    {
        var x = await ApprovedAsync();
        string Field(Answer a) => a.ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "nothing-to-pay").Json["field"]!.GetValue<string>();
        Assert.Equal("periodId", Field(await x.Maker.PostAsync(x.Runs, new { periodId = x.W.Periods["aut2"] })));
        Assert.Equal("areaId", Field(await x.Maker.PostAsync(x.Runs, new { areaId = x.W.S.AreaIds[1] })));
        Assert.Equal("areaId", Field(await x.Maker.PostAsync(x.Runs, new { areaId = x.W.S.AreaIds[1], periodId = x.W.Periods["aut1"] })));
        Assert.Equal("periodId", Field(await x.Maker.PostAsync(x.Runs, new { areaId = x.W.S.AreaIds[0], periodId = x.W.Periods["aut2"] })));
        Assert.Equal("asOf", Field(await x.Maker.PostAsync(x.Runs, new { periodId = x.W.Periods["aut1"], asOf = "2026-09-30" })));

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        var (problems, _) = await PageForms.PostAsync(page, "/finance", new Dictionary<string, string>
        {
            ["areaId"] = "", ["periodId"] = x.W.Periods["aut2"].ToString(), ["asOf-day"] = "", ["asOf-month"] = "", ["asOf-year"] = "",
        });
        var (field, text) = Assert.Single(problems);
        Assert.Equal("periodId", field);
        Assert.StartsWith("No approved claims with money to pay match", text);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_run"));
    }

    [Fact]
    public async Task Build_FiltersByAreaPeriodAndDate_AndRefusesBadFilters()
    {
        var x = await ApprovedAsync();
        (await x.Maker.PostAsync(x.Runs, new { areaId = x.W.S.AreaIds[1] })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "nothing-to-pay");
        (await x.Maker.PostAsync(x.Runs, new { periodId = x.W.Periods["aut2"] })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "nothing-to-pay");
        Assert.Contains("approved on or before 30 September 2026", // the date as the pages give it, and the field to change
            (await x.Maker.PostAsync(x.Runs, new { asOf = "2026-09-30" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "asOf", "nothing-to-pay").Body);
        (await x.Maker.PostAsync(x.Runs, new { areaId = 999999 })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "areaId");
        var unknown = (await x.Maker.PostAsync(x.Runs, new { areaId = 999998, periodId = 999999 })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "periodId").Json["errors"]!;
        Assert.Equal("area 999998 is not an area of this programme", unknown["areaId"]![0]!.GetValue<string>());
        Assert.Equal("half-term 999999 is not a half-term of this programme", unknown["periodId"]![0]!.GetValue<string>()); // said as the area is
        Assert.Contains("cannot be in the future: the ledger does not know it yet", // as the reads and exports say it
            (await x.Maker.PostAsync(x.Runs, new { asOf = "2099-01-01" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "asOf").Body);
        (await x.W.Admin.PostAsync(x.Runs, new { })).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.W.School.GetAsync(x.Runs)).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_run"));
        var run = (await x.Maker.PostAsync(x.Runs, new { areaId = x.W.S.AreaIds[0], periodId = x.W.Periods["aut1"] })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("700.00", run["total"]!.GetValue<string>());
    }

    /// <summary>
    /// The payment runs list is read a page at a time, newest first, by the last id (limit, 500 unless given, as many as it gave
    /// before; 1 to 5000), as the claims list is: it stopped at the newest 500 without a word.
    /// </summary>
    [Fact]
    public async Task ThePaymentRunsList_IsReadAPageAtATime_NewestFirst_ByTheLastId()
    {
        var x = await ApprovedAsync();
        var runs = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add((await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id);
            if (i < 2) (await x.Maker.PostAsync($"/api/v1/payment-runs/{runs[^1]}/cancel", new { reason = "rebuilt" })).Expect(HttpStatusCode.OK);
        }
        long[] Ids(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(r => r!["id"]!.GetValue<long>()).ToArray();
        var page = Ids(await x.Maker.GetAsync($"{x.Runs}?limit=2"));
        Assert.Equal([runs[2], runs[1]], page);
        Assert.Equal([runs[0]], Ids(await x.Maker.GetAsync($"{x.Runs}?limit=2&before={page[^1]}")));
        Assert.Equal([runs[1], runs[0]], Ids(await x.Maker.GetAsync($"{x.Runs}?state=cancelled&before={runs[2]}")));
        (await x.Maker.GetAsync($"{x.Runs}?limit=0")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    [Fact]
    public async Task Cancel_BeforeExport_ReturnsTheClaimsToApproved_AndNeedsAReason()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/cancel", new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        var cancelled = (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/cancel", new { reason = "wrong half-term" })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("cancelled", cancelled["state"]!.GetValue<string>());
        foreach (var id in x.Claims) Assert.Equal("approved", State((await x.W.Admin.GetAsync($"/api/v1/claims/{id}")).Json));
        // its payments were never sent: cancelled with it, not waiting for a confirmation (the answer, the run read again, its CSV)
        Assert.All(cancelled["payees"]!.AsArray(), p => Assert.Equal("cancelled", p!["status"]!.GetValue<string>()));
        Assert.All((await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["payees"]!.AsArray(), p => Assert.Equal("cancelled", p!["status"]!.GetValue<string>()));
        var csv = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}?format=csv")).Expect(HttpStatusCode.OK).Body;
        Assert.DoesNotContain(",pending,", csv);
        Assert.Contains(",cancelled,", csv);
        // The claims can go into a new run; once that is exported it can no longer be cancelled.
        var again = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        // PostgreSQL cancels a payment only with its run, and a cancelled one stays cancelled
        var alone = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.DataSource.ExecuteAsync("UPDATE payment_run_payee SET status = 'cancelled' WHERE payment_run_id = $1", again));
        Assert.Contains("cancelled only with its run", alone.MessageText);
        var back = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.DataSource.ExecuteAsync("UPDATE payment_run_payee SET status = 'pending' WHERE payment_run_id = $1", runId));
        Assert.Contains("is already cancelled: it stays so", back.MessageText);
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{again}/approve", null)).Expect(HttpStatusCode.OK);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{again}/export", null)).Expect(HttpStatusCode.OK);
        var tooLate = (await x.Maker.PostAsync($"/api/v1/payment-runs/{again}/cancel", new { reason = "too late" }))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "illegal-transition").Json;
        // mark-paid is fired by a payment confirmation, never by a request: not offered
        Assert.Empty(tooLate["allowedTriggers"]!.AsArray());
        Assert.DoesNotContain("mark-paid", tooLate["detail"]!.GetValue<string>());
    }

    /// <summary>
    /// A run's own times are its audit events' (AuditTrailTimes): approved, exported, paid and cancelled, and its payees'
    /// confirmations, read by the service's clock while their events took the transaction's, a run read approved or exported
    /// after its event, and a run built in the same transaction as a claim's step after both. Asked after each step.
    /// </summary>
    [Fact]
    public async Task ARunsTimes_AreItsAuditEvents_Approved_Exported_Paid_AndCancelled()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        await AuditTrailTimes.AssertAgreeAsync(Db);
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{urn0},450.00,{Today},paid
            PR{runId:000000}-{urn1},250.00,{Today},failed
            """);
        Assert.Equal("paid", (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["state"]!.GetValue<string>());
        await AuditTrailTimes.AssertAgreeAsync(Db);
        var cancelled = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{cancelled}/cancel", new { reason = "wrong half-term" })).Expect(HttpStatusCode.OK);
        await AuditTrailTimes.AssertAgreeAsync(Db);
        Assert.Equal(2, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE confirmed_at IS NOT NULL"));
    }

    /// <summary>
    /// The auditor's trail and journal named a run "Payment run 3" and its entries' cause the same, where every other page
    /// gives its reference, PR-000003: they give the reference, as they give a claim's (CLM-000021). Then the reference was
    /// text where a claim's was a link: it links to the run's page, which each of their readers (the auditor, finance, the
    /// programme's admins) reads.
    /// </summary>
    [Fact]
    public async Task TheAuditorsTrailAndJournal_NameARunByItsReference_AndLinkToItsPage()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{x.W.S.Schools[0].Urn},450.00,{Today},paid
            """); // the payment's entry is the run's (cause payment_run)
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await x.W.S.AuditorAsync(Db)).UserName);
        var trail = PageTables.Rows(PageTables.Table(await page.GetStringAsync($"/ledger/trail?recordType=payment_run&recordId={runId}"), "events"))
            .Select(PageTables.Cells).ToList();
        Assert.NotEmpty(trail);
        Assert.All(trail, r => Assert.Equal($"Payment run PR-{runId:D6}", r[4]));
        var journal = await page.GetStringAsync($"/ledger/journal?programmeId={x.W.S.ProgrammeId}&paymentRunId=PR-{runId:D6}");
        Assert.Contains($"Payment run PR-{runId:D6}", journal);
        Assert.DoesNotContain($"Payment run {runId}<", journal);

        var link = $"<a class=\"govuk-link\" href=\"/finance/runs/{runId}\">Payment run PR-{runId:D6}</a>";
        Assert.Contains(link, journal);
        Assert.All(PageTables.Rows(PageTables.Table(await page.GetStringAsync($"/ledger/trail?recordType=payment_run&recordId={runId}"), "events")),
            r => Assert.Contains(link, r));
        Assert.Contains($"PR-{runId:D6}", await PageTables.Read(page, $"/finance/runs/{runId}")); // the link opens the run
        using var finance = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        Assert.Contains(link, await finance.GetStringAsync($"/ledger/journal?programmeId={x.W.S.ProgrammeId}&paymentRunId=PR-{runId:D6}"));
        using var admin = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.Admin.UserName);
        Assert.Contains(link, await admin.GetStringAsync($"/ledger/journal?programmeId={x.W.S.ProgrammeId}&paymentRunId=PR-{runId:D6}"));
        Assert.Contains($"PR-{runId:D6}", await PageTables.Read(admin, $"/finance/runs/{runId}"));
    }

    /// <summary>
    /// A claim whose payment failed and which a later run paid has two "add to payment run" steps in its history: they
    /// said nothing of which run each was, on the auditor's page or in the API. Each run's step names its run.
    /// </summary>
    [Fact]
    public async Task AClaimsHistory_NamesTheRunOfEachStepARunTook()
    {
        var x = await ApprovedAsync();
        async Task<long> PaidRunAsync()
        {
            var run = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
            (await x.Checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
            (await x.Maker.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
            return run;
        }
        var first = await PaidRunAsync();
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{first:000000}-{x.W.S.Schools[1].Urn},250.00,{Today},failed
            """);
        var second = await PaidRunAsync();
        var claim = x.Claims[2]; // school 1's

        var history = (await x.W.Lead.GetAsync($"/api/v1/claims/{claim}")).Expect(HttpStatusCode.OK).Json["history"]!.AsArray();
        Assert.Equal([first, first, second], history.Where(h => h!["paymentRunId"] is not null).Select(h => h!["paymentRunId"]!.GetValue<long>()));
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await x.W.S.AuditorAsync(Db)).UserName);
        var rows = PageTables.Rows(PageTables.Table(await page.GetStringAsync($"/ledger/claims/{claim}"), "history")).Select(PageTables.Cells).ToList();
        Assert.Equal([$"Add to payment run PR-{first:D6}: Approved to In payment run", $"Payment failed PR-{first:D6}: In payment run to Approved",
            $"Add to payment run PR-{second:D6}: Approved to In payment run"], rows.Select(r => r[1]).Where(w => w.Contains("PR-")));
    }

    [Fact]
    public async Task Export_WritesOneLinePerPayee_WithAControlTotal_AndKeepsTheFileByteForByte()
    {
        var x = await ApprovedAsync();
        var (runId, file) = await ExportedAsync(x);
        var lines = file.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("record_type,run_reference,payee_urn,payee_name,payee_reference,amount,remittance_reference,remittance_claims,line_count", lines[0]);
        Assert.Equal(4, lines.Length);
        var d = lines[1].Split(',');
        Assert.Equal(["D", $"PR-{runId:000000}", x.W.S.Schools[0].Urn], d[..3]);
        Assert.Equal($"SUP-{x.W.S.Schools[0].Urn}", d[4]);
        Assert.Equal("450.00", d[5]);
        Assert.Equal($"PR{runId:000000}-{x.W.S.Schools[0].Urn}", d[6]);
        Assert.Equal(2, d[7].Split(' ').Length);
        var t = lines[3].Split(',');
        Assert.Equal("T", t[0]);
        Assert.Equal("700.00", t[5]);
        Assert.Equal("2", t[8]);

        var again = (await x.W.S.Root.GetAsync($"/api/v1/payment-runs/{runId}/file")).Expect(HttpStatusCode.OK);
        Assert.Equal(file, again.Body);
        var view = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json;
        Assert.Equal("exported", view["state"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(file))), view["fileSha256"]!.GetValue<string>());
        Assert.Empty(view["allowedActions"]!.AsArray());
        // The file, once exported, cannot be changed in the database.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            Db.ScalarAsync("WITH u AS (UPDATE payment_run SET file = 'x'::bytea WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", runId));
    }

    [Fact]
    public async Task Export_RefusesWhenASchoolHasNoPayeeReference_AndChangesNothing()
    {
        var x = await ApprovedAsync();
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = NULL WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", x.W.S.Schools[1].Id);
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        var problem = (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "payeeReference", "payee-reference-missing").Json;
        Assert.Contains(x.W.S.Schools[1].Urn, problem["detail"]!.GetValue<string>());
        Assert.Equal("approved", (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["state"]!.GetValue<string>());
        Assert.Contains("until it is exported", (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}/file")).ExpectProblem(HttpStatusCode.Conflict, rule: "not-exported").Body);
        // a cancelled run is never exported: its file is not said to come later (found in a review of the API)
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{runId}/cancel", new { reason = "no payee reference yet" })).Expect(HttpStatusCode.OK);
        var cancelled = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}/file")).ExpectProblem(HttpStatusCode.Conflict, rule: "not-exported").Body;
        Assert.Contains("was cancelled before it was exported: it has no payment file, and never will", cancelled);
    }

    [Fact]
    public async Task Confirmations_PaidPostsPayableToPaid_FailedReturnsClaims_MismatchesChangeNothing_AndASecondImportChangesNothing()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        var csv = $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{urn0},450.00,{Today},paid
            PR{runId:000000}-{urn1},250.00,{Today},failed
            PR{runId:000000}-999999,10.00,{Today},paid
            nonsense,1.234,yesterday,maybe
            """;
        var report = await ImportAsync(x, csv);
        Assert.Equal(1, report["paid"]!.GetValue<int>());
        Assert.Equal(1, report["failed"]!.GetValue<int>());
        Assert.Equal(2, report["mismatched"]!.GetValue<int>());
        var outcomes = report["lines"]!.AsArray();
        Assert.Equal(["paid", "failed", "mismatch", "mismatch"], outcomes.Select(o => o!["result"]!.GetValue<string>()));
        Assert.Contains("no payment", outcomes[2]!["reason"]!.GetValue<string>());
        Assert.Contains("amount", outcomes[3]!["reason"]!.GetValue<string>());

        // School 0: payable → paid, both claims paid. School 1: its claim is approved again, money still payable.
        Assert.Equal("0.00", (await x.W.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        Assert.Equal("450.00", (await x.W.AccountAsync(0, "staff-cover", "paid"))["balance"]!.GetValue<string>());
        Assert.Equal("250.00", (await x.W.AccountAsync(1, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        Assert.Equal("paid", State((await x.W.Admin.GetAsync($"/api/v1/claims/{x.Claims[0]}")).Json));
        Assert.Equal("paid", State((await x.W.Admin.GetAsync($"/api/v1/claims/{x.Claims[1]}")).Json));
        Assert.Equal("approved", State((await x.W.Admin.GetAsync($"/api/v1/claims/{x.Claims[2]}")).Json));
        var run = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json;
        Assert.Equal("paid", run["state"]!.GetValue<string>());
        Assert.Equal(["paid", "failed"], run["payees"]!.AsArray().Select(p => p!["status"]!.GetValue<string>()));

        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        var again = await ImportAsync(x, csv);
        Assert.Null(again["importId"]?.GetValue<long?>());
        Assert.Equal(0, again["paid"]!.GetValue<int>() + again["failed"]!.GetValue<int>());
        Assert.Equal(2, again["unchanged"]!.GetValue<int>());
        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM payment_confirmation_import"));

        // The failed claim is paid by the next run.
        var next = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("250.00", next["total"]!.GetValue<string>());
        var tb = (await x.W.S.Root.GetAsync($"/api/v1/programmes/{x.W.S.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
    }

    /// <summary>
    /// A bank file that says a payment was paid on one line and failed on another (or says it twice) is acted on for
    /// none of its lines, whichever comes first: the review found the first line applied, so the file's order decided
    /// whether a school's claim was paid or sent back for another run.
    /// </summary>
    [Fact]
    public async Task Confirmations_APaymentOnTwoLines_IsActedOnForNeither_WhateverTheirOrder()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        var report = await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{urn0},450.00,{Today},paid
            PR{runId:000000}-{urn1},250.00,{Today},paid
            PR{runId:000000}-{urn0},450.00,{Today},failed
            PR{runId:000000}-{urn1},250.00,{Today},paid
            """);
        Assert.Equal((0, 0, 4), (report["paid"]!.GetValue<int>(), report["failed"]!.GetValue<int>(), report["mismatched"]!.GetValue<int>()));
        var reasons = report["lines"]!.AsArray().Select(o => o!["reason"]!.GetValue<string>()).ToList();
        Assert.StartsWith("the remittance reference is on lines 2 and 4 of the file", reasons[0]);
        Assert.StartsWith("the remittance reference is on lines 3 and 5 of the file", reasons[1]);
        Assert.Equal(reasons[0], reasons[2]);
        Assert.Equal("450.00", (await x.W.AccountAsync(0, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        Assert.Equal("250.00", (await x.W.AccountAsync(1, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        foreach (var claim in x.Claims) Assert.NotEqual("paid", State((await x.W.Admin.GetAsync($"/api/v1/claims/{claim}")).Json));
        Assert.Equal(["pending", "pending"], (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["payees"]!.AsArray().Select(p => p!["status"]!.GetValue<string>()));
    }

    /// <summary>
    /// A confirmation line that cannot be read says what to change as the other imports do, naming each field in words:
    /// it read "remittance_reference is empty; amount: must be an amount in pounds such as 1234.50; …".
    /// </summary>
    [Fact]
    public async Task Confirmations_ALineThatCannotBeRead_SaysWhatToChange_AsTheOtherImportsDo()
    {
        var x = await ApprovedAsync();
        await ExportedAsync(x);
        var line = (await ImportAsync(x, "remittance_reference,amount,date,status\n,twelve,31/31/2026,pending\n"))["lines"]!.AsArray().Single()!;
        Assert.Equal("mismatch", line["result"]!.GetValue<string>());
        Assert.Equal("enter the remittance reference; the amount must be a number of pounds and pence, such as 1,250.00; " +
                     "the date must be a date such as 2026-10-05 or 05/10/2026 (day first), not '31/31/2026'; the status must be paid or failed, not 'pending'",
            line["reason"]!.GetValue<string>());
    }

    /// <summary>
    /// A reason typed with space or line breaks around it (a text area's last Enter) is kept as its words alone, its own
    /// line breaks kept, wherever it is kept: the run's cancel reason and the audit trail's, through the API and the page. The
    /// run kept it trimmed but the audit trail as it was sent; one only of spaces is asked for.
    /// </summary>
    [Fact]
    public async Task ACancelReason_IsKeptWithoutTheSpaceAroundIt_InTheRunAndTheAuditTrail_FromTheApiAndThePage()
    {
        var x = await ApprovedAsync();
        async Task<string?> AuditedAsync(long runId) => await Db.DataSource.CreateCommand(
            $"SELECT details->>'reason' FROM audit_event WHERE action = 'payment-run.cancel' AND record_id = {runId}").ExecuteScalarAsync() as string;
        var first = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{first}/cancel", new { reason = " \n\t " })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "reason");
        var cancelled = (await x.Maker.PostAsync($"/api/v1/payment-runs/{first}/cancel", new { reason = "  built twice:\n  see the next run \r\n\r\n" }))
            .Expect(HttpStatusCode.OK).Json;
        Assert.Equal("built twice:\n  see the next run", cancelled["cancelReason"]!.GetValue<string>());
        Assert.Equal("built twice:\n  see the next run", await AuditedAsync(first));

        var second = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        var (problems, _) = await PageForms.PostAsync(page, $"/finance/runs/{second}?handler=cancel", new Dictionary<string, string> { ["reason"] = " \r\n " },
            formAt: $"/finance/runs/{second}");
        Assert.Equal([("reason", "Enter the reason for cancelling the run")], problems);
        using (var answer = await page.PostAsync($"/finance/runs/{second}?handler=cancel", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   [Security.PageFormFuzzTests.Token] = Security.PageFormFuzzTests.TokenOf(await page.GetStringAsync($"/finance/runs/{second}")),
                   ["reason"] = "\r\n wrong half-term \r\n",
               })))
            Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode); // back to the run, cancelled
        Assert.Equal("wrong half-term", (await x.Maker.GetAsync($"/api/v1/payment-runs/{second}")).Json["cancelReason"]!.GetValue<string>());
        Assert.Equal("wrong half-term", await AuditedAsync(second));
    }

    /// <summary>An amount typed 1,450.00 without quotes is two fields: the line was read as £1.00 paid on the date '450.00'.</summary>
    [Fact]
    public async Task Confirmations_ALineWithMoreFieldsThanTheHeader_IsAMismatchSayingHowMany()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var csv = $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{x.W.S.Schools[0].Urn},1,450.00,{Today},paid
            """;
        var line = (await ImportAsync(x, csv))["lines"]!.AsArray().Single()!;
        Assert.Equal("mismatch", line["result"]!.GetValue<string>());
        Assert.Contains("has 5 fields but the header has 4 columns", line["reason"]!.GetValue<string>());
        Assert.Contains("put the amount in quotes or leave out the comma", line["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Confirmations_WithAFailedPayment_TheRunSaysWhatWasPaidAndWhatFailed_NotThatItsWholeTotalWasPaid()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        await ImportAsync(x, $"remittance_reference,amount,date,status\nPR{runId:000000}-{urn0},450.00,{Today},paid\nPR{runId:000000}-{urn1},250.00,{Today},failed\n");

        var run = (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("paid", "700.00"), (run["state"]!.GetValue<string>(), run["total"]!.GetValue<string>()));
        Assert.Equal(("450.00", "250.00", 1), (run["paidTotal"]!.GetValue<string>(), run["failedTotal"]!.GetValue<string>(), run["failedCount"]!.GetValue<int>()));
        var listed = (await x.Maker.GetAsync(x.Runs)).Expect(HttpStatusCode.OK).Json.AsArray().Single(r => r!["id"]!.GetValue<long>() == runId)!;
        Assert.Equal(("450.00", "250.00", 1), (listed["paidTotal"]!.GetValue<string>(), listed["failedTotal"]!.GetValue<string>(), listed["failedCount"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Confirmations_WithoutTheColumns_Returns422_AndBeforeExport_AreMismatches()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new ByteArrayContent("reference,amount\nx,1.00\n"u8.ToArray()), "file", "bad.csv");
            using var response = await x.Maker.Http.PostAsync($"/api/v1/programmes/{x.W.S.ProgrammeId}/payment-confirmations", form);
            (await Answer.ReadAsync(response)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        }
        var report = await ImportAsync(x, $"remittance_reference,amount,date,status\nPR{runId:000000}-{x.W.S.Schools[0].Urn},450.00,{Today},paid\n");
        Assert.Equal(1, report["mismatched"]!.GetValue<int>());
        Assert.Contains("only an exported run is paid", report["lines"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'payment_run'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_confirmation_import"));
        // the attempt is in the audit trail all the same: who sent which file, and why it changed nothing
        Assert.Equal(1, await Db.ScalarAsync("""
            SELECT count(*) FROM audit_event WHERE action = 'payment-confirmations.changed-nothing' AND user_id = $1
               AND details::text LIKE '%only an exported run is paid%'
            """, x.Maker.UserId));
    }

    /// <summary>
    /// A confirmations file that cannot be read is refused and moves no money, but the attempt is the auditors' to see: who
    /// sent which file (name, size, SHA-256), from where, and why it was refused. It left no trace.
    /// </summary>
    [Fact]
    public async Task Confirmations_AFileThatCannotBeRead_IsRefusedMovingNothing_AndTheAttemptIsInTheAuditTrail()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var line = $"PR{runId:000000}-{x.W.S.Schools[0].Urn},450.00,{Today},paid\n";
        var files = new (string Name, byte[] Bytes, string Why)[]
        {
            ("wrong-columns.csv", Encoding.UTF8.GetBytes($"reference,amount,date\n{line}"), "is missing the column(s) remittance_reference, status"),
            ("header-only.csv", "remittance_reference,amount,date,status\n"u8.ToArray(), "has no lines after the header"),
            ("not-text.csv", [.. Encoding.UTF8.GetBytes($"remittance_reference,amount,date,status\n{line}"), 0, 7, (byte)'\n'], "NUL character"),
            ("one-long-line.csv", Encoding.UTF8.GetBytes($"remittance_reference,amount,date,status\n{new string('x', 70_000)},1.00,{Today},paid\n"), "longer than this import takes"),
            ("empty.csv", [], "is missing the column(s)"),
        };
        var auditor = await x.W.S.AuditorAsync(Db);
        await using var fromOutside = ClientAt.Service(Db, "203.0.113.9");
        var maker = new ApiClient(fromOutside.CreateClient(), x.Maker.Http.DefaultRequestHeaders.Authorization!.Parameter, x.Maker.UserId, x.Maker.UserName);
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");

        foreach (var (name, bytes, why) in files)
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(bytes), "file", name);
            using var response = await maker.Http.PostAsync($"/api/v1/programmes/{x.W.S.ProgrammeId}/payment-confirmations", form);
            var problem = (await Answer.ReadAsync(response)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file").Json;
            Assert.Contains(why, problem["errors"]!["file"]![0]!.GetValue<string>());
        }

        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_confirmation_import"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE status <> 'pending'"));
        var events = (await auditor.GetAsync($"/api/v1/audit/events?action=payment-confirmations.refused&limit=100")).Expect(HttpStatusCode.OK)
            .Json["items"]!.AsArray().OrderBy(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(files.Length, events.Count);
        foreach (var ((name, bytes, why), e) in files.Zip(events))
        {
            Assert.Equal(x.Maker.UserName, e!["userName"]!.GetValue<string>());
            Assert.Equal("funder_finance", e["role"]!.GetValue<string>());
            Assert.Equal("203.0.113.9", e["clientAddress"]!.GetValue<string>());
            Assert.Equal(x.W.S.ProgrammeId, e["programmeId"]!.GetValue<long>());
            var details = e["details"]!;
            Assert.Equal(name, details["fileName"]!.GetValue<string>());
            Assert.Equal(bytes.Length, details["bytes"]!.GetValue<int>());
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), details["sha256"]!.GetValue<string>());
            Assert.Contains(why, details["reasons"]![0]!.GetValue<string>());
        }
    }

    /// <summary>
    /// An Idempotency-Key's transaction rolls back with the refusal; the refusal's event is kept all the same, one for each
    /// file received: a retry with the same key is refused again and recorded again, naming the key, so an auditor tells a
    /// retry from another file. It took the event with it.
    /// </summary>
    [Fact]
    public async Task Confirmations_AFileRefusedWithAnIdempotencyKey_IsInTheAuditTrail_OnceForEachTimeItIsSent()
    {
        var x = await ApprovedAsync();
        var auditor = await x.W.S.AuditorAsync(Db);
        var bytes = "remittance_reference,amount,date,status\n"u8.ToArray();
        async Task<string> SendAsync(string key)
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(bytes), "file", "header-only.csv");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/programmes/{x.W.S.ProgrammeId}/payment-confirmations") { Content = form };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await x.Maker.Http.SendAsync(request);
            var problem = (await Answer.ReadAsync(response)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file").Json;
            Assert.False(response.Headers.Contains("Idempotent-Replayed"));
            return problem["errors"]!["file"]![0]!.GetValue<string>();
        }

        var first = await SendAsync("confirmations-1");
        Assert.Equal(first, await SendAsync("confirmations-1"));
        await SendAsync("confirmations-2");

        var events = (await auditor.GetAsync($"/api/v1/audit/events?action=payment-confirmations.refused&limit=100")).Expect(HttpStatusCode.OK)
            .Json["items"]!.AsArray().OrderBy(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(["confirmations-1", "confirmations-1", "confirmations-2"], events.Select(e => e!["details"]!["idempotencyKey"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("header-only.csv", e!["details"]!["fileName"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal(x.Maker.UserName, e!["userName"]!.GetValue<string>()));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM idempotency_key"));
    }

    /// <summary>A run's page, read as a signed-in finance user reads it (HTML decoded).</summary>
    private static Task<string> RunPageAsync(HttpClient page, long runId, string query = "") => PageTables.Read(page, $"/finance/runs/{runId}{query}");

    private static string PayeesCaption(string html) => Regex.Match(html, "<table class=\"govuk-table\" id=\"payees\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;

    /// <summary>The URNs of the schools the page's table of payments lists, in its order.</summary>
    private static List<string> PayeeUrns(string html) =>
        Regex.Matches(html, "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/finance/schools/\\d+\">[^<]*</a> \\((\\d+)\\)</td>")
            .Select(m => m.Groups[1].Value).ToList();

    /// <summary>
    /// A run paying a national programme's schools listed them all on one page, 1,680 rows with the approve button below them:
    /// its payments are listed 100 a page with the true count, the buttons under the run's summary, and a school is found by
    /// its name or URN among them. Here 101 schools: the world's two and 99 more, each with a claim approved.
    /// </summary>
    [Fact]
    public async Task ARunOfManySchools_ListsItsPaymentsAPageAtATime_UnderItsButtons_AndFindsASchool()
    {
        var x = await ApprovedAsync();
        var s = x.W.S;
        var csv = "URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n" + string.Concat(Enumerable.Range(0, 99).Select(i => $"{800000 + i},School {i},Primary,Camden\n"));
        (await s.Root.PostBytesAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import?areaId={s.AreaIds[0]}", Encoding.UTF8.GetBytes(csv), "text/csv"))
            .Expect(HttpStatusCode.OK);
        await s.FundAsync("110000.00"); // £1,000.00 of staff cover to each of 103 schools
        await s.AllocateEachAsync("staff-cover", "1000.00");
        for (var i = 0; i < 99; i++)
        {
            var schoolId = await Db.ScalarAsync("SELECT id FROM school WHERE programme_id = $1 AND urn = $2", s.ProgrammeId, $"{800000 + i}");
            var school = await Db.UserAsync($"sbm-{s.Code}-more-{i}", GrantLedger.Web.Access.Roles.SchoolBusinessManager, s.ProgrammeId, schoolId: schoolId);
            var claim = await x.W.NewClaimAsync(school);
            await x.W.AddStaffTimeAsync(claim, "STAFF-01", "2026-10-05", school: school, allowance: false);
            (await x.W.SubmitAsync(claim, school)).Expect(HttpStatusCode.OK);
            (await x.W.Lead.PostAsync($"/api/v1/claims/{claim}/start-review", null)).Expect(HttpStatusCode.OK);
            (await x.W.Lead.PostAsync($"/api/v1/claims/{claim}/approve", null)).Expect(HttpStatusCode.OK);
        }
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        using var checker = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Checker.UserName);

        var first = await RunPageAsync(checker, runId);
        Assert.Contains("101 schools for 102 claims", first);
        Assert.Equal("Payments 1 to 100 of 101", PayeesCaption(first));
        Assert.True(first.IndexOf("Approve the run", StringComparison.Ordinal) < first.IndexOf("id=\"payees\"", StringComparison.Ordinal));
        Assert.Contains($"href=\"/finance/runs/{runId}?page=2\"", first);
        var second = await RunPageAsync(checker, runId, "?page=2");
        Assert.Equal("Payments 101 to 101 of 101", PayeesCaption(second));
        var listed = PayeeUrns(first).Concat(PayeeUrns(second)).ToList();
        Assert.Equal(101, listed.Distinct().Count());
        Assert.Equal((await x.Checker.GetAsync($"/api/v1/payment-runs/{runId}")).Json["payees"]!.AsArray().Select(p => p!["school"]!["urn"]!.GetValue<string>()), listed); // the file's order

        var byUrn = await RunPageAsync(checker, runId, "?q=80000");
        Assert.Equal("10 payments found", PayeesCaption(byUrn));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{800000 + i}"), PayeeUrns(byUrn));
        var byName = await RunPageAsync(checker, runId, "?q=school+42&status=pending");
        Assert.Equal("1 payment found", PayeesCaption(byName));
        Assert.Equal(["800042"], PayeeUrns(byName));
        Assert.Contains("value=\"school 42\"", byName); // the filters as given, kept in the form
    }

    /// <summary>
    /// A run's failed payment is found from the run's summary, which links to its payments by status; a status the page does not
    /// know is an error on the filter, listing nothing rather than every payment as if none were asked for.
    /// </summary>
    [Fact]
    public async Task ARunsFailedPayments_AreFoundFromItsSummary_AndAStatusItDoesNotKnowIsAnError()
    {
        var x = await ApprovedAsync();
        var (runId, _) = await ExportedAsync(x);
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{runId:000000}-{urn0},450.00,{Today},paid
            PR{runId:000000}-{urn1},250.00,{Today},failed
            """);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);

        var run = await RunPageAsync(page, runId);
        Assert.Equal("2 payments", PayeesCaption(run));
        Assert.Contains("2 schools for 3 claims", run);
        Assert.DoesNotContain("id=\"filters\"", run); // one page of payments: nothing to find them among
        Assert.Contains($"id=\"show-failed\" href=\"/finance/runs/{runId}?status=failed#payees\">Show the failed payment</a>", run);

        var failed = await RunPageAsync(page, runId, "?status=failed");
        Assert.Equal("1 payment found", PayeesCaption(failed));
        Assert.Equal([urn1], PayeeUrns(failed));
        Assert.Contains("<option value=\"failed\" selected>Failed</option>", failed);
        Assert.Equal([urn0], PayeeUrns(await RunPageAsync(page, runId, "?status=paid")));
        var pending = await RunPageAsync(page, runId, "?status=pending");
        Assert.Empty(PayeeUrns(pending));
        // the run's totals are the whole run's, whichever payments the page lists
        foreach (var listing in new[] { run, failed, pending })
        {
            Assert.Contains("id=\"run-paid\">£450.00</dd>", listing);
            Assert.Contains("id=\"run-failed\">£250.00.", listing);
        }

        // the same payments as CSV, to check in a spreadsheet: the run's every payment from the API, the ones found from the page
        static List<string> Rows(string csv) => csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        var all = Rows(await CsvDownloads.FromApiAsync(x.Maker.Http, $"/api/v1/payment-runs/{runId}?format=csv"));
        Assert.Equal("urn,school,payee_reference,current_payee_reference,remittance_reference,claims,status,paid_on,amount", all[0]);
        Assert.Equal($"{urn0},School {urn0},SUP-{urn0},SUP-{urn0},PR{runId:000000}-{urn0},CLM-{x.Claims[0]:D6} CLM-{x.Claims[1]:D6},paid,{Today},450.00", all[1]);
        Assert.Equal($"{urn1},School {urn1},SUP-{urn1},SUP-{urn1},PR{runId:000000}-{urn1},CLM-{x.Claims[2]:D6},failed,,250.00", all[2]);
        Assert.Equal(3, all.Count);
        Assert.Contains($"id=\"payments-csv\" href=\"/finance/runs/{runId}?handler=csv&status=failed\"", failed);
        using (var found = await page.GetAsync($"/finance/runs/{runId}?handler=csv&status=failed"))
            Assert.Equal([all[0], all[2]], Rows(await CsvDownloads.FromPageAsync(found)));

        var wrong = await RunPageAsync(page, runId, "?status=bounced");
        Assert.Contains("Select the status from the list", wrong);
        Assert.Empty(PayeeUrns(wrong));
        Assert.Contains("Put the filters right to list the payments.", wrong);
    }

    /// <summary>
    /// The finance page listed the newest 500 runs without a word (PINS builds a run per area and half-term: 252 a year); it
    /// lists every run, newest first, 50 a page with the true count.
    /// </summary>
    [Fact]
    public async Task TheFinancePage_ListsEveryRun_NewestFirst_APageAtATime_WithTheTrueCount()
    {
        var x = await ApprovedAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        Assert.Contains("No payment runs have been built yet.", await PageTables.Read(page, "/finance"));
        var built = new List<string>();
        for (var i = 0; i < 51; i++) // built and cancelled: its claims are approved again, for the next
        {
            var run = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created);
            built.Add(run.Json["reference"]!.GetValue<string>());
            (await x.Maker.PostAsync($"/api/v1/payment-runs/{run.Id}/cancel", new { reason = "built to count" })).Expect(HttpStatusCode.OK);
        }
        static string Caption(string html) => Regex.Match(html, "<table class=\"govuk-table\" id=\"runs\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;
        static List<string> Listed(string html) => Regex.Matches(html, "href=\"/finance/runs/\\d+\">(PR-\\d+)</a>").Select(m => m.Groups[1].Value).ToList();

        var first = await PageTables.Read(page, "/finance");
        Assert.Equal("Runs 1 to 50 of 51, newest first", Caption(first));
        Assert.Contains("href=\"/finance?page=2\"", first);
        var second = await PageTables.Read(page, "/finance?page=2");
        Assert.Equal("Runs 51 to 51 of 51, newest first", Caption(second));
        Assert.Equal(built.AsEnumerable().Reverse(), Listed(first).Concat(Listed(second)));
    }

    /// <summary>
    /// A run built for one area and half-term did not say so on any page, beside runs built for every school: the list and the
    /// run's page name the area and the half-term (with its year) each was built for, the API gives their ids, and the list is
    /// found by status; a status it does not know is an error on the filter.
    /// </summary>
    [Fact]
    public async Task TheRuns_SayWhatEachWasBuiltFor_AndAreFoundByStatus()
    {
        var x = await ApprovedAsync();
        var (area, aut1) = (x.W.S.AreaIds[0], x.W.Periods["aut1"]);
        var narrow = (await x.Maker.PostAsync(x.Runs, new { areaId = area, periodId = aut1 })).Expect(HttpStatusCode.Created).Id;
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{narrow}/cancel", new { reason = "one area only" })).Expect(HttpStatusCode.OK);
        var whole = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        var listed = (await x.Maker.GetAsync(x.Runs)).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal([whole, narrow], listed.Select(r => r!["id"]!.GetValue<long>()));
        Assert.Equal([null, area], listed.Select(r => r!["areaId"]?.GetValue<long>()));
        Assert.Equal([null, aut1], listed.Select(r => r!["periodId"]?.GetValue<long>()));

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        var rows = Regex.Matches(await PageTables.Read(page, "/finance"), "<tr class=\"govuk-table__row\">\\s*<td class=\"govuk-table__cell\"><a[^>]*>(PR-\\d+)</a></td>(.*?)</tr>", RegexOptions.Singleline)
            .ToDictionary(m => m.Groups[1].Value, m => Regex.Replace(m.Groups[2].Value, "<[^>]+>", " "));
        Assert.Contains("Area 1  Autumn 1 2026-27", rows[$"PR-{narrow:D6}"]);
        Assert.Contains("All areas  All half-terms", rows[$"PR-{whole:D6}"]);
        var narrowPage = await RunPageAsync(page, narrow);
        Assert.Contains("id=\"run-area\">Area 1</dd>", narrowPage);
        Assert.Contains("id=\"run-half-term\">Autumn 1 2026-27</dd>", narrowPage);
        Assert.Contains("id=\"run-area\">All areas</dd>", await RunPageAsync(page, whole));

        static string Caption(string html) => Regex.Match(html, "<table class=\"govuk-table\" id=\"runs\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;
        var cancelled = await PageTables.Read(page, "/finance?state=cancelled");
        Assert.Equal("1 run found, newest first", Caption(cancelled));
        Assert.Contains($">PR-{narrow:D6}</a>", PageTables.Table(cancelled, "runs"));
        Assert.DoesNotContain($">PR-{whole:D6}</a>", PageTables.Table(cancelled, "runs")); // the banner above names it: it waits for approval
        Assert.Contains("<option value=\"cancelled\" selected>Cancelled</option>", cancelled);
        Assert.Contains("No runs have this status.", await PageTables.Read(page, "/finance?state=paid"));
        var wrong = await PageTables.Read(page, "/finance?state=lost");
        Assert.Contains("Select the status from the list", wrong);
        Assert.DoesNotContain("id=\"runs\"", wrong);
    }
}

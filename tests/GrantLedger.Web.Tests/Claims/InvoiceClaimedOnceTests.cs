using System.Data;
using System.Net;
using Npgsql;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// One invoice is claimed once for an action: the line form posted twice (a double click) or a file imported twice added
/// every line again, and the claim was submitted for £198 of a £99 invoice. The same supplier and invoice reference for the
/// same action as a line already on the claim is refused, naming the line that claims it; one invoice split across two
/// actions is still taken. An invoice is claimed once by the school, not once per claim: the same invoice for the same action
/// (by its number, kept across the plan's versions) on another claim of the school's year that was submitted and not refused
/// or withdrawn is refused too, when the line is added and when the claim is submitted.
/// </summary>
public sealed class InvoiceClaimedOnceTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static object Line(ClaimWorld w, long actionId, string supplier = "Sensory Ltd", string invoiceRef = "INV-77", string amount = "99.00") => new
    {
        kind = "action-plan", categoryId = w.Category("action-plan"), actionId, supplier, invoiceRef, amount,
    };

    [Fact]
    public async Task TheSameInvoiceForTheSameAction_IsRefusedNamingInvoiceRefAndTheLine_ThroughTheApi()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0]))).Expect(HttpStatusCode.Created);
        var again = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0], " sensory ltd ", "inv-77 ")))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "invoiceRef");
        Assert.Contains("line 1", again.Body);
        // the same invoice split across another action is taken, and another invoice of the supplier
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[1]))).Expect(HttpStatusCode.Created);
        var other = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0], invoiceRef: "INV-78"))).Expect(HttpStatusCode.Created).Json;
        var third = other["lines"]!.AsArray().Single(l => l!["invoiceRef"]!.GetValue<string>() == "INV-78")!["id"]!.GetValue<long>();
        // nor can a line be changed into a copy of another
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{third}", Line(w, w.Actions[0])))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "invoiceRef");
        Assert.Equal(3L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    [Fact]
    public async Task AFileImportedTwice_OrNamingOneInvoiceTwice_IsRefusedByItsRows_AndAddsNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var csv = $"""
            kind,categoryId,actionId,supplier,invoiceRef,amount
            action-plan,action-plan,{w.Actions[0]},Sensory Ltd,INV-77,99.00
            action-plan,action-plan,{w.Actions[1]},Sensory Ltd,INV-77,10.00
            """;
        (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv")).Expect(HttpStatusCode.OK);
        var twice = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["line 2, invoiceRef", "line 3, invoiceRef"], twice.Json["errors"]!.AsObject().Select(e => e.Key));
        Assert.Contains("line 1", twice.Body);

        var doubled = $"""
            kind,categoryId,actionId,supplier,invoiceRef,amount
            action-plan,action-plan,{w.Actions[0]},Toys Ltd,T-1,20.00
            action-plan,action-plan,{w.Actions[0]},TOYS LTD, t-1 ,20.00
            """;
        var inFile = (await w.School.PostRawAsync($"/api/v1/claims/{id}/lines/import", doubled, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["line 3, invoiceRef"], inFile.Json["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(2L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    [Fact]
    public async Task TheLineFormPostedAgain_ForTheSameInvoice_SaysWhichLineClaimsIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0]))).Expect(HttpStatusCode.Created);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var url = $"/school/claims/{id}/line";
        var (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["kind"] = "action-plan", ["actionId"] = w.Actions[0].ToString(), ["supplier"] = "Sensory Ltd", ["invoiceRef"] = "INV-77", ["amount"] = "99.00",
            ["categoryId"] = w.Category("action-plan").ToString(), ["description"] = "",
        }, formAt: $"{url}?kind=action-plan");
        var (field, text) = Assert.Single(problems);
        Assert.Equal("invoiceRef", field);
        Assert.Contains("line 1", text);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    /// <summary>A draft that holds a copy already (added before this rule) is refused at submission, naming the copy.</summary>
    [Fact]
    public async Task ADraftHoldingTheSameInvoiceTwice_IsNotSubmitted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var first = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0]))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        await Db.ScalarAsync("""
            INSERT INTO claim_line (claim_id, line_no, kind, category_id, amount_pence, action_id, supplier, invoice_ref)
            SELECT claim_id, 2, kind, category_id, amount_pence, action_id, supplier, invoice_ref FROM claim_line WHERE id = $1 RETURNING id
            """, first);
        foreach (var line in (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["lines"]!.AsArray())
            (await w.AttachAsync(id, ClaimWorld.Pdf($"invoice {line!["lineNo"]}"), "invoice.pdf", line["id"]!.GetValue<long>())).Expect(HttpStatusCode.Created);
        var refused = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[1].invoiceRef");
        Assert.Contains("line 1", refused.Body);
    }

    private async Task<long> SubmittedWithAsync(ClaimWorld w, string period, long actionId, string invoiceRef = "INV-77")
    {
        var id = await w.NewClaimAsync(period: period);
        var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, actionId, invoiceRef: invoiceRef))).Expect(HttpStatusCode.Created)
            .Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.AttachAsync(id, ClaimWorld.Pdf(invoiceRef), "invoice.pdf", line)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        return id;
    }

    [Fact]
    public async Task TheSameInvoiceOnAnotherSubmittedClaimOfTheSchool_IsRefusedNamingThatClaim_AnotherSchoolsIsNot()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await SubmittedWithAsync(w, "aut1", w.Actions[0]);
        var next = await w.NewClaimAsync(period: "aut2");
        var refused = (await w.School.PostAsync($"/api/v1/claims/{next}/lines", Line(w, w.Actions[0], "SENSORY LTD", " inv-77")))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "invoiceRef");
        Assert.Contains($"CLM-{first:000000}", refused.Body);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", next));
        // split across another action it is taken, as on one claim
        (await w.School.PostAsync($"/api/v1/claims/{next}/lines", Line(w, w.Actions[1]))).Expect(HttpStatusCode.Created);
        // another school's invoice of the same number is its own
        var theirs = await w.NewClaimAsync(w.OtherSchool);
        (await w.OtherSchool.PostAsync($"/api/v1/claims/{theirs}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = await OtherSchoolsActionAsync(w), supplier = "Sensory Ltd", invoiceRef = "INV-77", amount = "99.00",
        })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task OfTwoDraftsClaimingOneInvoice_TheSecondSubmittedIsRefused_AndOnceTheFirstIsWithdrawnItGoes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var drafts = new List<long>();
        foreach (var period in new[] { "aut1", "aut2" })
        {
            var id = await w.NewClaimAsync(period: period);
            var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0]))).Expect(HttpStatusCode.Created)
                .Json["lines"]![0]!["id"]!.GetValue<long>();
            (await w.AttachAsync(id, ClaimWorld.Pdf(period), "invoice.pdf", line)).Expect(HttpStatusCode.Created);
            drafts.Add(id);
        }
        (await w.SubmitAsync(drafts[0])).Expect(HttpStatusCode.OK);
        var refused = (await w.SubmitAsync(drafts[1])).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].invoiceRef");
        Assert.Contains($"CLM-{drafts[0]:000000}", refused.Body);
        Assert.Equal("draft", (await w.School.GetAsync($"/api/v1/claims/{drafts[1]}")).Json["state"]!.GetValue<string>());

        (await w.School.PostAsync($"/api/v1/claims/{drafts[0]}/withdraw", new { reason = "Claimed on the wrong half-term" })).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(drafts[1])).Expect(HttpStatusCode.OK);
    }

    /// <summary>
    /// Two drafts naming one invoice, submitted at the same moment, each saw the other still a draft: the service's check
    /// reads the other claims before its writes (and a group of submissions written together checks each as if alone), so
    /// both were taken. The database decides it as a claim becomes submitted (migration 0071), whoever writes.
    /// </summary>
    [Fact]
    public async Task TwoDraftsClaimingOneInvoice_SubmittedAtOnce_OneIsRefused_AndAScriptCannotClaimItAgain()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        for (var round = 0; round < 8; round++)
        {
            var pair = new List<long>();
            foreach (var copy in new[] { "a", "b" })
            {
                var id = await w.NewClaimAsync();
                var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0], invoiceRef: $"INV-R{round}", amount: "10.00")))
                    .Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
                (await w.AttachAsync(id, ClaimWorld.Pdf($"{round}{copy}"), "invoice.pdf", line)).Expect(HttpStatusCode.Created);
                pair.Add(id);
            }
            var answers = await Task.WhenAll(pair.Select(id => w.SubmitAsync(id)));
            Assert.True(answers.Count(x => x.Status == HttpStatusCode.OK) == 1,
                $"round {round}: " + string.Join("\n", answers.Select(x => $"{x.Status}: {x.Body[..Math.Min(400, x.Body.Length)]}")));
            var refused = answers.Single(x => x.Status != HttpStatusCode.OK).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].invoiceRef");
            Assert.Contains($"invoice INV-R{round} from Sensory Ltd is already claimed for this action", refused.Body);
            Assert.Equal(1L, await Db.ScalarAsync($"""
                SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id
                 WHERE l.invoice_ref = 'INV-R{round}' AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
                """));
        }
        // a script cannot claim it again either: the database refuses the state change itself
        var draft = await Db.ScalarAsync("SELECT max(c.id) FROM claim c WHERE c.state = 'draft'");
        await using var script = Db.DataSource.CreateCommand(ClaimWorld.SubmittedByScript(draft));
        var refusal = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => script.ExecuteNonQueryAsync());
        Assert.Equal("GL015", refusal.SqlState);
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {draft}"));
    }

    /// <summary>
    /// The database's checks across claims look up what other submissions committed while they waited for their lock
    /// (migration 0073). At REPEATABLE READ or SERIALIZABLE a script's statements read its transaction's first snapshot:
    /// one that began, let the service submit a claim for an invoice, then submitted another draft for the same invoice,
    /// found no other claim and claimed it twice. It is refused before anything is written, naming the level.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.RepeatableRead, "REPEATABLE READ")]
    [InlineData(IsolationLevel.Serializable, "SERIALIZABLE")]
    public async Task AScriptAtAStricterIsolationLevel_CannotClaimAnInvoiceTheServiceClaimedWhileItRan(IsolationLevel level, string named)
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var drafts = new List<long>();
        foreach (var copy in new[] { "a", "b" })
        {
            var id = await w.NewClaimAsync();
            var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0], invoiceRef: "INV-ISO")))
                .Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
            (await w.AttachAsync(id, ClaimWorld.Pdf(copy), "invoice.pdf", line)).Expect(HttpStatusCode.Created);
            drafts.Add(id);
        }
        var submitting = ClaimWorld.SubmittedByScript(drafts[1]);

        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync(level))
        {
            await using (var began = new NpgsqlCommand("SELECT count(*) FROM claim", conn, tx))
                await began.ExecuteScalarAsync(); // the transaction's snapshot is taken here
            (await w.SubmitAsync(drafts[0])).Expect(HttpStatusCode.OK);
            await using var script = new NpgsqlCommand(submitting, conn, tx);
            var refusal = await Assert.ThrowsAsync<PostgresException>(() => script.ExecuteNonQueryAsync());
            Assert.Equal("GL018", refusal.SqlState);
            Assert.Contains($"a claim is submitted only at READ COMMITTED isolation, not {named}", refusal.MessageText);
        }
        Assert.Equal("draft", await Db.TextAsync($"SELECT state FROM claim WHERE id = {drafts[1]}"));
        Assert.Equal(1L, await Db.ScalarAsync("""
            SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id
             WHERE l.invoice_ref = 'INV-ISO' AND c.state NOT IN ('draft', 'rejected', 'withdrawn')
            """));

        // the same script at the default level meets the rule itself
        await using var again = Db.DataSource.CreateCommand(submitting);
        Assert.Equal("GL015", (await Assert.ThrowsAsync<PostgresException>(() => again.ExecuteNonQueryAsync())).SqlState);
    }

    [Fact]
    public async Task ACopyUnderTheRevisedPlansSameAction_IsRefused_AsUnderTheSameVersion()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, w.Actions[0]))).Expect(HttpStatusCode.Created);
        var plan = (await w.School.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Json.AsArray().Single()!["id"]!.GetValue<long>();
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{plan}/revise", null)).Expect(HttpStatusCode.Created).Id;
        (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        var agreed = (await w.Lead.PostAsync($"/api/v1/action-plans/{revision}/agree", null)).Expect(HttpStatusCode.OK).Json;
        var sameAction = agreed["actions"]!.AsArray().Single(a => a!["ref"]!.GetValue<int>() == 1)!["id"]!.GetValue<long>();
        Assert.NotEqual(w.Actions[0], sameAction);

        var again = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", Line(w, sameAction))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "invoiceRef");
        Assert.Contains("line 1", again.Body);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE claim_id = $1", id));
    }

    private static async Task<long> OtherSchoolsActionAsync(ClaimWorld w) => (await w.OtherSchoolsAgreedPlanAsync()).Actions[0];
}

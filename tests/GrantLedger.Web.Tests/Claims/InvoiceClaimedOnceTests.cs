using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// One invoice is claimed once for an action: the line form posted twice (a double click) or a file imported twice added
/// every line again, and the claim was submitted for £198 of a £99 invoice. The same supplier and invoice reference for the
/// same action as a line already on the claim is refused, naming the line that claims it; one invoice split across two
/// actions is still taken.
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
}

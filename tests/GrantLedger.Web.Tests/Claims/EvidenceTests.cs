using System.Net;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GrantLedger.Web.Tests.Claims;

public sealed class EvidenceTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static object ActionLine(ClaimWorld w, string amount = "120.00", string invoiceRef = "INV-1") =>
        new { kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef, amount };

    [Fact]
    public async Task Evidence_TypeIsReadFromTheContent_NotTheName_AndStoredWithItsSha256()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var png = ClaimWorld.Png();
        var attached = (await w.AttachAsync(id, png, "invoice.pdf")).Expect(HttpStatusCode.Created);
        var evidence = attached.Json["evidence"]![0]!;
        // Location is the file's own address, where it was the claim's
        Assert.Equal($"/api/v1/evidence/{evidence["id"]!.GetValue<long>()}", attached.Headers.Location!.OriginalString);
        Assert.Equal("image/png", evidence["contentType"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(png)), evidence["sha256"]!.GetValue<string>());

        using var download = await w.Lead.Http.GetAsync($"/api/v1/evidence/{evidence["id"]!.GetValue<long>()}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(png, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", download.Content.Headers.ContentType!.MediaType);
        (await w.OtherSchool.GetAsync($"/api/v1/evidence/{evidence["id"]!.GetValue<long>()}")).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Evidence_ThatIsNotAPdfPngOrJpeg_OrOver10MB_IsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.AttachAsync(id, "MZ this is an exe"u8.ToArray(), "receipt.pdf")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.AttachAsync(id, [.. ClaimWorld.Pdf(), .. new byte[10 * 1024 * 1024]], "big.pdf")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.AttachAsync(id, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2], "photo.jpg")).Expect(HttpStatusCode.Created);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM evidence"));
    }

    [Fact]
    public async Task ActionPlanSpending_NeedsEvidenceOnItsLine_BeforeSubmitting()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", ActionLine(w))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].evidence");
        (await w.AttachAsync(id, ClaimWorld.Pdf(), "inv.pdf", lineId)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        Assert.Equal("120.00", (await w.AccountAsync(0, "action-plan", "available"))["debitsPending"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheSameFileOnAnotherClaim_IsFlaggedToTheReviewer()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var first = await w.NewClaimAsync();
        var second = await w.NewClaimAsync(period: "aut2");
        var pdf = ClaimWorld.Pdf("INV-1 Sensory Ltd £120");
        (await w.AttachAsync(first, pdf, "inv.pdf")).Expect(HttpStatusCode.Created);
        var claim = (await w.AttachAsync(second, pdf, "same-invoice-again.pdf")).Expect(HttpStatusCode.Created).Json;
        Assert.Equal([first], claim["evidence"]![0]!["alsoOnClaims"]!.AsArray().Select(x => x!.GetValue<long>()));
    }

    /// <summary>
    /// The same file (the same bytes) uploaded again to one claim, for its line, another line or the whole claim: both were kept
    /// and the reviewer saw two invoices. The second is refused, 409 naming the file and where it already is, and nothing is kept.
    /// </summary>
    [Fact]
    public async Task TheSameFileTwiceOnOneClaim_IsRefused409NamingTheFileAndItsLine_AndKeptOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var first = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", ActionLine(w))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        var second = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[1], supplier = "Toys Ltd", invoiceRef = "T-9", amount = "30.00",
        })).Expect(HttpStatusCode.Created).Json["lines"]!.AsArray().Single(l => l!["invoiceRef"]!.GetValue<string>() == "T-9")!["id"]!.GetValue<long>();
        var pdf = ClaimWorld.Pdf("INV-1 Sensory Ltd £120");
        (await w.AttachAsync(id, pdf, "inv-1.pdf", first)).Expect(HttpStatusCode.Created);

        foreach (var (line, name) in new[] { ((long?)first, "again.pdf"), (second, "inv-1.pdf"), (null, "copy.pdf") })
        {
            var refused = (await w.AttachAsync(id, pdf, name, line)).ExpectProblem(HttpStatusCode.Conflict, "file", "evidence-already-attached");
            Assert.Equal("this file is already attached to the claim as inv-1.pdf, for line 1", refused.Json["detail"]!.GetValue<string>());
        }
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));

        // another file is taken, and the same file on another claim is still only flagged
        (await w.AttachAsync(id, ClaimWorld.Pdf("T-9 Toys Ltd £30"), "t-9.pdf", second)).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(await w.NewClaimAsync(period: "aut2"), pdf, "inv-1.pdf")).Expect(HttpStatusCode.Created);

        // a file on the whole claim is named so
        var other = await w.NewClaimAsync();
        (await w.AttachAsync(other, ClaimWorld.Png(), "receipt.png")).Expect(HttpStatusCode.Created);
        var whole = (await w.AttachAsync(other, ClaimWorld.Png(), "receipt-again.png")).ExpectProblem(HttpStatusCode.Conflict, "file");
        Assert.Equal("this file is already attached to the claim as receipt.png, for the whole claim", whole.Json["detail"]!.GetValue<string>());
    }

    /// <summary>
    /// One invoice split across two actions goes on a line for each (InvoiceClaimedOnceTests), and each action-plan line needs
    /// its invoice attached to be submitted: the invoice's file is taken on each of its lines, once each.
    /// </summary>
    [Fact]
    public async Task OneInvoiceSplitAcrossActions_TakesItsFileOnEachOfItsLines_OnceEach()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lines = new List<long>();
        foreach (var (action, amount) in new[] { (w.Actions[0], "70.00"), (w.Actions[1], "50.00") })
            lines.Add((await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
            {
                kind = "action-plan", categoryId = w.Category("action-plan"), actionId = action, supplier = "Sensory Ltd", invoiceRef = "INV-1", amount,
            })).Expect(HttpStatusCode.Created).Json["lines"]!.AsArray().Single(l => l!["amount"]!.GetValue<string>() == amount)!["id"]!.GetValue<long>());
        var pdf = ClaimWorld.Pdf("INV-1 Sensory Ltd £120");
        (await w.AttachAsync(id, pdf, "inv-1.pdf", lines[0])).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(id, pdf, "inv-1.pdf", lines[1])).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(id, pdf, "inv-1.pdf", lines[1])).ExpectProblem(HttpStatusCode.Conflict, "file");
        (await w.AttachAsync(id, pdf, "inv-1.pdf")).ExpectProblem(HttpStatusCode.Conflict, "file");

        // line 2 changed to another invoice since: INV-1's file no longer supports it, and the submission says so
        object Line2(string invoiceRef) => new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[1], supplier = "Sensory Ltd", invoiceRef, amount = "50.00",
        };
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{lines[1]}", Line2("INV-2"))).Expect(HttpStatusCode.OK);
        var refused = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[1].evidence");
        Assert.Contains("line 2's file inv-1.pdf is line 1's too, for another invoice", refused.Body);
        (await w.School.PutAsync($"/api/v1/claims/{id}/lines/{lines[1]}", Line2(" inv-1 "))).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
    }

    /// <summary>Two uploads of one file to one claim at once: the claim's lock orders them, and the second is refused.</summary>
    [Fact]
    public async Task TheSameFileUploadedTwiceAtOnce_IsKeptOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var pdf = ClaimWorld.Pdf("INV-5");
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => w.AttachAsync(id, pdf, $"inv-5-{i}.pdf")));
        Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => a.ExpectProblem(HttpStatusCode.Conflict, "file", "evidence-already-attached"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));
    }

    [Fact]
    public async Task TheSameFileOnAnotherClaim_IsNamedOnlyWhereTheCallerMayReadThatClaim_AndNeverInAnotherProgramme()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var pdf = ClaimWorld.Pdf("INV-9 Sensory Ltd £120");
        async Task<long> CarryingAsync(ApiClient school, string period = "aut1")
        {
            var id = await w.NewClaimAsync(school, period);
            (await w.AttachAsync(id, pdf, "inv.pdf", school: school)).Expect(HttpStatusCode.Created);
            return id;
        }
        var mine = await CarryingAsync(w.School);
        var mineLater = await CarryingAsync(w.School, "aut2");
        var sameArea = await CarryingAsync(w.OtherSchool);                         // school 1, area 0
        var otherArea = await CarryingAsync(await w.S.SchoolUserAsync(Db, 2));     // school 2, area 1
        var other = await Scenario.CreateAsync(Db, 1, 1, "op");
        var otherPeriod = (await other.Root.GetAsync($"/api/v1/programmes/{other.ProgrammeId}/years")).Expect(HttpStatusCode.OK).Json
            .AsArray()[0]!["periods"]!.AsArray()[0]!["id"]!.GetValue<long>();
        var otherSchool = await other.SchoolUserAsync(Db, 0);
        var otherProgramme = (await otherSchool.PostAsync("/api/v1/claims", new { periodId = otherPeriod, description = "same file" })).Expect(HttpStatusCode.Created).Id;
        (await w.AttachAsync(otherProgramme, pdf, "inv.pdf", school: otherSchool)).Expect(HttpStatusCode.Created);

        async Task<long[]> AlsoOnAsync(ApiClient reader, long claim) =>
            (await reader.GetAsync($"/api/v1/claims/{claim}")).Expect(HttpStatusCode.OK).Json["evidence"]![0]!["alsoOnClaims"]!.AsArray()
            .Select(x => x!.GetValue<long>()).ToArray();
        Assert.Equal([mineLater], await AlsoOnAsync(w.School, mine));
        Assert.Equal([mineLater, sameArea], await AlsoOnAsync(w.Lead, mine));
        Assert.Equal([mineLater, sameArea, otherArea], await AlsoOnAsync(w.Admin, mine));
        Assert.Equal([mineLater, sameArea, otherArea], await AlsoOnAsync(await w.S.AuditorAsync(Db), mine));
        Assert.Empty(await AlsoOnAsync(otherSchool, otherProgramme));
        // an auditor reads every programme, but a duplicate is looked for in the claim's own programme only
        Assert.Empty(await AlsoOnAsync(await other.AuditorAsync(Db), otherProgramme));

        // the reviewer's page flags the same claims as the API
        using var http = Db.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        await Security.PageFormFuzzTests.SignInAsync(http, w.Lead.UserName);
        var page = await http.GetStringAsync($"/review/claims/{mine}");
        Assert.Contains($"Also on claim {mineLater}, {sameArea}</strong>", page);
    }

    /// <summary>
    /// Removing a file acts on the claim version the school read, as attaching one does: If-Match with the claim's ETag
    /// from before a line was added is refused, 409 stale-version, and the file stays (it was ignored, 204).
    /// </summary>
    [Fact]
    public async Task RemovingEvidence_WithAStaleIfMatch_Returns409_AndKeepsTheFile()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var attached = (await w.AttachAsync(id, ClaimWorld.Pdf(), "timesheet.pdf")).Expect(HttpStatusCode.Created);
        var evidenceId = attached.Json["evidence"]![0]!["id"]!.GetValue<long>();
        var stale = attached.Headers.ETag!.Tag;
        await w.AddStaffTimeAsync(id);

        foreach (var etag in new[] { stale, "\"1\"" })
            (await w.School.SendAsync(HttpMethod.Delete, $"/api/v1/evidence/{evidenceId}", null, ifMatch: etag))
                .ExpectProblem(HttpStatusCode.Conflict, rule: "stale-version");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM evidence"));
        var current = (await w.School.GetAsync($"/api/v1/claims/{id}")).Headers.ETag!.Tag;
        (await w.School.SendAsync(HttpMethod.Delete, $"/api/v1/evidence/{evidenceId}", null, ifMatch: current)).Expect(HttpStatusCode.NoContent);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM evidence"));
    }

    [Fact]
    public async Task Evidence_IsFrozenOnceTheClaimIsSubmitted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        var evidenceId = (await w.AttachAsync(id, ClaimWorld.Pdf(), "timesheet.pdf")).Expect(HttpStatusCode.Created).Json["evidence"]![0]!["id"]!.GetValue<long>();
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.AttachAsync(id, ClaimWorld.Png(), "late.png")).ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
        (await w.School.DeleteAsync($"/api/v1/evidence/{evidenceId}")).ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
        await using var cmd = Db.DataSource.CreateCommand($"DELETE FROM evidence WHERE id = {evidenceId}");
        Assert.Equal("GL007", (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => cmd.ExecuteNonQueryAsync())).SqlState);
        // nor can it be moved to a draft claim, which would leave the submitted claim without what its reviewer saw
        var draft = await w.NewClaimAsync();
        await using var move = Db.DataSource.CreateCommand($"UPDATE evidence SET claim_id = {draft} WHERE id = {evidenceId}");
        Assert.Equal("GL007", (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => move.ExecuteNonQueryAsync())).SqlState);
        Assert.Equal(id, await Db.ScalarAsync($"SELECT claim_id FROM evidence WHERE id = {evidenceId}"));
    }

    [Fact]
    public async Task ATransitionsAnswer_IsTheClaimAsReadRightAfterIt_EvidencePlanAndHistoryIncluded()
    {
        // a transition answers from the evidence and history it read with the claim's lock, not by reading them after commit
        var w = await ClaimWorld.CreateAsync(Db);
        var pdf = ClaimWorld.Pdf("INV-7 Sensory Ltd £120");
        (await w.AttachAsync(await w.NewClaimAsync(period: "aut2"), pdf, "earlier.pdf")).Expect(HttpStatusCode.Created);
        var id = await w.NewClaimAsync();
        var lineId = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", ActionLine(w))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.AttachAsync(id, pdf, "inv.pdf", lineId)).Expect(HttpStatusCode.Created);

        async Task SameAsAGet(Answer fired, ApiClient reader)
        {
            var read = (await reader.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
            Assert.Equal(read.Body, fired.Body);
            Assert.Equal(read.Headers.ETag, fired.Headers.ETag);
        }
        var submitted = (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        await SameAsAGet(submitted, w.School);
        Assert.NotNull(submitted.Json["plan"]);
        Assert.Single(submitted.Json["evidence"]![0]!["alsoOnClaims"]!.AsArray());
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        var approved = (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        await SameAsAGet(approved, w.Lead);
        Assert.Equal(["submit", "start-review", "approve"], approved.Json["history"]!.AsArray().Select(h => h!["trigger"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ThePlanBesideTheClaim_ShowsEstimatedClaimedAndApprovedPerAction()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        async Task<long> Spend(string amount, string period)
        {
            var id = await w.NewClaimAsync(period: period);
            // an invoice of its own for each claim: one invoice is claimed once
            var lineId = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", ActionLine(w, amount, $"INV-{period}"))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
            (await w.AttachAsync(id, ClaimWorld.Pdf(amount + period), "inv.pdf", lineId)).Expect(HttpStatusCode.Created);
            (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
            return id;
        }
        var approved = await Spend("100.00", "aut1");
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var pending = await Spend("50.00", "aut2");

        var plan = (await w.Lead.GetAsync($"/api/v1/claims/{pending}")).Expect(HttpStatusCode.OK).Json["plan"]!;
        var action = plan["actions"]!.AsArray().Single(a => a!["actionRef"]!.GetValue<int>() == 1)!;
        Assert.Equal("300.00", action["estimated"]!.GetValue<string>());
        Assert.Equal("150.00", action["claimedSoFar"]!.GetValue<string>());
        Assert.Equal("100.00", action["approvedSoFar"]!.GetValue<string>());
        Assert.Equal("50.00", action["thisClaim"]!.GetValue<string>());
        Assert.Equal(["learning", "support"], plan["themes"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    /// <summary>
    /// A line id that is not a number, sent with the file: 400 naming <c>lineId</c> as a whole number, and saying the
    /// form's fields were not valid (it said the body was not valid JSON, of a multipart upload).
    /// </summary>
    [Fact]
    public async Task Upload_WithALineIdThatIsNotANumber_Is400NamingLineId_AsAFormField()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(ClaimWorld.Pdf()), "file", "invoice.pdf" },
            { new StringContent("abc"), "lineId" },
        };
        using var response = await w.School.Http.PostAsync($"/api/v1/claims/{id}/evidence", form);
        var answer = await Answer.ReadAsync(response);
        answer.Expect(HttpStatusCode.BadRequest);
        Assert.Equal("The request's form fields are not valid.", answer.Json["detail"]!.GetValue<string>());
        Assert.Equal("must be a whole number", answer.Json["errors"]!["lineId"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM evidence"));
    }

    /// <summary>The evidence page's refusals name the file ("The file must be a PDF, PNG or JPEG…"), not "Must be a PDF…".</summary>
    [Fact]
    public async Task TheEvidencePage_NamesTheFileInItsRefusals()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var form = await page.GetStringAsync($"/school/claims/{id}/evidence");
        using var upload = new MultipartFormDataContent
        {
            { new StringContent(Security.PageFormFuzzTests.TokenOf(form)), Security.PageFormFuzzTests.Token },
            { new ByteArrayContent("MZ this is an exe"u8.ToArray()), "file", "receipt.pdf" },
        };
        using var answer = await page.PostAsync($"/school/claims/{id}/evidence", upload);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("The file must be a PDF, PNG or JPEG", await answer.Content.ReadAsStringAsync());
    }

    /// <summary>The evidence page refuses the same file again as the API does, in its error summary linked to the file.</summary>
    [Fact]
    public async Task TheEvidencePage_RefusesTheSameFileAgain_NamingWhereItIs()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", ActionLine(w))).Expect(HttpStatusCode.Created).Json["lines"]![0]!["id"]!.GetValue<long>();
        var pdf = ClaimWorld.Pdf("INV-1 Sensory Ltd £120");
        (await w.AttachAsync(id, pdf, "inv-1.pdf", line)).Expect(HttpStatusCode.Created);
        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var form = await page.GetStringAsync($"/school/claims/{id}/evidence");
        using var upload = new MultipartFormDataContent
        {
            { new StringContent(Security.PageFormFuzzTests.TokenOf(form)), Security.PageFormFuzzTests.Token },
            { new StringContent(System.Text.RegularExpressions.Regex.Match(form, "name=\"formKey\" value=\"([^\"]*)\"").Groups[1].Value), "formKey" },
            { new StringContent("claim"), "lineId" },
            { new ByteArrayContent(pdf), "file", "scan.pdf" },
        };
        using var answer = await page.PostAsync($"/school/claims/{id}/evidence", upload);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = System.Net.WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
        Assert.Equal([("file", "This file is already attached to the claim as inv-1.pdf, for line 1")], PageForms.Problems(html));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));
    }
}

using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>
/// The auditor reads the payment runs' pages as finance does (read-only, every programme), with nothing to do; so do the
/// programme's admins, for their programme (the API let them read runs and payments, the pages did not).
/// </summary>
public sealed partial class PaymentRunTests
{
    [Fact]
    public async Task TheAuditor_ReadsThePaymentRuns_AndARun_OfTheProgrammeChosen_WithNothingToDo_AndAPostWritesNothing()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        var elsewhere = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: x.W.S.Root);
        using var finance = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await x.W.S.AuditorAsync(Db)).UserName);

        var financeRuns = await PageTables.Read(finance, "/finance");
        var audited = await PageTables.Read(auditor, $"/finance?programmeId={x.W.S.ProgrammeId}");
        Assert.Equal(PageTables.Table(financeRuns, "runs"), PageTables.Table(audited, "runs"));
        Assert.Contains($"href=\"/finance/runs/{runId}\"", PageTables.Table(audited, "runs"));
        Assert.Contains("Build a payment run", financeRuns);
        Assert.Contains("id=\"to-approve\"", financeRuns); // waiting for another finance user's approval
        Assert.DoesNotContain("Build a payment run", audited);
        Assert.DoesNotContain("id=\"to-do\"", audited);
        Assert.Contains("name=\"programmeId\"", audited);
        Assert.Contains("href=\"/finance\"", audited); // in the auditor's navigation
        Assert.Contains("No payment runs have been built yet.", await PageTables.Read(auditor, $"/finance?programmeId={elsewhere.ProgrammeId}"));
        using (var notTheirs = await finance.GetAsync($"/finance?programmeId={elsewhere.ProgrammeId}"))
            Assert.StartsWith("/forbidden", notTheirs.Headers.Location?.OriginalString);

        var run = await PageTables.Read(auditor, $"/finance/runs/{runId}");
        var financeRun = await PageTables.Read(finance, $"/finance/runs/{runId}");
        Assert.Equal(PageTables.Table(financeRun, "payees"), PageTables.Table(run, "payees"));
        Assert.Contains("Cancel the run", financeRun);
        Assert.Contains("Another finance user must approve this run", financeRun); // its builder reads it
        foreach (var offered in new[] { "Approve the run", "Export the payment file", "Cancel the run", "Another finance user must approve this run" })
            Assert.DoesNotContain(offered, run);
        Assert.Contains($"href=\"/finance?programmeId={x.W.S.ProgrammeId}\">Back to payment runs</a>", run);

        // the forms posted anyway, with the auditor's own token: refused, and nothing written
        await PostingTheRunsFormsWritesNothingAsync(x, auditor, runId, "an auditor's", "approve", "export", "cancel");
    }

    [Fact]
    public async Task TheProgrammesAdmin_ReadsThePaymentPages_OfTheirProgramme_WithNothingToDo_AndAPostWritesNothing()
    {
        var x = await ApprovedAsync();
        var runId = (await x.Maker.PostAsync(x.Runs, new { periodId = x.W.Periods["aut1"], areaId = x.W.S.AreaIds[0] })).Expect(HttpStatusCode.Created).Id;
        var elsewhere = await Scenario.CreateAsync(Db, 1, 1, code: "tc", root: x.W.S.Root);
        var school = x.W.S.Schools[0];
        using var finance = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.Admin.UserName);

        var runs = await PageTables.Read(admin, "/finance");
        Assert.Equal(PageTables.Table(await PageTables.Read(finance, "/finance"), "runs"), PageTables.Table(runs, "runs"));
        Assert.DoesNotContain("Build a payment run", runs);
        Assert.DoesNotContain("id=\"to-do\"", runs);
        foreach (var nav in new[] { "href=\"/finance\"", "href=\"/finance/schools\"" }) Assert.Contains(nav, runs); // in the admin's navigation
        var run = await PageTables.Read(admin, $"/finance/runs/{runId}");
        Assert.Equal(PageTables.Table(await PageTables.Read(finance, $"/finance/runs/{runId}"), "payees"), PageTables.Table(run, "payees"));
        foreach (var offered in new[] { "Approve the run", "Export the payment file", "Cancel the run", "Another finance user must approve this run" })
            Assert.DoesNotContain(offered, run);
        Assert.Contains("No approved claims are waiting for a payment run.", await PageTables.Read(admin, "/finance/owed"));
        Assert.Contains($"href=\"/finance/schools/{school.Id}\"", await PageTables.Read(admin, "/finance/schools"));
        Assert.Contains($"id=\"payee-reference\">SUP-{school.Urn}</dd>", await PageTables.Read(admin, $"/finance/schools/{school.Id}")); // the reference they set

        // another programme's admin reads none of it
        using var otherAdmin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await elsewhere.ProgrammeAdminAsync(Db)).UserName);
        foreach (var url in new[] { $"/finance/runs/{runId}", $"/finance/schools/{school.Id}", $"/finance?programmeId={x.W.S.ProgrammeId}" })
        {
            using var refused = await otherAdmin.GetAsync(url);
            Assert.StartsWith("/forbidden", refused.Headers.Location?.OriginalString);
        }

        // the forms posted anyway: refused, and nothing written
        await PostingTheRunsFormsWritesNothingAsync(x, admin, runId, "an admin's", "approve", "cancel");
    }

    /// <summary>
    /// The build form and the run's forms (<paramref name="handlers"/>; a cancel with <paramref name="reason"/>) posted by a
    /// reader with nothing to do, each with the reader's own token: refused, nothing written, and the run still built.
    /// </summary>
    private async Task PostingTheRunsFormsWritesNothingAsync(World x, HttpClient reader, long runId, string reason, params string[] handlers)
    {
        var before = await Written.FingerprintAsync(Db);
        var forms = new List<(string Url, string FormAt, Dictionary<string, string> Fields)>
        {
            ("/finance", "/finance", new() { ["areaId"] = "", ["periodId"] = "", ["asOf-day"] = "", ["asOf-month"] = "", ["asOf-year"] = "" }),
        };
        forms.AddRange(handlers.Select(h => ($"/finance/runs/{runId}?handler={h}", $"/finance/runs/{runId}",
            h == "cancel" ? new Dictionary<string, string> { ["reason"] = reason } : new Dictionary<string, string>())));
        foreach (var (url, formAt, fields) in forms)
        {
            fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await reader.GetStringAsync(formAt));
            using var answer = await reader.PostAsync(url, new FormUrlEncodedContent(fields));
            var went = answer.Headers.Location?.OriginalString ?? "";
            Assert.True(answer.StatusCode == HttpStatusCode.OK || went.StartsWith("/forbidden"), $"{url}: {answer.StatusCode} to {went}");
        }
        Assert.Equal(before, await Written.FingerprintAsync(Db));
        Assert.Equal("built", (await x.Maker.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
    }
}

using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>The payment runs page opens with the runs that wait for finance: the runs list gave each one's status, and nobody was told.</summary>
public sealed partial class PaymentRunTests
{
    /// <summary>The banner's line when approved claims wait for a run, leading to what is owed.</summary>
    private const string ToPay = "id=\"to-pay\">Approved claims are waiting for a payment run: <a class=\"govuk-notification-banner__link\" href=\"/finance/owed\">";

    /// <summary>
    /// A run built waits for approval (its builder is told another finance user must approve it; the other, that it waits for
    /// them), then for its export, then for the finance system's confirmations, counted in money as they come; once every
    /// payment is confirmed it waits for nobody. A cancelled run waits for nobody either. The approved claims no run has
    /// taken wait to be paid: before the run, and a claim again once its payment failed or its run was cancelled.
    /// </summary>
    [Fact]
    public async Task ThePaymentRunsPage_SaysWhichRunsWaitForApproval_Export_OrConfirmations()
    {
        var x = await ApprovedAsync();
        var (s0, s1) = (x.W.S.Schools[0], x.W.S.Schools[1]);
        using var maker = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        using var checker = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Checker.UserName);
        var before = PageTables.WaitingForYou(await PageTables.Read(maker, "/finance"));
        Assert.Contains(ToPay, before);
        foreach (var other in new[] { "to-approve", "to-export", "to-confirm" }) Assert.DoesNotContain($"id=\"{other}\"", before);

        var run = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        var link = $"<a class=\"govuk-notification-banner__link\" href=\"/finance/runs/{run}\">PR-{run:000000}</a>";
        var built = PageTables.WaitingForYou(await PageTables.Read(maker, "/finance"));
        Assert.Contains($"{link}, £700.00 to 2 schools, built by you: another finance user must approve it", built);
        Assert.DoesNotContain("id=\"to-pay\"", built);
        Assert.Contains($"{link}, £700.00 to 2 schools, waiting for your approval", PageTables.WaitingForYou(await PageTables.Read(checker, "/finance")));

        (await x.Checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        var toExport = PageTables.WaitingForYou(await PageTables.Read(maker, "/finance"));
        Assert.Contains($"{link}, £700.00 to 2 schools, approved: its payment file is ready to export", toExport);
        Assert.DoesNotContain("id=\"to-approve\"", toExport);

        (await x.Maker.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
        var toConfirm = PageTables.WaitingForYou(await PageTables.Read(checker, "/finance"));
        Assert.Contains($"{link}, sent on {GrantLedger.Core.Ledger.UkTime.Today:d MMMM yyyy}: £700.00 of £700.00 not yet confirmed paid or failed", toConfirm);
        Assert.Contains("href=\"/finance/confirmations\"", toConfirm);
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{run:000000}-{s0.Urn},450.00,{Today},paid
            """);
        Assert.Contains("£250.00 of £700.00 not yet confirmed paid or failed", PageTables.WaitingForYou(await PageTables.Read(checker, "/finance")));
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{run:000000}-{s1.Urn},250.00,{Today},failed
            """);
        var failed = PageTables.WaitingForYou(await PageTables.Read(checker, "/finance"));
        Assert.Contains(ToPay, failed); // approved again, to pay again
        foreach (var other in new[] { "to-approve", "to-export", "to-confirm" }) Assert.DoesNotContain($"id=\"{other}\"", failed);

        // school 1's claim, approved again when its payment failed, in a run built and cancelled
        var cancelled = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        Assert.Contains($"PR-{cancelled:000000}</a>, £250.00 to 1 school, built by you", PageTables.WaitingForYou(await PageTables.Read(maker, "/finance")));
        Assert.DoesNotContain("id=\"to-pay\"", PageTables.WaitingForYou(await PageTables.Read(maker, "/finance")));
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{cancelled}/cancel", new { reason = "built too early" })).Expect(HttpStatusCode.OK);
        var afterCancel = PageTables.WaitingForYou(await PageTables.Read(maker, "/finance"));
        Assert.Contains(ToPay, afterCancel);
        Assert.DoesNotContain("id=\"to-approve\"", afterCancel);
    }
}

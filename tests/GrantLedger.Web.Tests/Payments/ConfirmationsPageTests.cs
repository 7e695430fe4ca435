using System.Net;
using GrantLedger.Web.Tests.Exports;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>Funder finance's /finance/confirmations: the report of a file imported, as the finance user reads it.</summary>
public sealed class ConfirmationsPageTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AFileWhoseLinesAreNotMatched_IsNotReportedAsASuccess_ButSaysTheyChangedNothing_AndAMatchedOneIs()
    {
        var (x, runId, payee) = await PendingPaymentAsync();
        var amount = decimal.Parse(payee["amount"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        string File(decimal paid) => $"remittance_reference,amount,date,status\r\n{payee["remittanceReference"]},{paid:0.00},{x.Today:yyyy-MM-dd},paid\r\n";

        var wrong = await UploadAsync(page, File(amount + 0.01m)); // a penny out: a mismatch, which pays nothing
        Assert.DoesNotContain("govuk-notification-banner--success", wrong);
        Assert.DoesNotContain(">Imported<", wrong);
        Assert.Contains("0 paid, 0 failed, 0 unchanged, 1 not matched: the line not matched changed nothing", wrong);
        // in pounds, as every page writes money (it read "the amount 250.01 differs from the 250.00")
        Assert.Contains($"the amount £{amount + 0.01m:#,##0.00} differs from the £{amount:#,##0.00} in the payment file", WebUtility.HtmlDecode(wrong));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE status <> 'pending' AND remittance_reference = $1",
            payee["remittanceReference"]!.GetValue<string>()));

        var right = await UploadAsync(page, File(amount));
        Assert.Contains("govuk-notification-banner--success", right);
        Assert.Contains("1 paid, 0 failed, 0 unchanged, 0 not matched", right);
    }

    /// <summary>
    /// A line dated in a half-term closed since the file was exported was refused as "the date falls in Autumn 1, which is
    /// closed", without the year, where every other refusal names the half-term with it: "Autumn 1 2026-27".
    /// </summary>
    [Fact]
    public async Task ALineDatedInAClosedHalfTerm_IsRefused_NamingTheHalfTermWithItsYear()
    {
        var (x, runId, payee) = await PendingPaymentAsync();
        // exported on 1 September, its Autumn 1 closed since
        await Db.ScalarAsync("UPDATE payment_run SET exported_at = '2026-09-01 12:00+01' WHERE id = $1 RETURNING id", runId);
        await Db.ScalarAsync("UPDATE period SET closed_at = now() WHERE id = $1 RETURNING id", x.W.Periods["aut1"]);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        var said = await UploadAsync(page, $"remittance_reference,amount,date,status\r\n{payee["remittanceReference"]},{payee["amount"]},2026-10-15,paid\r\n");
        Assert.Contains("the date falls in Autumn 1 2026-27, which is closed", said);
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE status <> 'pending' AND remittance_reference = $1",
            payee["remittanceReference"]!.GetValue<string>()));
    }

    /// <summary>
    /// A run paying every PINS school was listed with "1680" schools beside "£13,000,000.00", and the year end said "1680
    /// schools": finance's counts are written by Gov.Number, as the pages' others are ("1,680").
    /// </summary>
    [Fact]
    public async Task FinancesCounts_OfAThousandOrMore_HaveTheirThousandsMarked_AsEveryOtherNumber()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var runId = (await x.Finance.GetAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-runs")).Expect(HttpStatusCode.OK).Json.AsArray()[0]!["id"]!.GetValue<long>();
        // a run's figures are its payees' (migration 0078): these are written past that guard, for the page to show them
        await Db.DataSource.TamperAsync("UPDATE payment_run SET payee_count = 1680, claim_count = 2004 WHERE id = $1", runId);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        var runs = WebUtility.HtmlDecode(await page.GetStringAsync("/finance"));
        Assert.Contains("<td class=\"govuk-table__cell govuk-table__cell--numeric\">1,680</td>", runs);
        Assert.Contains("<td class=\"govuk-table__cell govuk-table__cell--numeric\">2,004</td>", runs);
        Assert.Equal("1,680 schools", GrantLedger.Web.Payments.Closing.Schools(1680)); // the year end's "unspent across 1,680 schools"
        Assert.Equal("Paid, 1,002 payments failed", System.Text.RegularExpressions.Regex.Replace(GrantLedger.Web.Pages.Gov.RunTag("paid", 1680, 1002).ToString()!, "<[^>]+>", ""));
    }

    /// <summary>
    /// A file of a national run's confirmations listed its lines in the file's order, the few not matched wherever they fell among
    /// 1,680: the lines not matched, to correct and import again, come first with their reasons, counted; then the lines matched.
    /// </summary>
    [Fact]
    public async Task TheLinesNotMatched_AreListedFirst_WithTheirReasons_ThenTheLinesMatched()
    {
        var (x, runId, payee) = await PendingPaymentAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Finance.UserName);
        var said = await UploadAsync(page, $"""
            remittance_reference,amount,date,status
            PR999999-000000,10.00,{x.Today:yyyy-MM-dd},paid
            {payee["remittanceReference"]},{payee["amount"]},{x.Today:yyyy-MM-dd},paid
            nonsense,1.234,yesterday,maybe
            """.Replace("\n", "\r\n"));
        var notMatched = said.IndexOf("id=\"not-matched\"", StringComparison.Ordinal);
        var matched = said.IndexOf("id=\"matched\"", StringComparison.Ordinal);
        Assert.True(notMatched > 0 && matched > notMatched, "the lines not matched come before the lines matched");
        var first = said[notMatched..matched];
        Assert.Contains("Lines not matched (2), to correct and import again", first);
        Assert.Contains("PR999999-000000", first);
        Assert.Contains("nonsense", first);
        Assert.DoesNotContain(payee["remittanceReference"]!.GetValue<string>(), first);
        var second = said[matched..];
        Assert.Contains("Line matched (1)", second);
        Assert.Contains(payee["remittanceReference"]!.GetValue<string>(), second);

        // the report is kept: the page lists the files imported, each leading to its report as the import showed it
        var importId = await Db.ScalarAsync("SELECT max(id) FROM payment_confirmation_import");
        var listed = WebUtility.HtmlDecode(await page.GetStringAsync("/finance/confirmations"));
        var files = await Db.ScalarAsync("SELECT count(*) FROM payment_confirmation_import WHERE programme_id = $1", x.ProgrammeId);
        Assert.Contains($"{files} file{(files == 1 ? "" : "s")} imported, newest first", listed);
        Assert.Contains($"<a class=\"govuk-link\" href=\"/finance/confirmations/{importId}\">confirmations.csv</a>", listed);
        var kept = WebUtility.HtmlDecode(await page.GetStringAsync($"/finance/confirmations/{importId}"));
        Assert.Contains("1 paid, 0 failed, 0 unchanged, 2 not matched", kept);
        Assert.Equal(said[notMatched..said.IndexOf("</table>", matched, StringComparison.Ordinal)],
            kept[kept.IndexOf("id=\"not-matched\"", StringComparison.Ordinal)..kept.IndexOf("</table>", kept.IndexOf("id=\"matched\"", StringComparison.Ordinal), StringComparison.Ordinal)]);
        using var missing = await page.GetAsync($"/finance/confirmations/{importId + 1}");
        Assert.Equal("/forbidden?missing=1", missing.Headers.Location?.ToString()); // as the pages answer a record they do not find
    }

    /// <summary>The export world (its run exported), the run's id and a payment of it not yet confirmed.</summary>
    private async Task<(ExportWorld X, long RunId, System.Text.Json.Nodes.JsonNode Payee)> PendingPaymentAsync()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var runId = (await x.Finance.GetAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-runs")).Expect(HttpStatusCode.OK).Json.AsArray()[0]!["id"]!.GetValue<long>();
        var payee = (await x.Finance.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["payees"]!.AsArray()
            .First(p => p!["status"]!.GetValue<string>() == "pending")!;
        return (x, runId, payee);
    }

    private static async Task<string> UploadAsync(HttpClient page, string csv)
    {
        var fields = PageFormFuzzTests.UploadFormFields(await page.GetStringAsync("/finance/confirmations"));
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(csv)), "file", "confirmations.csv");
        using var answer = await page.PostAsync("/finance/confirmations", form);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
    }
}

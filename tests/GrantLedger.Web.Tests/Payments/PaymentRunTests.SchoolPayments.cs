using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>
/// A school business manager had no page of the money paid to their school: their claims said "paid by payment run PR-…",
/// but not the amount and the remittance reference their bank statement shows, nor which claims one payment covered.
/// </summary>
public sealed partial class PaymentRunTests
{
    /// <summary>
    /// School 0's two claims (£250 and £200) and school 1's one (£250) in one run. Built, it has paid nobody; exported, each
    /// school sees its payment sent, with its remittance reference and claims; confirmed, school 0's is paid on the day and
    /// school 1's failed; a second run pays school 1's claim again, listed first. The school's lead and the programme's staff
    /// read the same through the API; another school's business manager is refused.
    /// </summary>
    [Fact]
    public async Task ASchool_SeesEachPaymentSentToIt_WithItsRemittanceReferenceAndClaims_PaidOnItsDay_OrFailed()
    {
        var x = await ApprovedAsync();
        var (s0, s1) = (x.W.S.Schools[0], x.W.S.Schools[1]);
        using var school = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.School.UserName);
        using var other = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.OtherSchool.UserName);
        Assert.Contains("href=\"/school/payments\"", await PageTables.Read(school, "/school/claims")); // in the navigation

        var built = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        Assert.Contains("No payments have been sent to your school yet", await PageTables.Read(school, "/school/payments"));
        Assert.Empty(Payments(await x.W.School.GetAsync($"/api/v1/schools/{s0.Id}/payments")));
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{built}/approve", null)).Expect(HttpStatusCode.OK);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{built}/export", null)).Expect(HttpStatusCode.OK);

        var sent = Payments(await x.W.School.GetAsync($"/api/v1/schools/{s0.Id}/payments")).Single()!;
        Assert.Equal($"PR{built:000000}-{s0.Urn}", sent["remittanceReference"]!.GetValue<string>());
        Assert.Equal($"PR-{built:000000}", sent["paymentRunReference"]!.GetValue<string>());
        Assert.Equal("450.00", sent["amount"]!.GetValue<string>());
        Assert.Equal("pending", sent["status"]!.GetValue<string>());
        Assert.Equal([$"CLM-{x.Claims[0]:000000}", $"CLM-{x.Claims[1]:000000}"], sent["claims"]!.AsArray().Select(c => c!.GetValue<string>()));
        var page = await PageTables.Read(school, "/school/payments");
        Assert.Contains("1 payment, newest first", page);
        var row = Row(page, sent["id"]!.GetValue<long>());
        Assert.Contains($"PR{built:000000}-{s0.Urn}", row);
        Assert.Contains("£450.00", row);
        Assert.Contains($"href=\"/school/claims/{x.Claims[0]}\"", row);
        Assert.Contains($"href=\"/school/claims/{x.Claims[1]}\"", row);
        Assert.Contains(">Sent</strong>", row);
        Assert.Contains("not yet confirmed paid", row);
        Assert.DoesNotContain(s1.Urn, page); // school 1's payment is its own

        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{built:000000}-{s0.Urn},450.00,{Today},paid
            PR{built:000000}-{s1.Urn},250.00,{Today},failed
            """);
        var paidRow = Row(await PageTables.Read(school, "/school/payments"), sent["id"]!.GetValue<long>());
        Assert.Contains(">Paid</strong>", paidRow);
        Assert.Contains($"on {GrantLedger.Core.Ledger.UkTime.Today:d MMMM yyyy}", paidRow);
        Assert.Contains("href=\"/school/payments\">your school's payments</a>", await PageTables.Read(school, $"/school/claims/{x.Claims[0]}")); // a paid claim leads to its payment
        var failedRow = await PageTables.Read(other, "/school/payments");
        Assert.Contains(">Failed</strong>", failedRow);
        Assert.Contains("its claims then went back to approved", failedRow);
        Assert.Contains($"href=\"/school/claims/{x.Claims[2]}\"", failedRow);
        Assert.Contains("href=\"/school/payments\">your school's payments</a>", await PageTables.Read(other, $"/school/claims/{x.Claims[2]}")); // and a failed one

        var again = (await x.Maker.PostAsync(x.Runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await x.Checker.PostAsync($"/api/v1/payment-runs/{again}/approve", null)).Expect(HttpStatusCode.OK);
        (await x.Maker.PostAsync($"/api/v1/payment-runs/{again}/export", null)).Expect(HttpStatusCode.OK);
        var both = Payments(await x.W.OtherSchool.GetAsync($"/api/v1/schools/{s1.Id}/payments"));
        Assert.Equal([$"PR-{again:000000}", $"PR-{built:000000}"], both.Select(p => p!["paymentRunReference"]!.GetValue<string>()));
        Assert.Equal(["pending", "failed"], both.Select(p => p!["status"]!.GetValue<string>()));
        var first = Payments(await x.W.OtherSchool.GetAsync($"/api/v1/schools/{s1.Id}/payments?limit=1")).Single()!;
        var next = Payments(await x.W.OtherSchool.GetAsync($"/api/v1/schools/{s1.Id}/payments?limit=1&before={first["id"]}")).Single()!;
        Assert.Equal($"PR-{built:000000}", next["paymentRunReference"]!.GetValue<string>());

        // the school's lead and the programme's finance and auditor read the same; another school's manager is refused
        foreach (var reader in new[] { x.W.Lead, x.Maker, await x.W.S.AuditorAsync(Db) })
            Assert.Equal(both.ToJsonString(), Payments(await reader.GetAsync($"/api/v1/schools/{s1.Id}/payments")).ToJsonString());
        (await x.W.School.GetAsync($"/api/v1/schools/{s1.Id}/payments")).ExpectProblem(HttpStatusCode.Forbidden);
        (await x.W.School.GetAsync($"/api/v1/schools/{s1.Id}/payments?limit=1001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    /// <summary>
    /// The lead is the one a school asks when its money has not come. School 1's claim fails to be paid five times and is sent
    /// a sixth: the lead's page of the school shows the newest five payments, its claims linked to the lead's page of the
    /// claim, and leads to a page of all six; school 0's page shows its one payment, paid. Another area's lead finds neither.
    /// </summary>
    [Fact]
    public async Task AnAreaLead_SeesTheNewestPaymentsToASchool_OnItsPage_AndAllOfThemOnItsPaymentsPage()
    {
        var x = await ApprovedAsync();
        var (s0, s1) = (x.W.S.Schools[0], x.W.S.Schools[1]);
        using var lead = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.Lead.UserName);
        using var otherLead = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.W.OtherLead.UserName);
        var none = await PageTables.Read(lead, $"/review/schools/{s1.Id}");
        Assert.Contains("No payments have been sent to the school yet", none);
        Assert.Contains("No payments have been sent to the school yet", await PageTables.Read(lead, $"/review/schools/{s1.Id}/payments"));

        var runs = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            var (run, _) = await ExportedAsync(x);
            runs.Add(run);
            if (i == 5) break;
            await ImportAsync(x, i == 0
                ? $"""
                  remittance_reference,amount,date,status
                  PR{run:000000}-{s0.Urn},450.00,{Today},paid
                  PR{run:000000}-{s1.Urn},250.00,{Today},failed
                  """
                : $"""
                  remittance_reference,amount,date,status
                  PR{run:000000}-{s1.Urn},250.00,{Today},failed
                  """);
        }

        var page = await PageTables.Read(lead, $"/review/schools/{s1.Id}");
        var table = PageTables.Table(page, "payments");
        Assert.Contains("The newest 5 of 6 payments", table);
        Assert.Equal(runs.AsEnumerable().Reverse().Take(5).Select(r => $"PR{r:000000}-{s1.Urn}"),
            Regex.Matches(table, $@"PR\d{{6}}-{s1.Urn}").Select(m => m.Value));
        Assert.Contains($"href=\"/review/claims/{x.Claims[2]}?from=school\"", table);
        Assert.Contains(">Sent</strong>", table);
        Assert.Contains(">Failed</strong>", table);
        Assert.Contains($"href=\"/review/schools/{s1.Id}/payments\" id=\"all-payments\">All 6 payments to the school</a>", page);

        var all = await PageTables.Read(lead, $"/review/schools/{s1.Id}/payments");
        Assert.Contains("6 payments, newest first", all);
        Assert.Equal(runs.AsEnumerable().Reverse().Select(r => $"PR{r:000000}-{s1.Urn}"),
            Regex.Matches(PageTables.Table(all, "payments"), $@"PR\d{{6}}-{s1.Urn}").Select(m => m.Value));
        Assert.Contains($"href=\"/review/schools/{s1.Id}\">Back to ", all);

        // a claim paid, opened by the lead, leads to the payments to its school
        Assert.Contains($"href=\"/review/schools/{s0.Id}/payments\">the school's payments</a>", await PageTables.Read(lead, $"/review/claims/{x.Claims[0]}"));
        var paid = await PageTables.Read(lead, $"/review/schools/{s0.Id}");
        Assert.Contains("1 payment, newest first", paid);
        Assert.Contains(">Paid</strong>", PageTables.Table(paid, "payments"));
        Assert.DoesNotContain("all-payments", paid);

        foreach (var url in new[] { $"/review/schools/{s1.Id}", $"/review/schools/{s1.Id}/payments" })
        {
            using var refused = await otherLead.GetAsync(url);
            Assert.Equal("/forbidden?missing=1", refused.Headers.Location?.OriginalString); // as the pages answer a record they do not find
        }
    }

    /// <summary>
    /// A school asks finance about its money. Finance's list of schools says what has been sent to each (school 0's payment
    /// paid, school 1's failed, area 1's schools nothing), found by URN; a school's page gives its payee reference, its
    /// payments and their claims, linked to the ledger's pages, as a run's page links its schools and claims. A second run
    /// not yet confirmed is counted so; another programme's school is refused.
    /// </summary>
    [Fact]
    public async Task Finance_FindsASchool_AndSeesEveryPaymentSentToIt_WhatWasPaid_AndWhatFailed()
    {
        var x = await ApprovedAsync();
        var (s0, s1, s2) = (x.W.S.Schools[0], x.W.S.Schools[1], x.W.S.Schools[2]);
        using var finance = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, x.Maker.UserName);
        Assert.Contains("href=\"/finance/schools\"", await PageTables.Read(finance, "/finance")); // in the navigation
        var (run, _) = await ExportedAsync(x);
        await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{run:000000}-{s0.Urn},450.00,{Today},paid
            PR{run:000000}-{s1.Urn},250.00,{Today},failed
            """);

        var list = await PageTables.Read(finance, "/finance/schools");
        Assert.Contains("4 schools", PageTables.Table(list, "schools"));
        string[] Cells(string html, long schoolId) =>
            PageTables.Cells(Regex.Match(html, $"<tr[^>]*id=\"school-{schoolId}\".*?</tr>", RegexOptions.Singleline).Value);
        Assert.Equal(["School " + s0.Urn, s0.Urn, "Area 1", $"SUP-{s0.Urn}", "1 payment", "£450.00"], Cells(list, s0.Id));
        Assert.Equal(["School " + s1.Urn, s1.Urn, "Area 1", $"SUP-{s1.Urn}", "1 payment: 1 failed", "£0.00"], Cells(list, s1.Id));
        Assert.Equal("Nothing sent yet", Cells(list, s2.Id)[4]);
        Assert.Contains($"href=\"/finance/schools/{s1.Id}\"", list);
        var found = await PageTables.Read(finance, $"/finance/schools?q={s1.Urn}");
        Assert.Equal([$"school-{s1.Id}"], Regex.Matches(found, "<tr[^>]*id=\"(school-\\d+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("No schools of the programme match this search.", await PageTables.Read(finance, "/finance/schools?q=no+such+school"));

        // the run's page leads to each school's payments and each claim's page in the ledger
        var runPage = await PageTables.Read(finance, $"/finance/runs/{run}");
        Assert.Contains($"href=\"/finance/schools/{s0.Id}\"", runPage);
        Assert.Contains($"href=\"/ledger/claims/{x.Claims[0]}\">CLM-{x.Claims[0]:000000}</a>", runPage);

        var again = (await ExportedAsync(x)).Id; // school 1's claim, approved again when its payment failed, paid by a second run
        var school = await PageTables.Read(finance, $"/finance/schools/{s1.Id}");
        Assert.Contains($"SUP-{s1.Urn}", school);
        Assert.Contains("id=\"sent\">2 payments: 1 failed, 1 not yet confirmed</dd>", school);
        Assert.Contains("id=\"paid\">£0.00</dd>", school);
        var table = PageTables.Table(school, "payments");
        Assert.Contains("2 payments, newest first", table);
        Assert.Equal([$"PR{again:000000}-{s1.Urn}", $"PR{run:000000}-{s1.Urn}"], Regex.Matches(table, $@"PR\d{{6}}-{s1.Urn}").Select(m => m.Value));
        Assert.Contains($"href=\"/ledger/claims/{x.Claims[2]}\"", table);
        Assert.Contains("id=\"paid\">£450.00</dd>", await PageTables.Read(finance, $"/finance/schools/{s0.Id}"));
        // a claim paid, in the ledger, leads finance and the auditor to the payments to its school
        Assert.Contains($"href=\"/finance/schools/{s0.Id}\">the school's payments</a>", await PageTables.Read(finance, $"/ledger/claims/{x.Claims[0]}"));
        using var auditor = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await x.W.S.AuditorAsync(Db)).UserName);
        var audited = await PageTables.Read(auditor, $"/ledger/claims/{x.Claims[0]}");
        Assert.Contains("paid by payment run", audited);
        Assert.Contains($"href=\"/finance/schools/{s0.Id}\">the school's payments</a>", audited);
        Assert.Contains("href=\"/finance/schools\"", audited); // in the auditor's navigation

        var elsewhere = await Scenario.CreateAsync(Db, 1, 1, code: "tb", root: x.W.S.Root);
        using var refused = await finance.GetAsync($"/finance/schools/{elsewhere.Schools[0].Id}");
        Assert.StartsWith("/forbidden", refused.Headers.Location?.OriginalString);
        using var notTheirs = await finance.GetAsync($"/finance/schools?programmeId={elsewhere.ProgrammeId}");
        Assert.StartsWith("/forbidden", notTheirs.Headers.Location?.OriginalString);

        // the auditor reads the same list of any programme, chosen, and the same payments
        var auditorsList = await PageTables.Read(auditor, $"/finance/schools?programmeId={x.W.S.ProgrammeId}");
        Assert.Equal(PageTables.Table(await PageTables.Read(finance, "/finance/schools"), "schools"), PageTables.Table(auditorsList, "schools"));
        Assert.Contains("name=\"programmeId\"", auditorsList);
        var theOther = await PageTables.Read(auditor, $"/finance/schools?programmeId={elsewhere.ProgrammeId}");
        Assert.Equal([$"school-{elsewhere.Schools[0].Id}"], Regex.Matches(theOther, "<tr[^>]*id=\"(school-\\d+)\"").Select(m => m.Groups[1].Value));
        var auditedSchool = await PageTables.Read(auditor, $"/finance/schools/{s1.Id}");
        Assert.Equal(table, PageTables.Table(auditedSchool, "payments"));
        Assert.Contains($"href=\"/finance/schools?programmeId={x.W.S.ProgrammeId}\">Back to payments to schools</a>", auditedSchool);
    }

    private static JsonArray Payments(Answer answer) => answer.Expect(HttpStatusCode.OK).Json.AsArray();

    private static string Row(string html, long paymentId)
    {
        var m = Regex.Match(html, $"<tr[^>]*id=\"payment-{paymentId}\".*?</tr>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no row for payment {paymentId}");
        return m.Value;
    }
}

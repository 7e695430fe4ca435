using System.Net;
using System.Text;
using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>Funder finance's payment runs (maker and checker), confirmations and closing; the auditor's ledger browser.</summary>
public sealed class FinanceAndAuditJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    internal static async Task<long> ApprovedClaimAsync(ClaimWorld world)
    {
        var id = await world.UnderReviewAsync();
        (await world.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        return id;
    }

    [Fact]
    public async Task Finance_BuildsARun_AnotherApprovesAndExportsIt_ConfirmationsPayIt_AndHalfTermsClose()
    {
        var world = await ClaimWorld.CreateAsync(Db, "2025-26"); // ended: its half-terms can be closed
        var claimId = await ApprovedClaimAsync(world);
        var maker = await world.S.FinanceAsync(Db, "finance");
        var checker = await world.S.FinanceAsync(Db, "finance2");
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");

        var page = await SignInAsync(maker.UserName);
        await VisitAsync(page, "/finance", screenshot: "finance-payment-runs");
        await ClickAsync(page, "button:has-text('Build the payment run')");
        await AtAsync(page, @"/finance/runs/\d+$");
        var runUrl = page.Url;
        Assert.Contains("£250.00", await page.InnerTextAsync("#run-total"));
        Assert.Equal(0, await page.Locator("button:has-text('Approve the run')").CountAsync()); // the maker cannot check
        Assert.Contains("Another finance user must approve", await page.InnerTextAsync("main"));

        // Nothing left to pay: the use case's refusal in the error summary
        await VisitAsync(page, "/finance");
        await ClickAsync(page, "button:has-text('Build the payment run')");
        await ExpectErrorAsync(page, "asOf", "No approved claims"); // linked to the date, which is written as the pages write dates
        Assert.DoesNotContain(GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd"), await page.InnerTextAsync(".govuk-error-summary"));

        var second = await SignInAsync(checker.UserName);
        await VisitAsync(second, "/finance", screenshot: "finance-waiting-for-you"); // the run waits for them
        Assert.Contains("waiting for your approval", await second.InnerTextAsync("#to-approve"));
        await ClickAsync(second, "#to-approve a");
        Assert.Equal(runUrl, second.Url);
        await ClickAsync(second, "button:has-text('Approve the run')");
        await ClickAsync(second, "button:has-text('Export the payment file')", screenshot: "finance-run-exported");
        Assert.Contains("Exported", await second.InnerTextAsync("#run-state"));
        var download = await second.RunAndWaitForDownloadAsync(() => second.ClickAsync("#file-link"));
        var path = await download.PathAsync();
        var csv = await File.ReadAllTextAsync(path!);
        var remittance = await RemittanceAsync();
        Assert.Contains(remittance, csv);
        Assert.Contains("250.00", csv);

        // Confirmations from the finance system
        await VisitAsync(second, "/finance/confirmations");
        await ClickAsync(second, "button:has-text('Import')");
        await ExpectErrorAsync(second, "file");
        await second.SetInputFilesAsync("#file", new Microsoft.Playwright.FilePayload
        {
            Name = "confirmations.csv", MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes($"remittance_reference,amount,date,status\n{remittance},250.00,{GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd},paid\n"),
        });
        await ClickAsync(second, "button:has-text('Import')", screenshot: "finance-confirmations");
        Assert.Contains("1 paid", await second.InnerTextAsync("#report-summary"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE id = $1 AND state = 'paid'", claimId));
        await ClickAsync(second, "#imports tbody tr:first-child a"); // the file's report, kept
        await AtAsync(second, @"/finance/confirmations/\d+$");
        Assert.Contains("1 paid", await second.InnerTextAsync("#file-counts"));
        Assert.Contains(remittance, await second.InnerTextAsync("#matched"));

        // Close half-terms, in order
        await VisitAsync(second, "/finance/periods");
        await ClickAsync(second, "#close-aut1");
        Assert.Contains("Closed", await second.InnerTextAsync("#periods tbody tr:first-child"));
        await ClickAsync(second, "#close-spr1");
        Assert.Contains("in order", await second.InnerTextAsync(".govuk-error-summary"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM period WHERE closed_at IS NOT NULL"));
    }

    [Fact]
    public async Task ARunWithAFailedPayment_ShowsWhatWasPaidAndWhatFailed_OnTheRunAndTheList_NotPaidInFull_AndEachSchoolItsLeadAndFinanceItsPayment()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await ApprovedClaimAsync(world);
        var other = await world.NewClaimAsync(world.OtherSchool);
        await world.AddStaffTimeAsync(other, "STAFF-03", school: world.OtherSchool);
        (await world.SubmitAsync(other, world.OtherSchool)).Expect(HttpStatusCode.OK);
        (await world.Lead.PostAsync($"/api/v1/claims/{other}/start-review", null)).Expect(HttpStatusCode.OK);
        (await world.Lead.PostAsync($"/api/v1/claims/{other}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var (maker, checker) = (await world.S.FinanceAsync(Db, "finance"), await world.S.FinanceAsync(Db, "finance2"));
        var runId = (await maker.PostAsync($"/api/v1/programmes/{world.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        (await checker.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        (await maker.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        var (urn0, urn1, today) = (world.S.Schools[0].Urn, world.S.Schools[1].Urn, GrantLedger.Core.Ledger.UkTime.Today.ToString("yyyy-MM-dd"));
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(
                $"remittance_reference,amount,date,status\nPR{runId:000000}-{urn0},250.00,{today},paid\nPR{runId:000000}-{urn1},250.00,{today},failed\n")), "file", "c.csv");
            using var response = await maker.Http.PostAsync($"/api/v1/programmes/{world.S.ProgrammeId}/payment-confirmations", form);
            (await Answer.ReadAsync(response)).Expect(HttpStatusCode.OK);
        }

        var page = await SignInAsync(maker.UserName);
        await VisitAsync(page, $"/finance/runs/{runId}", screenshot: "finance-run-part-paid");
        Assert.Equal("Paid, 1 payment failed", (await page.InnerTextAsync("#run-state")).Trim());
        Assert.Contains("£500.00", await page.InnerTextAsync("#run-total"));
        Assert.Contains("£250.00", await page.InnerTextAsync("#run-paid"));
        Assert.Contains("£250.00", await page.InnerTextAsync("#run-failed"));
        Assert.Contains("When it failed, its claims went back to approved", await page.InnerTextAsync("#run-failed")); // true after a later run pays them
        await VisitAsync(page, "/finance");
        var row = await page.InnerTextAsync("#runs tbody tr:first-child");
        Assert.Contains("Paid, 1 payment failed", row);
        Assert.Contains("£250.00 paid, £250.00 failed", row);
        // school 1 asks where its money is: finance finds it among the schools, and its failed payment
        await ClickAsync(page, "nav a[href='/finance/schools']");
        await page.FillAsync("#q", urn1);
        await ClickAsync(page, "button:has-text('Show schools')", screenshot: "finance-schools");
        Assert.Contains("1 payment: 1 failed", await page.InnerTextAsync($"#school-{world.S.Schools[1].Id}"));
        await ClickAsync(page, $"#school-{world.S.Schools[1].Id} a");
        await AtAsync(page, $@"/finance/schools/{world.S.Schools[1].Id}$");
        Assert.Contains($"PR{runId:000000}-{urn1}", await page.InnerTextAsync("#payments"));
        Assert.Contains("Failed its claims then went back to approved", await page.InnerTextAsync("#payments"));

        // each school's payments, from its navigation: school 0's paid on the day, school 1's failed
        var school = await SignInAsync(world.School.UserName);
        await ClickAsync(school, "nav a[href='/school/payments']", screenshot: "school-payments");
        var paid = await school.InnerTextAsync("#payments");
        Assert.Contains($"PR{runId:000000}-{urn0}", paid);
        Assert.Contains($"Paid on {GrantLedger.Core.Ledger.UkTime.Today:d MMMM yyyy}", paid);
        var otherSchool = await SignInAsync(world.OtherSchool.UserName);
        await VisitAsync(otherSchool, "/school/payments");
        Assert.Contains("Failed its claims then went back to approved", await otherSchool.InnerTextAsync("#payments"));

        // the area's lead, asked where school 1's money is, finds the failed payment on the school's page, and its claim
        var lead = await SignInAsync(world.Lead.UserName);
        await VisitAsync(lead, $"/review/schools/{world.S.Schools[1].Id}", screenshot: "review-school-payments");
        Assert.Contains("Failed its claims then went back to approved", await lead.InnerTextAsync("#payments"));
        await ClickAsync(lead, $"#payments a[href^='/review/claims/{other}']");
        await AtAsync(lead, $@"/review/claims/{other}\?from=school$");

        // school 1's claim, approved again, is owed: finance follows the banner to what is owed, and builds the row's run from it
        await VisitAsync(page, "/finance");
        await ClickAsync(page, "#to-pay a", screenshot: "finance-owed");
        await AtAsync(page, "^/finance/owed$");
        Assert.Contains("£250.00 owed on 1 approved claim from 1 school", await page.InnerTextAsync("#owed-total"));
        await ClickAsync(page, "#owed tbody tr:first-child a");
        await AtAsync(page, $@"^/finance\?periodId={world.Periods["aut1"]}&areaId={world.S.AreaIds[0]}$");
        await ClickAsync(page, "button:has-text('Build the payment run')");
        await AtAsync(page, @"^/finance/runs/\d+$");
        Assert.Contains("£250.00", await page.InnerTextAsync("#run-total"));
        Assert.Contains(urn1, await page.InnerTextAsync("#payees"));
    }

    private async Task<string> RemittanceAsync()
    {
        await using var cmd = Db.DataSource.CreateCommand("SELECT remittance_reference FROM payment_run_payee LIMIT 1");
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Auditor_BrowsesAccounts_Statements_TheTrialBalanceAsOfADate_AClaimsHistory_TheAuditTrail_PaymentRuns_AndPaymentsToSchools()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var claimId = await ApprovedClaimAsync(world);
        var auditor = await world.S.AuditorAsync(Db);
        var page = await SignInAsync(auditor.UserName);

        await VisitAsync(page, "/ledger", screenshot: "auditor-accounts");
        var code = world.S.SchoolAccount(0, "staff-cover", "available");
        await page.FillAsync("#prefix", code);
        await ClickAsync(page, "button:has-text('Show accounts')");
        Assert.Contains("£750.00 Cr", await page.InnerTextAsync("#accounts")); // £1,000 allocated less £250 approved, a credit
        await ClickAsync(page, $"a:has-text('{code}')", screenshot: "auditor-statement");
        Assert.Contains("£750.00 Cr", await page.InnerTextAsync("#closing"));

        await VisitAsync(page, "/ledger/trial-balance", screenshot: "auditor-trial-balance");
        Assert.DoesNotContain("No", await page.InnerTextAsync("#totals tbody"));
        await FillDateAsync(page, "asOf", new DateOnly(2026, 8, 31));
        await page.FillAsync("#asOf-month", "13");
        await ClickAsync(page, "button:has-text('Show the trial balance')");
        await ExpectErrorAsync(page, "asOf", "real date");
        Assert.Equal("13", await page.InputValueAsync("#asOf-month"));
        await page.FillAsync("#asOf-month", "9");
        await page.FillAsync("#asOf", "1");
        await ClickAsync(page, "button:has-text('Show the trial balance')");
        Assert.Contains("1 September 2026", await page.InnerTextAsync("#totals caption"));
        Assert.Contains("Yes", await page.InnerTextAsync("#totals tbody"));

        // a sample to test: the seed left blank, the page chooses one and keeps it in the address and the form
        await VisitAsync(page, "/ledger/claims");
        await page.SelectOptionAsync("#state", "approved");
        await page.FillAsync("#sample", "5");
        await ClickAsync(page, "button:has-text('Show claims')", screenshot: "auditor-claims-sample");
        var seed = await page.InputValueAsync("#seed");
        Assert.Matches("^[0-9]{6}$", seed);
        Assert.Contains($"seed={seed}", page.Url);
        Assert.Equal($"A sample of 1 of the 1 claim these filters find, drawn with the seed {seed}, in the order drawn", await page.InnerTextAsync("#claims caption"));
        await ClickAsync(page, $"a[href^='/ledger/claims/{claimId}?']", screenshot: "auditor-claim-history");
        var history = await page.InnerTextAsync("#history");
        Assert.Contains("Submit", history);
        Assert.Contains("Approve", history);
        Assert.Equal(0, await page.Locator("main form[method=post]").CountAsync()); // read-only
        await ClickAsync(page, "a:has-text('Back to claims')"); // to the sample, as it was
        Assert.Equal(seed, await page.InputValueAsync("#seed"));
        Assert.StartsWith("A sample of 1 of the 1 claim", await page.InnerTextAsync("#claims caption"));

        // the journal: the claim's lines, then a school's by its URN, then an amount it cannot read
        await VisitAsync(page, "/ledger/journal");
        await page.FillAsync("#claimId", claimId.ToString());
        await ClickAsync(page, "button:has-text('Show lines')", screenshot: "auditor-journal");
        var lines = await page.InnerTextAsync("#journal");
        Assert.Contains("£250.00", lines);
        Assert.Contains("Hold posted", lines);
        await page.FillAsync("#claimId", "");
        await page.FillAsync("#urn", world.S.Schools[1].Urn);
        await page.FillAsync("#amountMin", "12.345");
        await ClickAsync(page, "button:has-text('Show lines')");
        await ExpectErrorAsync(page, "amountMin", "two decimal places");
        Assert.Equal("12.345", await page.InputValueAsync("#amountMin"));
        await page.FillAsync("#amountMin", "1,000");
        await ClickAsync(page, "button:has-text('Show lines')");
        Assert.Contains($":school:{world.S.Schools[1].Urn}:staff-cover:available", await page.InnerTextAsync("#journal")); // its £1,000 allocation

        // the audit trail: every claim action, chosen from the list; then a link typed by hand with an action misspelt
        await VisitAsync(page, "/ledger/trail");
        await page.SelectOptionAsync("#action", "claim.");
        await ClickAsync(page, "button:has-text('Show events')", screenshot: "auditor-trail");
        Assert.Contains("action=claim.", page.Url);
        var actions = await page.Locator("#events tbody tr td:nth-child(4)").AllInnerTextsAsync();
        Assert.Contains("claim.approve", actions);
        Assert.All(actions, a => Assert.StartsWith("claim.", a));
        await VisitAsync(page, "/ledger/trail?action=clam.approve");
        await ExpectErrorAsync(page, "action", "the audit trail records no clam.approve");
        Assert.Equal(0, await page.Locator("#events").CountAsync()); // not an empty table, read as "nothing of that kind happened"

        // verification: the chains' heads kept as a file, then pasted back as at the next visit, each still in its chain
        await GrantLedger.Web.Audit.Sealing.SealAllAsync(Db.DataSource);
        await VisitAsync(page, "/ledger/verification", screenshot: "auditor-verification");
        Assert.Contains("Every record checked matches its seal", await page.InnerTextAsync("#result"));
        var heads = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("a:has-text('Download these heads')"));
        var kept = await File.ReadAllTextAsync(await heads.PathAsync());
        Assert.StartsWith("chain,seal,hash\r\n", kept);
        await page.FillAsync("#noted", kept);
        await ClickAsync(page, "button:has-text('Check these heads')", screenshot: "auditor-verification-heads");
        var results = await page.Locator("#heads-noted tbody tr td:nth-child(4) strong").AllInnerTextsAsync();
        Assert.Equal(kept.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length - 1, results.Count);
        Assert.All(results, r => Assert.Equal("Still in the chain", r));

        // the ledger's invariants over the programme's rows, from the auditor's navigation, run in the background when asked
        // for: the page shows the run's report once it has finished (check-run.js reloads it), and the service's own work holds
        // them all
        await ClickAsync(page, "nav a[href='/ledger/checks']", screenshot: "auditor-checks-not-run");
        await AtAsync(page, "^/ledger/checks$");
        Assert.Contains("The checks have not been run for this programme yet.", await page.InnerTextAsync("#result"));
        await page.ClickAsync("#run-checks");
        await page.WaitForSelectorAsync("#checks", new() { Timeout = 60_000 });
        await LoadedAsync(page);
        await CheckAsync(page, "auditor-checks");
        await AtAsync(page, @"^/ledger/checks\?programmeId=\d+&run=\d+$");
        Assert.Contains($"Every one of the {GrantLedger.Web.Audit.LedgerChecks.All.Count} checks holds", await page.InnerTextAsync("#result"));
        Assert.Contains("All hold", await page.InnerTextAsync("#runs"));

        // a run asked for elsewhere (written here as another instance writes it, so this one's runner is not woken, and then
        // held back by its row's lock, which the runner's SKIP LOCKED passes over): the page says it is waiting, and shows its
        // report by itself once the runner has run it
        var waiting = await Db.DataSource.ScalarAsync(
            "INSERT INTO ledger_check_run (programme_id, most, requested_by) VALUES ($1, 20, $2) RETURNING id", world.S.ProgrammeId, auditor.UserId);
        await using (var held = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await held.BeginTransactionAsync();
            await using var hold = new Npgsql.NpgsqlCommand("SELECT state FROM ledger_check_run WHERE id = $1 FOR UPDATE", held, tx) { Parameters = { new() { Value = waiting } } };
            var state = await hold.ExecuteScalarAsync(); // "queued" unless the runner's poll, every 2 s, came in the millisecond between
            await VisitAsync(page, $"/ledger/checks?programmeId={world.S.ProgrammeId}&run={waiting}", screenshot: "auditor-checks-waiting");
            if (state is "queued")
            {
                Assert.Contains($"Waiting to start Run {waiting}, asked for by {auditor.UserName}", await page.InnerTextAsync("#result"));
                Assert.Equal(0, await page.Locator("#checks").CountAsync());
            }
            await tx.RollbackAsync();
        }
        await page.WaitForSelectorAsync("#checks", new() { Timeout = 60_000 });
        await LoadedAsync(page);
        await CheckAsync(page);
        Assert.Contains($"Run {waiting}, asked for by {auditor.UserName}, checked at", await page.InnerTextAsync("#result"));
        Assert.Equal(GrantLedger.Web.Audit.LedgerChecks.All.Count, await page.Locator("#checks tbody strong:has-text('Holds')").CountAsync());

        // the payment runs and what was sent to each school, as finance reads them, from the auditor's navigation
        await ClickAsync(page, "nav a[href='/finance']");
        await AtAsync(page, "^/finance$");
        Assert.Contains("No payment runs have been built yet.", await page.InnerTextAsync("#no-runs"));
        Assert.Equal(0, await page.Locator("form[method='post'] button:has-text('Build the payment run')").CountAsync());
        await ClickAsync(page, "nav a[href='/finance/schools']");
        await AtAsync(page, "^/finance/schools$");
        Assert.Contains("Nothing sent yet", await page.InnerTextAsync($"#school-{world.S.Schools[0].Id}"));
        await ClickAsync(page, $"#school-{world.S.Schools[0].Id} a");
        await AtAsync(page, $@"^/finance/schools/{world.S.Schools[0].Id}$");
        Assert.Contains("No payments have been sent to the school yet.", await page.InnerTextAsync("#no-payments"));
    }
}

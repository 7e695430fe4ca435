using GrantLedger.Browser.Tests.Support;
using GrantLedger.Web.Tests.Support;
using Microsoft.Playwright;
using Npgsql;
using Xunit.Abstractions;

namespace GrantLedger.Browser.Tests.Journeys;

/// <summary>Exports from the browser: finance starts one, watches its progress, downloads it; auditors read, download and start them too; others get 403.</summary>
public sealed class ExportJourneyTests(BrowserFixture fixture, ITestOutputHelper output) : BrowserTest(fixture, output)
{
    private static async Task ReadyAsync(IPage page, long? jobId = null)
    {
        var job = jobId is null ? "[data-export-job]" : $"[data-export-job='{jobId}']";
        await page.Locator($"{job} [data-field=state]:has-text('Ready')").WaitForAsync(new() { Timeout = 60_000 });
    }

    [Fact]
    public async Task Finance_StartsAWorkbookExport_SeesItsProgress_AndDownloadsIt_AfterTheErrorSummary()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        await FinanceAndAuditJourneyTests.ApprovedClaimAsync(world);
        var finance = await world.S.FinanceAsync(Db);
        var page = await SignInAsync(finance.UserName);

        await ClickAsync(page, "nav a[href='/exports']");
        Assert.Contains("No exports", await page.InnerTextAsync("main"));
        await ClickAsync(page, "#start-export", "finance-export-start");

        // Nothing chosen, and a date in the future: both in the error summary, the date as typed
        var tomorrow = GrantLedger.Core.Ledger.UkTime.Today.AddDays(1);
        await FillDateAsync(page, "asOf", tomorrow);
        await ClickAsync(page, "button:has-text('Start the export')");
        await ExpectErrorAsync(page, "kind", "Select what to export");
        Assert.Equal(tomorrow.Day.ToString(), await page.InputValueAsync("#asOf"));
        await page.CheckAsync("#kind"); // the reconciliation workbook
        await ClickAsync(page, "button:has-text('Start the export')");
        await ExpectErrorAsync(page, "asOf", "cannot be in the future");
        Assert.True(await page.IsCheckedAsync("#kind"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM export_job"));

        await page.FillAsync("#asOf", "");
        await page.FillAsync("#asOf-month", "");
        await page.FillAsync("#asOf-year", "");
        await ClickAsync(page, "button:has-text('Start the export')");
        await AtAsync(page, @"^/exports/\d+$");
        await ReadyAsync(page); // the page's script follows the job without a reload
        await CheckAsync(page, "finance-export-ready");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-field=download]"));
        Assert.EndsWith(".xlsx", download.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.Equal((byte)'P', bytes[0]); // a zip package
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM export_job WHERE state = 'succeeded' AND kind = 'workbook'"));

        await ClickAsync(page, "a:has-text('All exports')", "finance-exports");
        Assert.Contains("Ready", await page.InnerTextAsync("#exports"));
    }

    /// <summary>
    /// A job held 'running' by this test (its advisory lock says someone runs it, so the runner leaves it):
    /// the page shows its percentage, follows it as it moves, and offers the file once it has succeeded;
    /// without JavaScript the page offers a link to refresh instead.
    /// </summary>
    [Fact]
    public async Task Progress_UpdatesWhileTheJobRuns_AndWithoutJavaScriptARefreshLinkShowsIt()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var finance = await world.S.FinanceAsync(Db);
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        var jobId = await ScalarAsync(conn, $"""
            INSERT INTO export_job (programme_id, kind, as_of, state, percent_done, requested_by, started_at)
            VALUES ({world.S.ProgrammeId}, 'csv', current_date, 'running', 40, {finance.UserId}, now()) RETURNING id
            """);
        await ScalarAsync(conn, $"SELECT 1 FROM (SELECT pg_advisory_lock(hashtext('export_job'), {jobId}::int)) AS locked");
        try
        {
            var page = await SignInAsync(finance.UserName);
            await VisitAsync(page, $"/exports/{jobId}", screenshot: "finance-export-progress");
            Assert.Contains("In progress", await page.InnerTextAsync("[data-field=state]"));
            Assert.Equal("40", await page.GetAttributeAsync("progress", "value"));
            Assert.False(await page.IsVisibleAsync("#refresh")); // scripted: no need to refresh

            var noScript = await NewPageAsync(javaScript: false);
            await noScript.GotoAsync("/sign-in");
            await noScript.FillAsync("#userName", finance.UserName);
            await noScript.FillAsync("#password", DatabaseFixture.Password);
            await noScript.ClickAsync("button:has-text('Sign in')");
            // axe-core needs JavaScript: the same page is scanned above; here only what a browser without it shows
            Assert.Equal(200, (await noScript.GotoAsync($"/exports/{jobId}"))!.Status);
            Assert.True(await noScript.IsVisibleAsync("#refresh"));

            await ScalarAsync(conn, $"UPDATE export_job SET percent_done = 75 WHERE id = {jobId} RETURNING percent_done");
            await page.Locator("[data-field=percent]:has-text('75')").WaitForAsync(new() { Timeout = 15_000 });
            await noScript.ClickAsync("#refresh");
            Assert.Contains("75% done", await noScript.InnerTextAsync("#job"));

            await ScalarAsync(conn, $"INSERT INTO export_file (job_id, content) VALUES ({jobId}, 'a,b'::bytea) RETURNING job_id");
            await ScalarAsync(conn, $"""
                UPDATE export_job SET state = 'succeeded', percent_done = 100, finished_at = now(), file_name = 'tables.zip',
                       content_type = 'application/zip', size_bytes = 3, sha256 = sha256('a,b'::bytea), read_from = 'replica' WHERE id = {jobId} RETURNING id
                """);
            await ReadyAsync(page, jobId);
            Assert.True(await page.IsVisibleAsync("[data-field=download]"));
            Assert.False(await page.IsVisibleAsync("progress"));
            Assert.Contains("ready to download", await page.InnerTextAsync("#export-announcement"));
            await CheckAsync(page);
            await noScript.ClickAsync("#refresh");
            Assert.True(await noScript.IsVisibleAsync("[data-field=download]"));
            var readFrom = noScript.Locator(".govuk-summary-list__row", new() { HasText = "Read from" }); // README: "A reports replica"
            Assert.Contains("The reports replica, once it held everything recorded before the export was asked for", await readFrom.InnerTextAsync());
        }
        finally
        {
            await ScalarAsync(conn, $"SELECT pg_advisory_unlock(hashtext('export_job'), {jobId}::int)::int");
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Auditor_ReadsDownloadsAndStartsExports_AsFinanceDoes()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var finance = await world.S.FinanceAsync(Db);
        var started = (await finance.PostAsync($"/api/v1/programmes/{world.S.ProgrammeId}/exports", new { kind = "hledger" }))
            .Expect(System.Net.HttpStatusCode.Accepted).Id;
        var auditor = await SignInAsync((await world.S.AuditorAsync(Db)).UserName);

        await ClickAsync(auditor, "nav a[href='/exports']");
        Assert.Equal(1, await auditor.Locator("#start-export").CountAsync()); // auditors take exports (DESIGN.md)
        await ClickAsync(auditor, $"a[href='/exports/{started}']");
        await ReadyAsync(auditor, started);
        var download = await auditor.RunAndWaitForDownloadAsync(() => auditor.ClickAsync("[data-field=download]"));
        Assert.EndsWith("-hledger.zip", download.SuggestedFilename);

        await VisitAsync(auditor, "/exports/new");
        var jobs = await Db.ScalarAsync("SELECT count(*) FROM export_job");
        var lead = await SignInAsync(world.Lead.UserName);
        Assert.Equal(0, await lead.Locator("a[href='/exports']").CountAsync());
        await VisitAsync(lead, "/exports", 403);
        await VisitAsync(lead, $"/exports/{started}", 403);
        Assert.Equal(jobs, await Db.ScalarAsync("SELECT count(*) FROM export_job"));
    }

    [Fact]
    public async Task Finance_StartsAndDownloadsAnExport_WithTheKeyboardAlone()
    {
        var world = await ClaimWorld.CreateAsync(Db);
        var finance = await world.S.FinanceAsync(Db);
        var page = await KeyboardSignInAsync(finance.UserName);

        await KeyPressOnAsync(page, "nav a[href='/exports']");
        await KeyPressOnAsync(page, "#start-export");
        await CheckAsync(page);
        await TabToAsync(page, "#kind");
        await page.Keyboard.PressAsync("ArrowDown"); // CSV tables
        Assert.True(await page.IsCheckedAsync("#kind-2"));
        await KeySubmitAsync(page);
        await AtAsync(page, @"^/exports/\d+$");
        await ReadyAsync(page);
        await CheckAsync(page);
        await TabToAsync(page, "[data-field=download]");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.EndsWith("-csv.zip", download.SuggestedFilename);
    }
}

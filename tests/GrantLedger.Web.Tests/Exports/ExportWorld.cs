using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Exports;

/// <summary>
/// A programme with money in every place the reconciliation looks, driven through the API:
/// <see cref="ClaimWorld"/> (£10,000 funded, £2,000 allocated to each of 4 schools, 2,250 minutes of
/// contact time each), then claims in several states — a draft; one under review (£250 and 450 minutes
/// reserved); approved in full (£250), for less (£200 of £250, another school) and an action-plan
/// claim (£120, theme "learning"); one rejected — and a payment run of the three approved, built,
/// approved by a second finance user, exported, and confirmed paid for school 0 (£370) only.
/// </summary>
public sealed class ExportWorld
{
    public required ClaimWorld W { get; init; }
    public required ApiClient Finance { get; init; }
    public required ApiClient Finance2 { get; init; }
    public required DateOnly Today { get; init; }
    public required int Claims { get; init; }

    public long ProgrammeId => W.S.ProgrammeId;
    public string Code => W.S.Code;

    // what the scenario leaves, in pence and minutes
    public const long Allocated = 800000, Reserved = 25000, Approved = 57000, Paid = 37000, Payable = 20000, Available = 718000;
    public const long TimeAllowance = 9000, TimeReserved = 450, TimeUsed = 900, TimeAvailable = 7650;

    public static async Task<ExportWorld> CreateAsync(DatabaseFixture db)
    {
        var w = await ClaimWorld.CreateAsync(db);
        var today = GrantLedger.Core.Ledger.UkTime.Today;

        var draft = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(draft, "STAFF-10", "2026-10-07");
        await w.UnderReviewAsync("STAFF-01", "2026-10-05");

        var full = await w.UnderReviewAsync("STAFF-02", "2026-10-06");
        (await w.Lead.PostAsync($"/api/v1/claims/{full}/approve", null)).Expect(HttpStatusCode.OK);

        var less = await w.NewClaimAsync(w.OtherSchool);
        var line = (await w.AddStaffTimeAsync(less, "STAFF-05", "2026-10-06", school: w.OtherSchool))["id"]!.GetValue<long>();
        (await w.SubmitAsync(less, w.OtherSchool)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{less}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{less}/approve", new { lines = new[] { new { lineId = line, amount = "200.00", reason = "six hours evidenced" } } }))
            .Expect(HttpStatusCode.OK);

        var rejected = await w.UnderReviewAsync("STAFF-04", "2026-10-06");
        (await w.Lead.PostAsync($"/api/v1/claims/{rejected}/reject", new { reason = "not programme activity" })).Expect(HttpStatusCode.OK);

        var plan = await w.NewClaimAsync();
        var planLine = (await w.School.PostAsync($"/api/v1/claims/{plan}/lines", new
        {
            kind = "action-plan", categoryId = w.Category("action-plan"), actionId = w.Actions[0], supplier = "Sensory Ltd", invoiceRef = "INV-1", amount = "120.00",
        })).Expect(HttpStatusCode.Created).Json["id"]!.GetValue<long>();
        (await w.AttachAsync(plan, ClaimWorld.Pdf("INV-1"), "inv-1.pdf", planLine)).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(plan)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{plan}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{plan}/approve", null)).Expect(HttpStatusCode.OK);

        // pay: build, approve (another finance user), export, confirm school 0 paid
        var finance = await w.S.FinanceAsync(db);
        var finance2 = await w.S.FinanceAsync(db, "finance2");
        await db.ScalarAsync("UPDATE school SET payee_reference = 'SUP-' || urn WHERE programme_id = $1 RETURNING 1", w.S.ProgrammeId);
        var run = (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { asOf = today.ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Created).Id;
        (await finance2.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        (await finance.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
        var payees = (await finance.GetAsync($"/api/v1/payment-runs/{run}")).Expect(HttpStatusCode.OK).Json["payees"]!.AsArray();
        var school0 = payees.Single(p => p!["amount"]!.GetValue<string>() == "370.00")!["remittanceReference"]!.GetValue<string>();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(
            $"remittance_reference,amount,date,status\r\n{school0},370.00,{today:yyyy-MM-dd},paid\r\n")), "file", "confirmations.csv");
        using var confirmed = await finance.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form);
        (await Answer.ReadAsync(confirmed)).Expect(HttpStatusCode.OK);

        return new ExportWorld { W = w, Finance = finance, Finance2 = finance2, Today = today, Claims = 6 };
    }

    /// <summary>The service's trial balance as of today, per (account code, unit): debits less credits, for accounts with a posted balance.</summary>
    public async Task<Dictionary<(string Code, string Unit), decimal>> TrialBalanceAsync()
    {
        var tb = (await W.S.Root.GetAsync($"/api/v1/programmes/{ProgrammeId}/trial-balance?asOf={Today:yyyy-MM-dd}")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
        return tb["rows"]!.AsArray()
            .Select(r => (Key: (r!["account"]!.GetValue<string>(), r["unit"]!.GetValue<string>()), Balance: decimal.Parse(r["balance"]!.GetValue<string>())))
            .Where(r => r.Balance != 0)
            .ToDictionary(r => r.Key, r => r.Balance);
    }

    /// <summary>Asks for an export through the API and waits for it to finish; answers the job and the percentages seen.</summary>
    public static async Task<(JsonNode Job, List<int> Percentages)> RunJobAsync(ApiClient client, long programmeId, string kind, DateOnly asOf)
    {
        var asked = (await client.PostAsync($"/api/v1/programmes/{programmeId}/exports", new { kind, asOf = asOf.ToString("yyyy-MM-dd") }))
            .Expect(HttpStatusCode.Accepted);
        var location = asked.Headers.Location!.ToString();
        Assert.Equal($"/api/v1/exports/{asked.Id}", location);
        Assert.Contains(asked.Json["state"]!.GetValue<string>(), new[] { "queued", "running" });
        var seen = new List<int>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = (await client.GetAsync(location)).Expect(HttpStatusCode.OK).Json;
            seen.Add(job["percentDone"]!.GetValue<int>());
            if (job["state"]!.GetValue<string>() is "succeeded" or "failed") return (job, seen);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"export still {job["state"]} after 90 s");
            await Task.Delay(100);
        }
    }

    public static async Task<(int Code, string Out, string Err)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await output, await error);
    }

    /// <summary>The workbook as openpyxl reads it (Debian's python3-openpyxl, so /usr/bin/python3).</summary>
    public static async Task<JsonNode> ReadWorkbookAsync(string path)
    {
        var (code, output, error) = await RunAsync("/usr/bin/python3", Path.Combine(Here(), "read_workbook.py"), path);
        Assert.True(code == 0, $"read_workbook.py failed: {error}");
        return JsonNode.Parse(output)!;
    }

    private static string Here([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    /// <summary>A new folder for a test's export files, inside one folder per test run that is removed when the run ends.</summary>
    public static string TempFolder()
    {
        var folder = Path.Combine(TempRoot.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static readonly Lazy<string> TempRoot = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), $"grantledger-export-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { } // a file still open as the run ends: the OS's temp clean-up takes it
        };
        return root;
    });
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Audit;

public sealed class ClaimHistoryTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task ClaimHistory_HasEveryTransition_EveryLedgerLine_AndEveryEvidenceFilesHash_RemovedOnesToo()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var auditor = await w.S.AuditorAsync(Db);
        var claimId = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(claimId);
        var kept = ClaimWorld.Pdf("invoice 1");
        var dropped = ClaimWorld.Png(7);
        (await w.AttachAsync(claimId, kept, "invoice.pdf")).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(claimId, dropped, "wrong.png")).Expect(HttpStatusCode.Created);
        var droppedId = await Db.ScalarAsync("SELECT id FROM evidence WHERE file_name = 'wrong.png'");
        (await w.School.DeleteAsync($"/api/v1/evidence/{droppedId}")).Expect(HttpStatusCode.NoContent);
        (await w.SubmitAsync(claimId)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{claimId}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{claimId}/approve", null)).Expect(HttpStatusCode.OK);

        var h = (await auditor.GetAsync($"/api/v1/audit/claims/{claimId}/history")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", h["claim"]!["state"]!.GetValue<string>());
        Assert.Equal(["submit", "start-review", "approve"], h["transitions"]!.AsArray().Select(t => t!["trigger"]!.GetValue<string>()).ToArray());
        Assert.Equal(w.Lead.UserName, h["transitions"]![2]!["actor"]!.GetValue<string>());

        // submit holds £250 and a day of contact time (450 minutes); approval posts both
        var lines = h["ledgerLines"]!.AsArray();
        Assert.Equal(["pending", "pending", "post_pending", "post_pending"], lines.Select(x => x!["kind"]!.GetValue<string>()).Order().ToArray());
        Assert.Equal(["250.00", "250.00", "450", "450"], lines.Select(x => x!["amount"]!.GetValue<string>()).Order().ToArray());
        var entries = h["transitions"]!.AsArray().Select(t => t!["entryId"]?.GetValue<long>()).Where(e => e is not null).ToHashSet();
        Assert.All(lines, x => Assert.Contains(x!["entryId"]!.GetValue<long>(), entries));

        var evidence = h["evidence"]!.AsArray();
        Assert.Equal(2, evidence.Count);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(kept)), evidence[0]!["sha256"]!.GetValue<string>());
        Assert.Null(evidence[0]!["removedAt"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(dropped)), evidence[1]!["sha256"]!.GetValue<string>());
        Assert.NotNull(evidence[1]!["removedAt"]);

        var actions = h["events"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Equal(["claim.started", "claim.line-added", "claim.evidence-attached", "claim.evidence-attached", "claim.evidence-removed",
            "claim.submit", "claim.start-review", "claim.approve"], actions);

        // the journal search finds the same lines by claim
        var search = (await auditor.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&claimId={claimId}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(lines.Select(x => x!["transferId"]!.GetValue<long>()).Order(), search["items"]!.AsArray().Select(x => x!["transferId"]!.GetValue<long>()).Order());

        var csv = (await auditor.GetAsync($"/api/v1/audit/claims/{claimId}/history?format=csv")).Expect(HttpStatusCode.OK).Body
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"# query: GET /api/v1/audit/claims/{claimId}/history?format=csv", csv[0]);
        Assert.Equal(3, csv.Count(x => x.StartsWith("transition,", StringComparison.Ordinal)));
        Assert.Equal(4, csv.Count(x => x.StartsWith("ledger,", StringComparison.Ordinal)));
        Assert.Contains(csv, x => x.StartsWith("evidence,", StringComparison.Ordinal) && x.Contains(Convert.ToHexStringLower(SHA256.HashData(dropped))));
        // an amount and its unit in a column each, so that a spreadsheet sums the amounts ("250.00 GBP" was one cell)
        var header = csv.First(x => x.StartsWith("section,", StringComparison.Ordinal)).Split(',');
        var (amount, unit) = (Array.IndexOf(header, "amount"), Array.IndexOf(header, "unit"));
        Assert.Equal(["250.00 GBP", "250.00 GBP", "450 MIN", "450 MIN"], csv.Where(x => x.StartsWith("ledger,", StringComparison.Ordinal))
            .Select(x => x.Split(',')).Select(c => $"{c[amount]} {c[unit]}").Order().ToArray());

        (await w.OtherSchool.GetAsync($"/api/v1/audit/claims/{claimId}/history")).ExpectProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Journal_ByPaymentRun_FindsThePaymentsItPosted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var claimId = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{claimId}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("UPDATE school SET payee_reference = 'SUP-' || urn");
        var builder = await w.S.FinanceAsync(Db, "builder");
        var approver = await w.S.FinanceAsync(Db, "approver");
        var run = (await builder.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Json;
        var runId = run["id"]!.GetValue<long>();
        (await approver.PostAsync($"/api/v1/payment-runs/{runId}/approve", null)).Expect(HttpStatusCode.OK);
        (await builder.PostAsync($"/api/v1/payment-runs/{runId}/export", null)).Expect(HttpStatusCode.OK);
        var payee = run["payees"]![0]!;
        var file = $"remittance_reference,amount,date,status\n{payee["remittanceReference"]!.GetValue<string>()},{payee["amount"]!.GetValue<string>()},{GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd},paid\n";
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(file));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(content, "file", "confirmations.csv");
        using (var response = await builder.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form))
            (await Answer.ReadAsync(response)).Expect(HttpStatusCode.OK);

        var auditor = await w.S.AuditorAsync(Db);
        // the claim's history says which run each step of a run was, as the claim's own does (it said nothing of which)
        var steps = (await auditor.GetAsync($"/api/v1/audit/claims/{claimId}/history")).Expect(HttpStatusCode.OK).Json["transitions"]!.AsArray();
        Assert.Equal([("add-to-payment-run", (long?)runId), ("mark-paid", runId)], steps.Where(t => t!["trigger"]!.GetValue<string>() is "add-to-payment-run" or "mark-paid")
            .Select(t => (t!["trigger"]!.GetValue<string>(), t["paymentRunId"]?.GetValue<long>())).ToArray());
        var rows = (await auditor.GetAsync($"/api/v1/audit/claims/{claimId}/history?format=csv")).Expect(HttpStatusCode.OK).Body.Split("\r\n")
            .Where(x => !x.StartsWith('#')).Select(x => x.Split(',')).ToList();
        var runColumn = Array.IndexOf(rows[0], "payment_run_id");
        Assert.Equal([runId.ToString(), runId.ToString()], rows.Where(r => r[0] == "transition" && r[4] is "add-to-payment-run" or "mark-paid").Select(r => r[runColumn]).ToArray());
        var lines = (await auditor.GetAsync($"/api/v1/audit/journal?programmeId={w.S.ProgrammeId}&paymentRunId={runId}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        var line = Assert.Single(lines);
        Assert.Equal("250.00", line!["amount"]!.GetValue<string>());
        Assert.Equal("payment_run", line["causeType"]!.GetValue<string>());
        Assert.EndsWith(":payable", line["debitAccount"]!.GetValue<string>());

        var trail = (await auditor.GetAsync($"/api/v1/audit/events?recordType=payment_run&recordId={runId}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray()
            .Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Contains("payment-run.built", trail);
        Assert.Contains("payment-run.approve", trail);
        Assert.Contains("payment-run.export", trail);
        Assert.Contains("payment-run.mark-paid", trail);
        Assert.Equal(Roles.FunderFinance, (await auditor.GetAsync($"/api/v1/audit/events?recordType=payment_run&recordId={runId}&action=payment-run.approve"))
            .Expect(HttpStatusCode.OK).Json["items"]![0]!["role"]!.GetValue<string>());
    }
}

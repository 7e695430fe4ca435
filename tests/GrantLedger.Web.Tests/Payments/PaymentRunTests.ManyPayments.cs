using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Payments;

/// <summary>
/// A confirmations file's payments are recorded all at once (one statement of entries, one move of each run's claims), as a
/// national run's 24,000 must be: each payment still its own entry, each claim moved with its own payment's entry, every
/// run of the file done when its last payee is, and nothing of any payment written when one of them cannot be.
/// </summary>
public sealed partial class PaymentRunTests
{
    /// <summary>Two runs exported: the first pays schools 0 (two claims) and 1, the second school 0 again (a claim approved after the first was built).</summary>
    private async Task<(World X, long First, long Second, long LaterClaim)> TwoRunsExportedAsync()
    {
        var x = await ApprovedAsync();
        var (first, _) = await ExportedAsync(x);
        var later = await x.W.UnderReviewAsync("STAFF-04", "2026-10-08");
        (await x.W.Lead.PostAsync($"/api/v1/claims/{later}/approve", null)).Expect(HttpStatusCode.OK);
        var (second, _) = await ExportedAsync(x);
        return (x, first, second, later);
    }

    [Fact]
    public async Task AFileConfirmingPaymentsOfTwoRuns_PostsAnEntryForEachPayment_MovesEachClaimWithItsOwn_AndEndsBothRuns()
    {
        var (x, first, second, later) = await TwoRunsExportedAsync();
        var (urn0, urn1) = (x.W.S.Schools[0].Urn, x.W.S.Schools[1].Urn);
        var report = await ImportAsync(x, $"""
            remittance_reference,amount,date,status
            PR{first:000000}-{urn0},450.00,{Today},paid
            PR{first:000000}-{urn1},250.00,{Today},failed
            PR{second:000000}-{urn0},250.00,{Today},paid
            """);
        Assert.Equal((2, 1), (report["paid"]!.GetValue<int>(), report["failed"]!.GetValue<int>()));

        foreach (var run in new[] { first, second })
            Assert.Equal("paid", (await x.Maker.GetAsync($"/api/v1/payment-runs/{run}")).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
        // one entry a payment paid, payable -> paid for what it pays, named by its run and remittance reference
        Assert.Equal($"PR-{first:000000} {urn0} 45000|PR-{second:000000} {urn0} 25000", await Db.TextAsync($"""
            SELECT string_agg(concat_ws(' ', substring(e.description from 'Payment (PR-[0-9]+)'), substring(e.description from '\(([0-9]+)\)'),
                              (SELECT sum(t.amount) FROM transfer t WHERE t.entry_id = e.id)), '|' ORDER BY e.cause_id)
              FROM journal_entry e WHERE e.cause_type = 'payment_run'
            """));
        // each claim paid names its own payment's entry; the failed payment's claim is approved again, for another run
        Assert.Equal($"{x.Claims[0]}:PR-{first:000000}|{x.Claims[1]}:PR-{first:000000}|{later}:PR-{second:000000}", await Db.TextAsync("""
            SELECT string_agg(t.claim_id || ':' || substring(e.description from 'Payment (PR-[0-9]+)'), '|' ORDER BY t.claim_id)
              FROM claim_transition t JOIN journal_entry e ON e.id = t.entry_id WHERE t.trigger = 'mark-paid'
            """));
        Assert.Equal("approved", State((await x.W.Lead.GetAsync($"/api/v1/claims/{x.Claims[2]}")).Expect(HttpStatusCode.OK).Json));
        Assert.Equal("2 payees 70000; paid 1 45000; failed 1 25000", await TotalsAsync(first));
        Assert.Equal("1 payees 25000; paid 1 25000; failed 0 0", await TotalsAsync(second));
    }

    /// <summary>
    /// A payment whose claims no longer come to what the file paid (a claim's line changed behind the service's back) stops
    /// the whole file with 409 naming it: no payment of the file is recorded, the one that matched included.
    /// </summary>
    [Fact]
    public async Task APaymentWhoseClaimsNoLongerComeToItsAmount_StopsTheFile_AndNoPaymentOfItIsRecorded()
    {
        var (x, first, second, _) = await TwoRunsExportedAsync();
        var urn0 = x.W.S.Schools[0].Urn;
        await Db.DataSource.TamperAsync("UPDATE claim_line SET sanctioned_pence = 10000 WHERE claim_id = $1", x.Claims[1]);
        var refused = (await SendConfirmationsAsync(x, $"""
            remittance_reference,amount,date,status
            PR{second:000000}-{urn0},250.00,{Today},paid
            PR{first:000000}-{urn0},450.00,{Today},paid
            """)).ExpectProblem(HttpStatusCode.Conflict, rule: "payment-differs").Json;
        Assert.Contains($"PR{first:000000}-{urn0}: the claims now come to £350.00, not the £450.00 paid", refused["detail"]!.GetValue<string>());

        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'payment_run'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee WHERE status <> 'pending'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'paid'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM payment_confirmation_import"));
        Assert.Equal("exported", (await x.Maker.GetAsync($"/api/v1/payment-runs/{second}")).Expect(HttpStatusCode.OK).Json["state"]!.GetValue<string>());
    }
}

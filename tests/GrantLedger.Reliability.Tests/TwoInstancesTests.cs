using System.Net;
using System.Text;
using GrantLedger.Reliability.Tests.Support;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Reliability.Tests;

/// <summary>Two service processes on two ports against one database, raced against each other.</summary>
public sealed class TwoInstancesTests(DatabaseFixture db) : ReliabilityTest(db)
{
    private static bool Ok(Answer a) => (int)a.Status is >= 200 and < 300;

    private static void NeverAServerError(IEnumerable<Answer> answers, params ServiceProcess[] services)
    {
        foreach (var a in answers)
            Assert.True((int)a.Status < 500, $"{(int)a.Status} {a.Body}" + string.Concat(services.Select(s => $"\n--- {s.Name} ---\n{s.Log}")));
    }

    [Fact]
    public async Task ConcurrentSubmissionsOnBothInstances_NeverOverspend_AndRacesOnOneClaimAre409()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (a, b) = (await StartServiceAsync("instance A"), await StartServiceAsync("instance B"));
        await Task.WhenAll(a.WarmUpAsync(w.S.Root), b.WarmUpAsync(w.S.Root));
        var school = await w.S.SchoolUserAsync(Db, 2);   // £1,000 of staff cover: room for four £250 claims
        var (schoolA, schoolB) = (a.As(school), b.As(school));
        var (leadA, leadB) = (a.As(w.OtherLead), b.As(w.OtherLead));

        var drafts = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var id = (await schoolA.PostAsync("/api/v1/claims", new { periodId = w.Periods["aut1"], description = $"race {i}" })).Expect(HttpStatusCode.Created).Id;
            (await (i % 2 == 0 ? schoolA : schoolB).PostAsync($"/api/v1/claims/{id}/lines", new
            {
                kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = $"OVER-{i}", role = "leader", activity = "training",
                date = "2026-10-05", days = 1m,
            })).Expect(HttpStatusCode.Created);
            drafts.Add(id);
        }

        // Twelve £250 claims submitted at once, alternately on each instance, against £1,000.
        var submitted = await Task.WhenAll(drafts.Select((id, i) =>
            (i % 2 == 0 ? schoolA : schoolB).PostAsync($"/api/v1/claims/{id}/submit", new { declaration = true })));
        NeverAServerError(submitted, a, b);
        Assert.Equal(4, submitted.Count(Ok));
        Assert.All(submitted.Where(s => !Ok(s)), s => s.ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "claim-exceeds-available"));
        var available = await w.AccountAsync(2, "staff-cover", "available");
        Assert.Equal("0.00", available["available"]!.GetValue<string>());

        // The same claim reviewed, then approved, on both instances at once: one wins, the other is told 409.
        var held = drafts.Where((_, i) => Ok(submitted[i])).ToList();
        foreach (var trigger in new[] { "start-review", "approve" })
        {
            var raced = (await Task.WhenAll(held.SelectMany(id => new[]
            {
                leadA.PostAsync($"/api/v1/claims/{id}/{trigger}", null), leadB.PostAsync($"/api/v1/claims/{id}/{trigger}", null),
            }))).Chunk(2).ToList();
            NeverAServerError(raced.SelectMany(x => x), a, b);
            Assert.All(raced, pair =>
            {
                Assert.Single(pair, Ok);
                pair.Single(x => !Ok(x)).ExpectProblem(HttpStatusCode.Conflict);
            });
        }
        Assert.Equal(4, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'approved'"));
        Assert.Equal(4, await Db.ScalarAsync("SELECT count(*) FROM transfer WHERE kind = 'post_pending'"));
        Assert.Equal("0.00", (await w.AccountAsync(2, "staff-cover", "available"))["available"]!.GetValue<string>());
        Assert.Equal("1000.00", (await w.AccountAsync(2, "staff-cover", "payable"))["balance"]!.GetValue<string>());
        await LedgerChecks.AssertConsistentAsync(Sql);
    }

    [Fact]
    public async Task ATokenRevokedOrAUserDisabledOnOneInstance_IsRefusedOnTheOtherWithinSeconds()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (a, b) = (await StartServiceAsync("instance A"), await StartServiceAsync("instance B"));
        var school = w.School;
        // both instances have looked the two people's tokens up, and keep them
        foreach (var service in new[] { a, b, a, b })
        {
            (await service.As(school).GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
            (await service.As(w.OtherLead).GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        }

        var token = (await a.As(school).GetAsync("/api/v1/me/tokens")).Expect(HttpStatusCode.OK).Json.AsArray().Single()!["id"]!.GetValue<long>();
        (await a.As(school).DeleteAsync($"/api/v1/me/tokens/{token}")).Expect(HttpStatusCode.NoContent);
        Assert.Contains("revoked", (await a.As(school).GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized).Json["detail"]!.GetValue<string>());
        Assert.Contains("revoked", (await b.As(school).RefusedWithinAsync(TimeSpan.FromSeconds(5))).Json["detail"]!.GetValue<string>());

        (await b.As(w.S.Root).PostAsync($"/api/v1/users/{w.OtherLead.UserId}/disable", null)).Expect(HttpStatusCode.OK);
        (await b.As(w.OtherLead).GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized);
        Assert.Contains("disabled", (await a.As(w.OtherLead).RefusedWithinAsync(TimeSpan.FromSeconds(5))).Json["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoFinanceUsersOnTwoInstances_EachApprovedClaimInOneRun_EachPayeePaidOnce()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var (a, b) = (await StartServiceAsync("instance A"), await StartServiceAsync("instance B"));
        await Task.WhenAll(a.WarmUpAsync(w.S.Root), b.WarmUpAsync(w.S.Root));
        var approved = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            var (school, lead) = i % 2 == 0 ? (w.School, w.Lead) : (w.OtherSchool, w.Lead);
            var id = await w.NewClaimAsync(school);
            await w.AddStaffTimeAsync(id, $"PAY-{i}", "2026-10-05", school: school, allowance: false);
            (await w.SubmitAsync(id, school)).Expect(HttpStatusCode.OK);
            (await lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
            (await lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
            approved.Add(id);
        }
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var (maker, checker) = (await w.S.FinanceAsync(Db, "finance-1"), await w.S.FinanceAsync(Db, "finance-2"));
        var runs = $"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs";

        // Both finance users build runs at the same moment, each on their own instance, three times over.
        var built = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? a.As(maker) : b.As(checker)).PostAsync(runs, new { })));
        NeverAServerError(built, a, b);
        Assert.All(built.Where(x => !Ok(x)), x => Assert.Contains(x.Status, new[] { HttpStatusCode.Conflict, HttpStatusCode.UnprocessableEntity }));
        var runIds = built.Where(Ok).Select(x => x.Id).ToList();
        Assert.NotEmpty(runIds);
        Assert.Equal(approved.Count, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'in-payment-run'"));
        Assert.Equal(approved.Count, await Db.ScalarAsync("SELECT count(*) FROM claim_transition WHERE trigger = 'add-to-payment-run'"));
        Assert.Equal(250_00L * approved.Count, await Db.ScalarAsync("SELECT coalesce(sum(total_pence), 0) FROM payment_run"));

        // Each run approved by the user who did not build it, on both instances at once: one approval each, one 409.
        foreach (var run in built.Where(Ok).Select(x => x.Json))
        {
            var approver = run["builtBy"]?.GetValue<long>() == maker.UserId ? checker : maker;
            var raced = await Task.WhenAll(a.As(approver).PostAsync($"/api/v1/payment-runs/{run["id"]}/approve", null),
                b.As(approver).PostAsync($"/api/v1/payment-runs/{run["id"]}/approve", null));
            NeverAServerError(raced, a, b);
            Assert.Single(raced, Ok);
            raced.Single(x => !Ok(x)).ExpectProblem(HttpStatusCode.Conflict);
            (await a.As(approver).PostAsync($"/api/v1/payment-runs/{run["id"]}/export", null)).Expect(HttpStatusCode.OK);
        }

        // The finance system's confirmations imported on both instances at once: each payee is paid once.
        var csv = new StringBuilder("remittance_reference,amount,date,status\n");
        await using (var cmd = Db.DataSource.CreateCommand("SELECT remittance_reference, amount_pence FROM payment_run_payee ORDER BY id"))
        await using (var rows = await cmd.ExecuteReaderAsync())
            while (await rows.ReadAsync())
                csv.Append($"{rows.GetString(0)},{rows.GetInt64(1) / 100}.{rows.GetInt64(1) % 100:00},{GrantLedger.Core.Ledger.UkTime.Today:yyyy-MM-dd},paid\n");
        var payees = await Db.ScalarAsync("SELECT count(*) FROM payment_run_payee");
        var imports = await Task.WhenAll(ImportAsync(a.As(maker), w, csv.ToString()), ImportAsync(b.As(checker), w, csv.ToString()));
        NeverAServerError(imports, a, b);
        Assert.All(imports, x => x.Expect(HttpStatusCode.OK));
        Assert.Equal(payees, imports.Sum(x => x.Json["paid"]!.GetValue<int>()));
        Assert.Equal(payees, imports.Sum(x => x.Json["unchanged"]!.GetValue<int>()));
        Assert.Equal(approved.Count, await Db.ScalarAsync("SELECT count(*) FROM claim WHERE state = 'paid'"));
        Assert.Equal(payees, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'payment_run'"));
        Assert.Equal(250_00L * approved.Count, await Db.ScalarAsync("SELECT sum(debits_posted + credits_posted) FROM account WHERE code LIKE '%:paid'"));
        await LedgerChecks.AssertConsistentAsync(Sql);
    }

    private static async Task<Answer> ImportAsync(ApiClient finance, ClaimWorld w, string csv)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(csv, Encoding.UTF8, "text/csv"), "file", "confirmations.csv");
        using var response = await finance.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form);
        return await Answer.ReadAsync(response);
    }
}

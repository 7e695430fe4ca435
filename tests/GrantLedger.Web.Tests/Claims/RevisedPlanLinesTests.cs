using System.Net;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>
/// A draft's action-plan lines name an action of the plan agreed when they were added. Revising the plan makes new versions of
/// its actions, each keeping its number (ref): a line whose action's number is still in the agreed plan is submitted (it was
/// refused as "no longer in the school's agreed action plan"); only the lines of an action the new version removed are refused.
/// </summary>
public sealed class RevisedPlanLinesTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task AfterTheAgreedPlanIsRevised_LinesOfKeptActionsAreSubmitted_AndOnlyARemovedActionsLineIsRefused()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lines = new List<long>();
        foreach (var (action, invoice) in new[] { (w.Actions[0], "INV-1"), (w.Actions[1], "INV-2") })
        {
            var claim = (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
            {
                kind = "action-plan", categoryId = w.Category("action-plan"), actionId = action, supplier = "Sensory Ltd", invoiceRef = invoice, amount = "50.00",
            })).Expect(HttpStatusCode.Created).Json;
            var line = claim["lines"]!.AsArray().Single(l => l!["invoiceRef"]!.GetValue<string>() == invoice)!["id"]!.GetValue<long>();
            (await w.AttachAsync(id, ClaimWorld.Pdf(invoice), $"{invoice}.pdf", line)).Expect(HttpStatusCode.Created);
            lines.Add(line);
        }
        var plan = (await w.School.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Json.AsArray().Single()!["id"]!.GetValue<long>();

        // v2 keeps both actions: every line is still the plan's
        await AgreeRevisionAsync(w, plan, keepSecond: true);

        // v3 drops action 2 (a new action 3 in its place): its line alone is refused
        var v2 = (await w.School.GetAsync($"/api/v1/action-plans?schoolId={w.S.Schools[0].Id}")).Json.AsArray()
            .Single(p => p!["state"]!.GetValue<string>() == "agreed")!["id"]!.GetValue<long>();
        await AgreeRevisionAsync(w, v2, keepSecond: false);
        var refused = (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[1].actionId");
        Assert.DoesNotContain("lines[0].actionId", refused.Json["errors"]!.AsObject().Select(e => e.Key));

        // the line of the removed action shows no action of the plan; the other, the new version's action 1
        var seen = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        var agreed = seen["plan"]!["actions"]!.AsArray().Single(a => a!["actionRef"]!.GetValue<int>() == 1)!["actionId"]!.GetValue<long>();
        Assert.Equal(1, seen["lines"]![0]!["actionRef"]!.GetValue<int>());
        Assert.Equal(agreed, seen["lines"]![0]!["actionId"]!.GetValue<long>());
        Assert.Null(seen["lines"]![1]!["actionRef"]);

        (await w.School.DeleteAsync($"/api/v1/claims/{id}/lines/{lines[1]}")).Expect(HttpStatusCode.OK);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
    }

    private static async Task AgreeRevisionAsync(ClaimWorld w, long agreed, bool keepSecond)
    {
        var revision = (await w.School.PostAsync($"/api/v1/action-plans/{agreed}/revise", null)).Expect(HttpStatusCode.Created).Id;
        if (!keepSecond)
            (await w.School.PutAsync($"/api/v1/action-plans/{revision}", new
            {
                themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"),
                actions = new object[]
                {
                    new { @ref = 1, theme = "learning", description = "Sensory room kit", periodId = w.Periods["aut1"], estimatedCost = "300.00" },
                    new { theme = "support", description = "Visual timetables", periodId = w.Periods["aut2"], estimatedCost = "40.00" },
                },
            })).Expect(HttpStatusCode.OK);
        (await w.School.PostAsync($"/api/v1/action-plans/{revision}/submit", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/action-plans/{revision}/agree", null)).Expect(HttpStatusCode.OK);
    }
}

using GrantLedger.Web.Demo;
using GrantLedger.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Infrastructure;

public sealed class DemoDataTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Demo_LoadsBothPilots_AndASecondLoadDuplicatesNothing()
    {
        async Task LoadAsync()
        {
            await using var scope = Db.Factory.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(CancellationToken.None);
        }
        await LoadAsync();
        var counts = await CountsAsync();
        await LoadAsync();
        Assert.Equal(counts, await CountsAsync());

        Assert.Equal(1680, await Db.ScalarAsync("SELECT count(*) FROM school s JOIN programme p ON p.id = s.programme_id WHERE p.code = 'pins'"));
        Assert.Equal(42, await Db.ScalarAsync("SELECT count(*) FROM area a JOIN programme p ON p.id = a.programme_id WHERE p.code = 'pins'"));
        Assert.Equal(21, await Db.ScalarAsync("SELECT count(*) FROM school s JOIN programme p ON p.id = s.programme_id WHERE p.code = 'dm'"));
        // £13m allocated to PINS schools, exactly
        Assert.Equal(1_300_000_000, await Db.ScalarAsync("SELECT sum(credits_posted) FROM account WHERE unit = 'GBP' AND code LIKE 'pins:%:school:%:available'"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT sum(debits_posted - credits_posted) FROM account"));

        var file = Path.Combine(Db.Cluster.DataDirectory, "..", "demo-credentials.json");
        var credentials = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Contains(credentials.EnumerateArray(), c => c.GetProperty("role").GetString() == "auditor" && c.GetProperty("token").GetString()!.StartsWith("glt_"));
        var schoolToken = credentials.EnumerateArray().First(c => c.GetProperty("userName").GetString() == "pins-school").GetProperty("token").GetString();
        var client = new ApiClient(Db.Factory.CreateClient(), schoolToken, 0, "pins-school");
        (await client.GetAsync("/api/v1/me")).Expect(System.Net.HttpStatusCode.OK);
    }

    private async Task<string> CountsAsync()
    {
        var tables = new[] { "programme", "area", "school", "budget_category", "app_user", "api_token", "journal_entry", "transfer", "account" };
        var counts = new List<long>();
        foreach (var t in tables) counts.Add(await Db.ScalarAsync($"SELECT count(*) FROM {t}"));
        return string.Join(",", counts);
    }
}

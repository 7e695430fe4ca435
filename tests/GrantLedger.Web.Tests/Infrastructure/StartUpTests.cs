using System.Net;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GrantLedger.Web.Tests.Infrastructure;

public sealed class StartUpTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Health_AndOpenApi_AreServedWithoutSigningIn()
    {
        var client = Db.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var doc = await client.GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("/api/v1/programmes/{programmeId}/years/{yearId}/allocations", doc);
        Assert.Contains("Idempotency-Key", doc);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/swagger/index.html")).StatusCode);
    }

    [Fact]
    public async Task Migrations_OnAFreshDatabase_ApplyInOrder_AndASecondRunDoesNothing()
    {
        await Db.Cluster.CreateDatabaseIfMissingAsync("migrations_fresh");
        var cs = Db.Cluster.ConnectionString("migrations_fresh");
        var applied = await Migrator.ApplyAsync(cs);
        Assert.Equal(Migrator.Embedded().Select(m => m.Name), applied);
        Assert.Empty(await Migrator.ApplyAsync(cs));
    }

    [Fact]
    public async Task Migrations_StartedTwiceAtOnce_ApplyEachFileOnce()
    {
        await Db.Cluster.CreateDatabaseIfMissingAsync("migrations_race");
        var cs = Db.Cluster.ConnectionString("migrations_race");
        var runs = await Task.WhenAll(Migrator.ApplyAsync(cs), Migrator.ApplyAsync(cs), Migrator.ApplyAsync(cs));
        Assert.Equal(Migrator.Embedded().Count, runs.Sum(r => r.Count));
    }

    [Fact]
    public async Task Migrations_WhenAnAppliedFileWasChanged_StopWithAClearMessage()
    {
        var changed = Migrator.Embedded().Select((m, i) => i == 0 ? m with { Sql = m.Sql + "\n-- edited after release\n" } : m).ToList();
        var e = await Assert.ThrowsAsync<MigrationChanged>(() => Migrator.ApplyAsync(Db.ConnectionString, changed));
        Assert.Contains(changed[0].Name, e.Message);
        Assert.Contains("new numbered migration", e.Message);
    }

    [Fact]
    public async Task EfModel_MatchesTheSchemaTheMigrationsCreate()
    {
        await using var scope = Db.Factory.Services.CreateAsyncScope();
        var model = scope.ServiceProvider.GetRequiredService<GrantLedgerDb>().Model;
        var columns = new HashSet<(string, string, bool)>();
        await using (var cmd = Db.DataSource.CreateCommand("SELECT table_name, column_name, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = 'public'"))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) columns.Add((r.GetString(0), r.GetString(1), r.GetBoolean(2)));

        var problems = new List<string>();
        foreach (var entity in model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            foreach (var property in entity.GetProperties().Where(p => p.GetColumnName() != "xmin")) // a system column: the ETag
            {
                var column = property.GetColumnName();
                var match = columns.FirstOrDefault(c => c.Item1 == table && c.Item2 == column);
                if (match == default) problems.Add($"{table}.{column} is mapped but not in the database");
                else if (match.Item3 != property.IsNullable) problems.Add($"{table}.{column}: nullable {match.Item3} in the database, {property.IsNullable} in EF");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}

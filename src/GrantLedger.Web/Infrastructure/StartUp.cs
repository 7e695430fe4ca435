using GrantLedger.Web.Demo;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Before the service takes requests: find (or start) the database, apply migrations, and load the
/// demo data when asked. Runs as the first hosted service, so the server listens only once it is done.
/// </summary>
public sealed class StartUp(DatabaseEndpoint endpoint, GrantLedgerOptions options, IServiceProvider services, ILogger<StartUp> log)
    : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await endpoint.ResolveAsync(ct);
        var applied = await endpoint.MigrateAsync(ct);
        if (applied.Count > 0) log.LogInformation("Applied migrations: {Migrations}", string.Join(", ", applied));
        if (options.Demo)
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(ct);
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (endpoint.LocalCluster is { StartedHere: true } cluster)
        {
            log.LogInformation("Stopping the local PostgreSQL cluster");
            await cluster.StopAsync();
        }
    }
}

using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>
/// Seals the hash chains in the background, every GrantLedger:Audit:SealIntervalSeconds (default 2;
/// 0 turns it off, as the tests do, which seal with <see cref="Sealing.SealAllAsync"/> when they
/// choose). Any number of instances may run it: each chain is sealed under an advisory lock.
/// </summary>
public sealed class Sealer(IServiceProvider services, IConfiguration configuration, ILogger<Sealer> log) : BackgroundService
{
    public const string IntervalSetting = "GrantLedger:Audit:SealIntervalSeconds";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue<double?>(IntervalSetting) ?? 2;
        if (seconds <= 0)
        {
            log.LogInformation("Background sealing is off ({Setting} = {Seconds})", IntervalSetting, seconds);
            return;
        }
        // resolved now, not when constructed: the database endpoint is known only once StartUp has run
        var dataSource = services.GetRequiredKeyedService<NpgsqlDataSource>(Infrastructure.DatabaseEndpoint.Background);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        do
        {
            try
            {
                foreach (var s in await Sealing.SealAllAsync(dataSource, stoppingToken))
                    log.LogDebug("Sealed {Count} records into {Chain}, up to seal {Seq}", s.Records, s.Chain, s.LastSeq);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                log.LogWarning(e, "Sealing failed; trying again in {Seconds} s", seconds);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

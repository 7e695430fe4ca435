using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Exports;

/// <summary>
/// A read-only hot standby of the database (ConnectionStrings:GrantLedgerReports, optional) where exports read the
/// ledger, so that finance's workbooks and the auditors' journals do not take the primary's CPU and I/O. An export is
/// read there only once the replica has replayed the primary's WAL as far as it had reached when the export was asked
/// for, so that it holds everything committed before then, as a read on the primary would; a replica that cannot be
/// reached, or has not caught up within <see cref="GrantLedgerOptions.ReportsReplicaWaitSeconds"/>, is passed over
/// and the export is read on the primary. The job says which (<see cref="ExportJob.ReadFrom"/>).
/// </summary>
public sealed class ReportsReplica(IConfiguration configuration, GrantLedgerOptions options, ILogger<ReportsReplica> log) : IAsyncDisposable
{
    public const string ConnectionStringName = "GrantLedgerReports";
    public const string Replica = "replica", Primary = "primary";

    private readonly Lazy<NpgsqlDataSource?> _source = new(() =>
        configuration.GetConnectionString(ConnectionStringName) is { } cs && !string.IsNullOrWhiteSpace(cs)
            ? DatabaseEndpoint.CreateDataSource(cs, background: true)
            : null);

    /// <summary>
    /// A context on the replica once it has replayed <paramref name="requestedLsn"/> (the primary's WAL position when the
    /// export was asked for); null when there is no replica, or it cannot be reached or has not caught up in time.
    /// </summary>
    public async Task<GrantLedgerDb?> CaughtUpAsync(long jobId, string? requestedLsn, CancellationToken ct)
    {
        if (_source.Value is not { } replica) return null;
        if (string.IsNullOrEmpty(requestedLsn)) return null; // a job asked for before the service knew of replicas
        var deadline = DateTimeOffset.UtcNow.AddSeconds(options.ReportsReplicaWaitSeconds);
        try
        {
            while (true)
            {
                await using (var cmd = replica.CreateCommand("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= $1::pg_lsn"))
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = requestedLsn });
                    if (await cmd.ExecuteScalarAsync(ct) is true)
                        return new GrantLedgerDb(new DbContextOptionsBuilder<GrantLedgerDb>().UseNpgsql(replica).Options);
                }
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    log.LogWarning("Export {Id} is read on the primary: the reports replica had not replayed to {Lsn} within {Seconds} s",
                        jobId, requestedLsn, options.ReportsReplicaWaitSeconds);
                    return null;
                }
                await Task.Delay(200, ct);
            }
        }
        catch (Exception e) when (ProblemAnswers.IsDatabaseUnavailable(e) || e is NpgsqlException)
        {
            log.LogWarning(e, "Export {Id} is read on the primary: the reports replica could not be reached", jobId);
            replica.Clear();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_source.IsValueCreated && _source.Value is { } source) await source.DisposeAsync();
    }
}

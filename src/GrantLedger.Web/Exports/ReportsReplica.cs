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
public sealed class ReportsReplica(IConfiguration configuration, GrantLedgerOptions options, ILogger<ReportsReplica> log, ILoggerFactory logs)
    : IAsyncDisposable
{
    public const string ConnectionStringName = "GrantLedgerReports";
    public const string Replica = "replica", Primary = "primary";

    private readonly Lazy<NpgsqlDataSource?> _source = new(() =>
        configuration.GetConnectionString(ConnectionStringName) is { } cs && !string.IsNullOrWhiteSpace(cs)
            ? DatabaseEndpoint.CreateDataSource(cs, background: true, logs)
            : null);

    /// <summary>
    /// A context on the replica once it has replayed <paramref name="requestedLsn"/> (the primary's WAL position when the
    /// export was asked for); null when there is no replica, or it cannot be reached or has not caught up in time. The
    /// context reads on the very connection that was checked (a connection string naming several standbys may reach a
    /// different one with each connection), and closes it when disposed.
    /// </summary>
    public async Task<GrantLedgerDb?> CaughtUpAsync(long jobId, string? requestedLsn, CancellationToken ct)
    {
        if (_source.Value is not { } replica) return null;
        if (string.IsNullOrEmpty(requestedLsn)) return null; // a job asked for before the service knew of replicas
        var deadline = DateTimeOffset.UtcNow.AddSeconds(options.ReportsReplicaWaitSeconds);
        NpgsqlConnection? conn = null;
        try
        {
            conn = await replica.OpenConnectionAsync(ct);
            await using var caughtUp = new NpgsqlCommand("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= $1::pg_lsn", conn)
            {
                Parameters = { new NpgsqlParameter { Value = requestedLsn } },
            };
            while (await caughtUp.ExecuteScalarAsync(ct) is not true)
            {
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    log.LogWarning("Export {Id} is read on the primary: the reports replica had not replayed to {Lsn} within {Seconds} s",
                        jobId, requestedLsn, options.ReportsReplicaWaitSeconds);
                    return null;
                }
                await Task.Delay(200, ct);
            }
            var context = new GrantLedgerDb(new DbContextOptionsBuilder<GrantLedgerDb>().UseNpgsql(conn, contextOwnsConnection: true).Options);
            conn = null; // the context's now
            return context;
        }
        catch (Exception e) when (ProblemAnswers.IsDatabaseUnavailable(e) || e is NpgsqlException)
        {
            log.LogWarning(e, "Export {Id} is read on the primary: the reports replica could not be reached", jobId);
            replica.Clear();
            return null;
        }
        finally
        {
            if (conn is not null) await conn.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_source.IsValueCreated && _source.Value is { } source) await source.DisposeAsync();
    }
}

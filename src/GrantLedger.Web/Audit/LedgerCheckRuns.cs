using System.Text.Json;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace GrantLedger.Web.Audit;

/// <summary>A run of the ledger's checks over one programme (migration 0098): asked for, run in the background, its report kept.</summary>
public sealed class LedgerCheckRun
{
    public long Id { get; set; }
    public long ProgrammeId { get; set; }
    /// <summary>The rows each check names at most.</summary>
    public int Most { get; set; }
    /// <summary>queued, running, succeeded or failed.</summary>
    public string State { get; set; } = "queued";
    public long RequestedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    /// <summary>The <see cref="LedgerChecks.Report"/> as JSON, once succeeded.</summary>
    public string? Report { get; set; }
}

public sealed class LedgerCheckRunConfiguration : IEntityTypeConfiguration<LedgerCheckRun>
{
    public void Configure(EntityTypeBuilder<LedgerCheckRun> b)
    {
        b.ToTable("ledger_check_run");
        b.Property(r => r.Report).HasColumnType("jsonb");
    }
}

/// <summary>
/// A run of the checks as the API and the page show it: who asked and when, its state, and once it has succeeded the report
/// (each check, whether it holds, the rows that break it); once failed, why.
/// </summary>
/// <param name="RequestedBy">the user name of who asked</param>
public sealed record LedgerCheckRunView(long Id, long ProgrammeId, string State, int Most, string RequestedBy, DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, LedgerChecks.Report? Report)
{
    public bool Finished => State is "succeeded" or "failed";
}

/// <summary>
/// The ledger's checks asked for and run in the background (<see cref="LedgerCheckRunner"/>), each run kept with its report:
/// for auditors, and the programme's admins and funder finance, over a programme they see whole (as the checks' GET).
/// </summary>
public static class LedgerCheckRuns
{
    /// <param name="Most">rows named per check, 1 to 100 (20 when left out)</param>
    public sealed record NewRun(int? Most);

    public static readonly PageSize RunsPage = new(1000, 100);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Queues a run of the checks over the programme, or answers the run already waiting for it (migration 0099: one waits per
    /// programme; not started, it reads the rows as they are when it starts, as a new one would). A run asked for while one
    /// runs is queued behind it.
    /// </summary>
    public static async Task<LedgerCheckRun> RequestAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, NewRun request,
        CancellationToken ct)
    {
        await Programmes.SetUp.ProgrammeVisibleAsync(db, caller, programmeId, ct);
        var most = LedgerChecks.Named(request.Most);
        for (var attempt = 1; ; attempt++)
        {
            if (await WaitingAsync(db, programmeId, ct) is { } waiting) return waiting;
            var run = new LedgerCheckRun { ProgrammeId = programmeId, Most = most, RequestedBy = caller.Id };
            try
            {
                return await db.InTransactionAsync(async () =>
                {
                    db.Add(run);
                    await db.SaveChangesAsync(ct);
                    audit.Record(AuditAction.LedgerChecksRequested, run.Id, programmeId, new { run.Most });
                    await db.SaveChangesAsync(ct);
                    return run;
                }, ct);
            }
            // another request queued one first: answer it; inside an idempotent request's transaction, which the refusal has
            // ended, the refusal is its answer (409)
            catch (DbUpdateException e) when (attempt < 3 && db.Database.CurrentTransaction is null
                                              && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static Task<LedgerCheckRun?> WaitingAsync(GrantLedgerDb db, long programmeId, CancellationToken ct) =>
        db.Set<LedgerCheckRun>().AsNoTracking().SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.State == "queued", ct);

    public static async Task<LedgerCheckRunView> FindAsync(GrantLedgerDb db, CurrentUser caller, long runId, CancellationToken ct)
    {
        var run = await db.Set<LedgerCheckRun>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new NotFound("check run", runId);
        caller.EnsureProgramme(run.ProgrammeId);
        return (await ViewsAsync(db, [run], ct))[0];
    }

    /// <summary>The programme's runs, newest first, a page at a time (before: the last run's id of the page before).</summary>
    public static async Task<IReadOnlyList<LedgerCheckRunView>> OfProgrammeAsync(GrantLedgerDb db, CurrentUser caller, long programmeId, long? before,
        int size, CancellationToken ct)
    {
        await Programmes.SetUp.ProgrammeVisibleAsync(db, caller, programmeId, ct);
        var runs = db.Set<LedgerCheckRun>().AsNoTracking().Where(r => r.ProgrammeId == programmeId);
        if (before is { } last) runs = runs.Where(r => r.Id < last);
        return await ViewsAsync(db, await runs.OrderByDescending(r => r.Id).Take(size).ToListAsync(ct), ct);
    }

    private static async Task<IReadOnlyList<LedgerCheckRunView>> ViewsAsync(GrantLedgerDb db, IReadOnlyList<LedgerCheckRun> runs, CancellationToken ct)
    {
        var ids = runs.Select(r => r.RequestedBy).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName ?? "", ct);
        return runs.Select(r => new LedgerCheckRunView(r.Id, r.ProgrammeId, r.State, r.Most, names.GetValueOrDefault(r.RequestedBy, ""), r.CreatedAt,
            r.StartedAt, r.FinishedAt, r.Error, r.Report is null ? null : JsonSerializer.Deserialize<LedgerChecks.Report>(r.Report, Json))).ToList();
    }
}

/// <summary>Wakes the checks' runner when a run is asked for here.</summary>
public sealed class LedgerCheckQueue : JobWakeUp;

/// <summary>Runs queued runs of the ledger's checks one at a time per instance (<see cref="JobRunner"/>), storing each report.</summary>
public sealed class LedgerCheckRunner(IServiceProvider services, LedgerCheckQueue queue, ILogger<LedgerCheckRunner> log)
    : JobRunner(services, queue, log, "ledger_check_run", Interrupted)
{
    public const string Interrupted = "interrupted: the service stopped while the checks ran; run them again";

    /// <summary>Marks failed every run left 'running' by an instance that no longer runs it.</summary>
    public static Task<int> FailInterruptedAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        FailInterruptedAsync(dataSource, "ledger_check_run", Interrupted, ct);

    protected override async Task RunAsync(NpgsqlConnection conn, long id, CancellationToken stop)
    {
        try
        {
            long programmeId;
            int most;
            await using (var cmd = new NpgsqlCommand("SELECT programme_id, most FROM ledger_check_run WHERE id = @id", conn))
            {
                cmd.Parameters.AddWithValue("id", id);
                await using var row = await cmd.ExecuteReaderAsync(stop);
                await row.ReadAsync(stop);
                (programmeId, most) = (row.GetInt64(0), row.GetInt32(1));
            }
            var report = await LedgerChecks.ReportAsync(DataSource, programmeId, most, stop, unbounded: true);
            await using (var cmd = new NpgsqlCommand(
                "UPDATE ledger_check_run SET state = 'succeeded', report = @report::jsonb, finished_at = now() WHERE id = @id AND state = 'running'", conn))
            {
                cmd.Parameters.AddWithValue("id", id);
                cmd.Parameters.AddWithValue("report", JsonSerializer.Serialize(report, LedgerCheckRuns.Json));
                await cmd.ExecuteNonQueryAsync(stop);
            }
            Log.LogInformation("Check run {Id} of programme {Programme}: {Summary}", id, programmeId, LedgerChecks.Summary(report.Checks));
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            Log.LogWarning(e, "Check run {Id} failed", id);
            await FinishFailedAsync(conn, id, $"the checks could not be run ({e.GetType().Name}): {e.Message}");
        }
        catch (OperationCanceledException)
        {
            await FinishFailedAsync(conn, id, Interrupted);
        }
    }
}

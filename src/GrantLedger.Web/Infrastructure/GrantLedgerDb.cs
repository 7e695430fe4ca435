using System.Text;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// EF Core over the tables the SQL migrations create (EF never creates or migrates anything).
/// Names map to snake_case. Use cases use this context directly: no repositories on top.
/// </summary>
public sealed class GrantLedgerDb(DbContextOptions<GrantLedgerDb> options) : IdentityUserContext<AppUser, long>(options)
{
    public DbSet<Programme> Programmes => Set<Programme>();
    public DbSet<ProgrammeYear> ProgrammeYears => Set<ProgrammeYear>();
    public DbSet<Period> Periods => Set<Period>();
    public DbSet<Area> Areas => Set<Area>();
    public DbSet<School> Schools => Set<School>();
    public DbSet<BudgetCategory> Categories => Set<BudgetCategory>();

    /// <summary>
    /// A programme's budget categories, read without tracking, in the order they were made: every list, choice and message
    /// that names them (an import's "give its code, name or id (…)") names them in the same order each time.
    /// </summary>
    public IQueryable<BudgetCategory> CategoriesOf(long programmeId) =>
        Categories.AsNoTracking().Where(c => c.ProgrammeId == programmeId).OrderBy(c => c.Id);
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<JournalEntry> JournalEntries => Set<JournalEntry>();
    public DbSet<Transfer> Transfers => Set<Transfer>();
    public DbSet<Funding> Fundings => Set<Funding>();
    public DbSet<Allocation> Allocations => Set<Allocation>();
    public DbSet<Virement> Virements => Set<Virement>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        base.OnModelCreating(model);

        model.Entity<AppUser>().ToTable("app_user");
        model.Entity<AppUser>().Property(u => u.UserName).IsRequired();
        model.Entity<AppUser>().Property(u => u.NormalizedUserName).IsRequired();
        model.Entity<Microsoft.AspNetCore.Identity.IdentityUserClaim<long>>().ToTable("app_user_claim");
        model.Entity<Microsoft.AspNetCore.Identity.IdentityUserLogin<long>>().ToTable("app_user_login");
        model.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<long>>().ToTable("app_user_token");

        model.Entity<ProgrammeYear>().HasMany(y => y.Periods).WithOne().HasForeignKey(p => p.ProgrammeYearId);
        model.Entity<JournalEntry>().HasMany(e => e.Transfers).WithOne().HasForeignKey(t => t.EntryId);
        model.Entity<Period>().ToTable("period");
        model.Entity<BudgetCategory>().ToTable("budget_category");
        model.Entity<ApiToken>().ToTable("api_token");
        model.Entity<AuditEvent>().ToTable("audit_event");

        // Features add their entities with IEntityTypeConfiguration<T> classes in their own folders.
        model.ApplyConfigurationsFromAssembly(typeof(GrantLedgerDb).Assembly);

        ApplyConventions(model);
    }

    /// <summary>
    /// Programme → programme, ProgrammeYearId → programme_year_id; CreatedAt, OccurredAt, UpdatedAt (on insert), BuiltAt and ImportedAt are
    /// filled in by the database.
    /// </summary>
    private static void ApplyConventions(ModelBuilder model)
    {
        foreach (var entity in model.Model.GetEntityTypes())
        {
            if (entity.GetTableName() is { } table && !table.Contains('_') && table != table.ToLowerInvariant())
                entity.SetTableName(SnakeCase(entity.ClrType.Name));
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == "xmin") continue; // PostgreSQL's row version, mapped by IsRowVersion()
                property.SetColumnName(SnakeCase(property.Name));
                if (property.Name is "CreatedAt" or "OccurredAt" or "UpdatedAt" or "BuiltAt" or "ImportedAt" && property.ClrType == typeof(DateTimeOffset))
                {
                    property.SetDefaultValueSql("now()");
                    property.ValueGenerated = Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.OnAdd;
                }
            }
            foreach (var key in entity.GetKeys()) key.SetName(SnakeCase(key.GetName() ?? ""));
            foreach (var index in entity.GetIndexes()) index.SetDatabaseName(SnakeCase(index.GetDatabaseName() ?? ""));
        }
    }

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The open connection and transaction, for the ledger's hand-written SQL.</summary>
    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction? Transaction)> NpgsqlAsync(CancellationToken ct = default)
    {
        var conn = (NpgsqlConnection)Database.GetDbConnection();
        if (conn.State != System.Data.ConnectionState.Open) await Database.OpenConnectionAsync(ct);
        return (conn, (NpgsqlTransaction?)Database.CurrentTransaction?.GetDbTransaction());
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction: the caller's, if one is open (an idempotent
    /// request's), or a new one committed at the end. A state change, its journal entry and its audit
    /// event are written together or not at all.
    /// </summary>
    /// <remarks>
    /// EF's automatic savepoints around each SaveChanges are off: they let a caller carry on in the
    /// transaction after a failed save, which no use case does (a failure ends the request and rolls
    /// everything back), and they cost two round trips per save while the transaction may hold a hot
    /// account's row lock (docs/performance.md).
    /// </remarks>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct = default)
    {
        Database.AutoSavepointsEnabled = false;
        if (Database.CurrentTransaction is not null)
        {
            // inside a caller's work (the demo loader's, a payment run's …): that caller decides when to commit
            _nested++;
            try
            {
                return await work();
            }
            finally
            {
                _nested--;
            }
        }
        await using var tx = await Database.BeginTransactionAsync(ct);
        (_owned, _committed) = (tx, false);
        try
        {
            var result = await work();
            if (!_committed) await tx.CommitAsync(ct);
            return result;
        }
        finally
        {
            (_owned, _committed) = (null, false);
        }
    }

    private IDbContextTransaction? _owned;
    private bool _committed;
    private int _nested;

    /// <summary>
    /// The work's last statement may commit the transaction itself, in the same round trip (a claim
    /// transition's write batch ends with COMMIT, docs/decisions/0013): only inside a transaction that
    /// <see cref="InTransactionAsync{T}"/> began for the work now running, not a caller's (an idempotent
    /// request stores its answer in the same transaction after the work; the demo loader runs many
    /// transitions in one transaction).
    /// </summary>
    public bool MayCommitWithLastStatement => _owned is not null && Database.CurrentTransaction == _owned && !_committed && _nested == 0;

    /// <summary>Says the work's last statement committed the transaction: nothing more may be written in it.</summary>
    public void CommittedWithLastStatement()
    {
        if (!MayCommitWithLastStatement) throw new InvalidOperationException("only the owner's last statement commits its transaction");
        _committed = true;
    }

    /// <summary>
    /// The transaction's time, PostgreSQL's now(): the time its audit events, journal entries and history rows take, and the
    /// rows it inserts (built_at, created_at …). A record's own time for the step it takes in the transaction (approved_at,
    /// closed_at, updated_at …) is this one, never the service's clock, read later, so that the record agrees with its audit
    /// trail (docs/decisions/0005). Read once a transaction: with a lock that reads it (<see cref="KnowNow"/>), else by itself.
    /// </summary>
    public async Task<DateTimeOffset> NowAsync(CancellationToken ct = default)
    {
        var tx = Database.CurrentTransaction ?? throw new InvalidOperationException("the transaction's time is read in a transaction");
        if (_now is { } known && known.Transaction == tx) return known.At;
        var at = await Database.SqlQuery<DateTimeOffset>($"SELECT now() AS \"Value\"").SingleAsync(ct);
        _now = (tx, at);
        return at;
    }

    /// <summary>Keeps the transaction's time that a statement of it read (a claim's lock reads now() with the row), for <see cref="NowAsync"/>.</summary>
    public void KnowNow(DateTimeOffset at)
    {
        if (Database.CurrentTransaction is { } tx) _now = (tx, at);
    }

    private (IDbContextTransaction Transaction, DateTimeOffset At)? _now;

    public Task InTransactionAsync(Func<Task> work, CancellationToken ct = default) =>
        InTransactionAsync(async () => { await work(); return true; }, ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction rolled back whatever happens: what it would refuse, and nothing written
    /// (a page checks a form this way when part of it could not be read). The work's own transaction is this one, so it
    /// cannot commit.
    /// </summary>
    public async Task RolledBackAsync(Func<Task> work, CancellationToken ct = default)
    {
        Database.AutoSavepointsEnabled = false;
        await using var tx = await Database.BeginTransactionAsync(ct);
        try
        {
            await work();
        }
        finally
        {
            ChangeTracker.Clear(); // the transaction rolls back as it is disposed
        }
    }
}

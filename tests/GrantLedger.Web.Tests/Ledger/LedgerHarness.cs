using GrantLedger.Core.Ledger;
using GrantLedger.Web.Ledger;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.Ledger;

/// <summary>A programme year and a handful of accounts made straight in the database, for posting through <see cref="Journal"/>.</summary>
public sealed class LedgerHarness
{
    public required long ProgrammeId { get; init; }
    public required long Funding { get; init; }
    public required long Unallocated { get; init; }
    public required long[] Available { get; init; }
    public required long[] Payable { get; init; }
    public required long Paid { get; init; }
    public required NpgsqlDataSource DataSource { get; init; }

    public static readonly DateOnly Day = new(2026, 10, 1);

    public static Task<LedgerHarness> CreateAsync(DatabaseFixture db, int schools = 3) => CreateAsync(db.DataSource, schools);

    /// <param name="dataSource">the test database, or another one migrated in the same cluster</param>
    public static async Task<LedgerHarness> CreateAsync(NpgsqlDataSource dataSource, int schools = 3)
    {
        var programmeId = await dataSource.ScalarAsync("INSERT INTO programme (code, name, funder) VALUES ('lh', 'Ledger harness', 'Funder') RETURNING id");
        var yearId = await dataSource.ScalarAsync("INSERT INTO programme_year (programme_id, code, starts_on, ends_on) VALUES ($1, '2026-27', '2026-09-01', '2027-08-31') RETURNING id", programmeId);
        var areaId = await dataSource.ScalarAsync("INSERT INTO area (programme_id, code, name) VALUES ($1, 'a', 'A') RETURNING id", programmeId);
        var categoryId = await dataSource.ScalarAsync("INSERT INTO budget_category (programme_id, code, name, unit, kind) VALUES ($1, 'staff-cover', 'Staff cover', 'GBP', 'staff-cover') RETURNING id", programmeId);
        var p = new ProgrammeRef(programmeId, "lh");
        var y = new YearRef(yearId, "2026-27");
        var c = new CategoryRef(categoryId, "staff-cover", "Staff cover", Unit.Gbp);
        var schoolRefs = new List<SchoolRef>();
        for (var i = 0; i < schools; i++)
        {
            var urn = (500000 + i).ToString();
            var id = await dataSource.ScalarAsync("INSERT INTO school (programme_id, urn, name, phase, area_id) VALUES ($1, $2, $3, 'Primary', $4) RETURNING id",
                programmeId, urn, $"School {i}", areaId);
            schoolRefs.Add(new SchoolRef(id, urn, $"School {i}"));
        }
        var specs = new List<AccountSpec> { Chart.Funding(p, y, Unit.Gbp), Chart.Unallocated(p, y, Unit.Gbp) };
        specs.AddRange(schoolRefs.Select(s => Chart.Available(p, y, s, c)));
        specs.AddRange(schoolRefs.Select(s => Chart.Claimed(p, y, s, c)));
        specs.Add(Chart.Paid(p, y, schoolRefs[0], c));
        await using var conn = await dataSource.OpenConnectionAsync();
        var ids = await Accounts.EnsureAsync(conn, null, programmeId, specs);
        return new LedgerHarness
        {
            ProgrammeId = programmeId,
            Funding = ids[specs[0].Code],
            Unallocated = ids[specs[1].Code],
            Available = schoolRefs.Select(s => ids[Chart.Available(p, y, s, c).Code]).ToArray(),
            Payable = schoolRefs.Select(s => ids[Chart.Claimed(p, y, s, c).Code]).ToArray(),
            Paid = ids[Chart.Paid(p, y, schoolRefs[0], c).Code],
            DataSource = dataSource,
        };
    }

    public EntryDraft Entry(params TransferDraft[] transfers) => new(ProgrammeId, Day, "test", null, CauseType.Allocation, null, transfers);

    public static TransferDraft Move(long from, long to, long amount, TransferKind kind = TransferKind.Posted, long? pendingId = null) =>
        new(Unit.Gbp, from, to, amount, kind, pendingId);

    public async Task<PostedEntry> PostAsync(EntryDraft entry)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        return await Journal.PostAsync(conn, null, entry);
    }

    public Task<PostedEntry> PostAsync(params TransferDraft[] transfers) => PostAsync(Entry(transfers));

    public async Task<Balance> BalanceAsync(long accountId)
    {
        await using var cmd = DataSource.CreateCommand("SELECT debits_posted, credits_posted, debits_pending, credits_pending FROM account WHERE id = $1");
        cmd.Parameters.Add(new() { Value = accountId });
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return new Balance(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
    }
}

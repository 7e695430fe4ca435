using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Payments;
using Npgsql;

namespace GrantLedger.Web.Exports;

/// <summary>
/// The reconciliation's tables, as the ledger stood at the end of the as-of date: budgets per area and
/// per school and category, claims, payment runs, action-plan spend by theme, the journal, the trial
/// balance and the checks that tie them out. Read in one repeatable-read transaction (the caller's),
/// so every table sees the same moment. The workbook shows them as sheets; CSV writes each as a file.
/// </summary>
public sealed class Reconciliation
{
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction? _tx;
    private readonly long _programmeId;
    private readonly DateOnly _asOf;
    private readonly DateTimeOffset _until; // the end of the as-of date

    // how every account's balances as of the date are read
    private BalanceSource _balances = BalanceSource.FromTransfers;

    // the Area and School columns of every sheet that has them, as wide as the programme's longest names (WidenNamesAsync)
    private Column _area = new("Area", CellKind.Label, MostArea), _school = new("School", CellKind.Text, MostSchool);
    private const int MostArea = 24, MostSchool = 32, Widest = 60;

    private Reconciliation(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, DateOnly asOf)
    {
        (_conn, _tx, _programmeId, _asOf) = (conn, tx, programmeId, asOf);
        _until = UkTime.EndOf(asOf);
    }

    /// <summary>A school's budget in one category of one year, from its accounts' balances, as its dashboard reads them.</summary>
    public sealed record SchoolBudget(long AreaId, string Area, string Urn, string School, string Year, string Category, Unit Unit,
        BudgetFigures Figures)
    {
        /// <summary>Net of reversals, virements and year-end lapses: what is available, reserved and approved together.</summary>
        public long Allocated => Figures.Allocated;
        public long Reserved => Figures.Reserved;
        public long Approved => Figures.Approved;
        public long Paid => Figures.Paid;
        public long Available => Figures.Available;
        public long Payable => Figures.Payable;
    }

    /// <param name="PastLimit">how far the limited accounts among them were past their limits (below nought), summed</param>
    private sealed record LedgerTotals(Unit Unit, string Leaf, bool SchoolLevel, long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending,
        long PastLimit);

    /// <summary>Where the as-of balances come from: the cheaper for the date, or (for tests that compare them) one of the two.</summary>
    internal enum BalancesFrom { Cheaper, Transfers, StoredLessLater }

    public static Task<IReadOnlyList<ExportTable>> TablesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, DateOnly asOf,
        CancellationToken ct) => TablesAsync(conn, tx, programmeId, asOf, BalancesFrom.Cheaper, ct);

    internal static async Task<IReadOnlyList<ExportTable>> TablesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long programmeId, DateOnly asOf,
        BalancesFrom from, CancellationToken ct)
    {
        var r = new Reconciliation(conn, tx, programmeId, asOf);
        r._balances = from switch
        {
            BalancesFrom.Transfers => BalanceSource.FromTransfers,
            BalancesFrom.StoredLessLater => BalanceSource.StoredLessLater,
            _ => await BalanceSource.CheaperAsync(conn, tx, programmeId, asOf, ct),
        };
        await r.WidenNamesAsync(ct);
        var (budgets, totals) = await r.AccountsAsync(ct);
        var checks = await r.ChecksAsync(budgets, totals, ct);
        return
        [
            r.Summary(budgets),
            r.Schools(budgets),
            await r.ClaimsAsync(ct),
            await r.ClaimLinesAsync(ct),
            await r.PaymentRunsAsync(ct),
            await r.ThemesAsync(ct),
            await r.JournalAsync(ct),
            await r.TrialBalanceAsync(ct),
            checks,
        ];
    }

    /// <summary>
    /// One pass over every account of the programme with its balances as of the date, summed here: per
    /// school, year and category for the budgets (listed accounts only), and per unit, last segment of
    /// the code (available, payable, paid, used, …) and level for the checks. Grouping 576,000
    /// accounts in PostgreSQL sorted them on disk by school and then again by name (about 7 s at
    /// national scale); reading them in order of school, year and category takes about a second and
    /// holds one group at a time. The names come from four small tables.
    /// </summary>
    private async Task<(List<SchoolBudget> Budgets, List<LedgerTotals> Totals)> AccountsAsync(CancellationToken ct)
    {
        var schools = new Dictionary<long, (long Area, string Urn, string Name)>();
        await foreach (var r in QueryAsync("SELECT s.id, s.area_id, s.urn, s.name FROM school s WHERE s.programme_id = @p",
                           x => [x.GetInt64(0), x.GetInt64(1), x.GetString(2), x.GetString(3)], ct))
            schools[(long)r[0]!] = ((long)r[1]!, (string)r[2]!, (string)r[3]!);
        var areas = await NamesAsync("SELECT id, name FROM area WHERE programme_id = @p", ct);
        var years = await NamesAsync("SELECT id, code FROM programme_year WHERE programme_id = @p", ct);
        var categories = new Dictionary<long, (string Code, Unit Unit)>();
        await foreach (var r in QueryAsync("SELECT id, code, unit FROM budget_category WHERE programme_id = @p",
                           x => [x.GetInt64(0), x.GetString(1), x.GetString(2)], ct))
            categories[(long)r[0]!] = ((string)r[1]!, Units.Parse((string)r[2]!));

        // the accounts come grouped by school, year and category, so one group is summed at a time
        var budgets = new List<SchoolBudget>();
        (long School, long Year, long Category)? group = null;
        var figures = new BudgetFigures();
        var listed = false;
        void Close()
        {
            if (group is not { } g || !listed) return;
            var s = schools[g.School];
            var c = categories[g.Category];
            budgets.Add(new SchoolBudget(s.Area, areas[s.Area], s.Urn, s.Name, years[g.Year], c.Code, c.Unit, figures));
        }

        var totals = new Dictionary<(Unit Unit, string Leaf, bool SchoolLevel), Sums>(); // debits, credits posted; debits, credits pending
        var pastLimit = new Dictionary<(Unit Unit, string Leaf, bool SchoolLevel), long>();
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal); // one string per segment, not one per account
        await using (var cmd = Command($"""
            SELECT a.unit, split_part(a.code, ':', -1), a.school_id, a.programme_year_id, a.category_id, {_balances.Columns}, {_balances.Listed},
                   a.limit_kind
              FROM account a {_balances.Join}
             WHERE a.programme_id = @p
             ORDER BY a.school_id, a.programme_year_id, a.category_id
            """))
        await using (var x = await cmd.ExecuteReaderAsync(ct))
            while (await x.ReadAsync(ct))
            {
                var unit = Units.Parse(x.GetString(0));
                var leaf = x.GetString(1);
                leaf = leaves.TryGetValue(leaf, out var kept) ? kept : leaves[leaf] = leaf;
                var school = x.IsDBNull(2) ? (long?)null : x.GetInt64(2);
                long debits = x.GetInt64(5), credits = x.GetInt64(6), debitsPending = x.GetInt64(7), creditsPending = x.GetInt64(8);
                ref var t = ref CollectionsMarshal.GetValueRefOrAddDefault(totals, (unit, leaf, school is not null), out _);
                t.Add(debits, credits, debitsPending, creditsPending);
                var past = PastLimit(x.GetString(10), debits, credits, debitsPending, creditsPending);
                if (past > 0) pastLimit[(unit, leaf, school is not null)] = pastLimit.GetValueOrDefault((unit, leaf, school is not null)) + past;
                if (school is null || x.IsDBNull(3) || x.IsDBNull(4)) continue;
                var key = (school.Value, x.GetInt64(3), x.GetInt64(4));
                if (key != group)
                {
                    Close();
                    (group, figures, listed) = (key, new BudgetFigures(), false);
                }
                if (!x.GetBoolean(9)) continue;
                listed = true;
                figures = figures.With(leaf, debits, credits, debitsPending);
            }
        Close();

        budgets.Sort((p, q) =>
        {
            var by = string.CompareOrdinal(p.Area, q.Area);
            if (by == 0) by = string.CompareOrdinal(p.Urn, q.Urn);
            if (by == 0) by = string.CompareOrdinal(p.Year, q.Year);
            return by != 0 ? by : string.CompareOrdinal(p.Category, q.Category);
        });
        return (budgets, totals.Select(t => new LedgerTotals(t.Key.Unit, t.Key.Leaf, t.Key.SchoolLevel, t.Value.A, t.Value.B, t.Value.C, t.Value.D,
            pastLimit.GetValueOrDefault(t.Key))).ToList());
    }

    /// <summary>
    /// How far an account's balances as of the date are past its limit, as PostgreSQL checks the limit on the current ones
    /// (0003's account CHECK): debits, posted and pending, within posted credits, or the other way round.
    /// </summary>
    private static long PastLimit(string limitKind, long debits, long credits, long debitsPending, long creditsPending) => limitKind switch
    {
        "debits_within_credits" => Math.Max(0, debits + debitsPending - credits),
        "credits_within_debits" => Math.Max(0, credits + creditsPending - debits),
        _ => 0,
    };

    /// <summary>Four running sums (a value, so a dictionary keeps them in its own entries).</summary>
    private struct Sums
    {
        public long A, B, C, D;

        public void Add(long a, long b, long c, long d) => (A, B, C, D) = (A + a, B + b, C + c, D + d);
    }

    private async Task<Dictionary<long, string>> NamesAsync(string sql, CancellationToken ct)
    {
        var names = new Dictionary<long, string>();
        await foreach (var r in QueryAsync(sql, x => [x.GetInt64(0), x.GetString(1)], ct)) names[(long)r[0]!] = (string)r[1]!;
        return names;
    }

    private static readonly Column[] MoneyBudget =
    [
        new("Allocated", CellKind.Money), new("Reserved", CellKind.Money), new("Approved", CellKind.Money),
        new("Paid", CellKind.Money), new("Payable", CellKind.Money), new("Available", CellKind.Money),
    ];

    private static readonly Column[] TimeBudget =
    [
        new("Staff time allowance (min)", CellKind.Integer), new("Staff time reserved (min)", CellKind.Integer),
        new("Staff time used (min)", CellKind.Integer), new("Staff time available (min)", CellKind.Integer),
    ];

    private static object?[] BudgetCells(IReadOnlyCollection<SchoolBudget> rows)
    {
        var money = rows.Where(b => b.Unit == Unit.Gbp).ToList();
        var time = rows.Where(b => b.Unit == Unit.Minutes).ToList();
        return
        [
            money.Sum(b => b.Allocated), money.Sum(b => b.Reserved), money.Sum(b => b.Approved), money.Sum(b => b.Paid),
            money.Sum(b => b.Payable), money.Sum(b => b.Available),
            time.Sum(b => b.Allocated), time.Sum(b => b.Reserved), time.Sum(b => b.Approved), time.Sum(b => b.Available),
        ];
    }

    /// <summary>
    /// Per year, its areas and then the programme's total: each column the sum of the areas' above it, as a formula (SUM)
    /// with its value written too, as the Checks sheet writes its differences; in CSV, the value. A finance officer summed
    /// the 42 areas of PINS by hand.
    /// </summary>
    private ExportTable Summary(IReadOnlyList<SchoolBudget> budgets)
    {
        var years = budgets.GroupBy(b => b.Year).OrderBy(y => y.Key, StringComparer.Ordinal)
            .Select(y => y.GroupBy(b => b.Area).OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => (object?[])[a.Key, y.Key, (long)a.Select(b => b.Urn).Distinct().Count(), .. BudgetCells(a.ToList())]).ToList())
            .ToList();
        IEnumerable<object?[]> WithTotals()
        {
            var row = 2; // the sheet's first row below its header
            foreach (var areas in years)
            {
                foreach (var area in areas) yield return area;
                var (first, last) = (row, row + areas.Count - 1);
                yield return ["Total", areas[0][1], .. Enumerable.Range(2, areas[0].Length - 2).Select(i =>
                    new Computed($"SUM({WorkbookWriter.ColumnLetters(i + 1)}{first}:{WorkbookWriter.ColumnLetters(i + 1)}{last})", areas.Sum(a => (long)a[i]!)))];
                row = last + 2;
            }
        }
        return new ExportTable
        {
            Name = "summary", SheetName = "Summary",
            Purpose = "Per area and year: money allocated to its schools, reserved by claims under review, approved, paid, payable and available; staff time likewise in minutes. " +
                      "Each year's areas are followed by the programme's total for the year (Total).",
            Columns = [_area, new("Year", CellKind.Label), new("Schools", CellKind.Integer), .. MoneyBudget, .. TimeBudget],
            EstimatedRows = years.Sum(y => y.Count + 1),
            Rows = ct => Rows(WithTotals()),
        };
    }

    private ExportTable Schools(IReadOnlyList<SchoolBudget> budgets) => new()
    {
        Name = "schools", SheetName = "Schools",
        Purpose = "Per school, year and budget category: money columns for money categories, minutes for staff-time allowances.",
        Columns =
        [
            _area, new("URN", CellKind.Text, 9), _school, new("Year", CellKind.Label),
            new("Category", CellKind.Label, 18), new("Unit", CellKind.Label, 6), .. MoneyBudget, .. TimeBudget,
        ],
        EstimatedRows = budgets.Count,
        Rows = ct => Rows(budgets.Select(b => b.Unit == Unit.Gbp
            ? (object?[])[b.Area, b.Urn, b.School, b.Year, b.Category, "GBP", b.Allocated, b.Reserved, b.Approved, b.Paid, b.Payable, b.Available, null, null, null, null]
            : [b.Area, b.Urn, b.School, b.Year, b.Category, "MIN", null, null, null, null, null, null, b.Allocated, b.Reserved, b.Approved, b.Available])),
    };

    private async Task<ExportTable> ClaimsAsync(CancellationToken ct) => new()
    {
        Name = "claims", SheetName = "Claims",
        Purpose = "Every claim started by the as-of date, in its state at the end of that day (its last step by then), with what it asked for, what was approved by then, the staff time its lines take from the school's allowances (time paid in money alone takes none) and the payment run it was in by then.",
        Columns =
        [
            new("Claim", CellKind.Text, 12), _area, new("URN", CellKind.Text, 9), _school,
            new("Year", CellKind.Label), new("Half-term", CellKind.Label, 12), new("State", CellKind.Label, 16),
            new("Submitted", CellKind.DateTime), new("Decided", CellKind.DateTime),
            new("Claimed", CellKind.Money), new("Approved", CellKind.Money), new("Staff time from allowances (min)", CellKind.Integer), new("Payment run", CellKind.Text, 12),
        ],
        EstimatedRows = await CountAsync("SELECT count(*) FROM claim WHERE programme_id = @p AND created_at < @until", ct),
        Rows = ct2 => QueryAsync($"""
            SELECT c.id, ar.name, s.urn, s.name, y.code, pe.name, st.state,
                   CASE WHEN c.submitted_at < @until THEN c.submitted_at END, CASE WHEN c.decided_at < @until THEN c.decided_at END,
                   coalesce(sum(l.amount_pence), 0)::bigint,
                   coalesce(sum(coalesce(l.sanctioned_pence, l.amount_pence)) FILTER (WHERE st.approved), 0)::bigint,
                   -- the staff time its lines take from the school's allowances, as the API's allowanceMinutes: time paid in money alone takes none
                   coalesce(sum(l.minutes) FILTER (WHERE l.allowance_category_id IS NOT NULL), 0)::bigint, run.id
              FROM claim c
              {StateThen}
              JOIN school s ON s.id = c.school_id
              JOIN area ar ON ar.id = s.area_id
              JOIN programme_year y ON y.id = c.programme_year_id
              JOIN period pe ON pe.id = c.period_id
              LEFT JOIN payment_run run ON run.id = st.run_id
              LEFT JOIN claim_line l ON l.claim_id = c.id
             WHERE c.programme_id = @p AND c.created_at < @until
             GROUP BY c.id, ar.name, s.urn, s.name, y.code, pe.name, st.state, st.approved, st.run_id, run.id
             ORDER BY c.id
            """, x => [ClaimAccess.Reference(x.GetInt64(0)), x.GetString(1), x.GetString(2), x.GetString(3), x.GetString(4), x.GetString(5),
                       x.GetString(6), Time(x, 7), Time(x, 8), x.GetInt64(9), x.GetInt64(10), x.GetInt64(11),
                       x.IsDBNull(12) ? null : PaymentRuns.Reference(x.GetInt64(12))], ct2),
    };

    /// <summary>
    /// A claim's state as the as-of day ended (st.state): the last step taken by then, a claim not yet submitted a draft;
    /// whether it was approved by then (st.approved), so that its approved amounts count; and the payment run it was in
    /// then (st.run_id), which its steps into and within the run name (a run cancelled or a payment failed later has
    /// since taken the claim out of it).
    /// </summary>
    private const string StateThen = """
        CROSS JOIN LATERAL (SELECT coalesce(t.to_state, 'draft') AS state,
                                   coalesce(t.to_state IN ('approved', 'in-payment-run', 'paid'), false) AS approved,
                                   CASE WHEN t.to_state IN ('in-payment-run', 'paid')
                                        THEN coalesce((t.details ->> 'paymentRunId')::bigint, c.payment_run_id) END AS run_id
                              FROM (SELECT 1) one
                              LEFT JOIN LATERAL (SELECT t.to_state, t.details FROM claim_transition t
                                                  WHERE t.claim_id = c.id AND t.occurred_at < @until
                                                  ORDER BY t.id DESC LIMIT 1) t ON true) st
        """;

    private async Task<ExportTable> ClaimLinesAsync(CancellationToken ct) => new()
    {
        Name = "claim-lines", SheetName = "Claim lines",
        Purpose = "Every line of every claim started by the as-of date, with what it was for (staff, date and time, or supplier, invoice and action), the budget category its money and the allowance its minutes come from, what it claimed and what was approved by then, and why less: a payment traced to its invoices and timesheets.",
        Columns =
        [
            new("Claim", CellKind.Text, 12), new("Line", CellKind.Integer), new("URN", CellKind.Text, 9), _school,
            new("Year", CellKind.Label), new("Half-term", CellKind.Label, 12), new("Claim state", CellKind.Label, 16), new("Kind", CellKind.Label, 16), new("Category", CellKind.Label, 18),
            new("Allowance", CellKind.Label, 18), new("Staff reference", CellKind.Text, 12), new("Role", CellKind.Label, 12), new("Activity or specialist", CellKind.Label, 20),
            new("Date", CellKind.Date), new("Minutes", CellKind.Integer), new("Action", CellKind.Integer), new("Supplier", CellKind.Text, 24),
            new("Invoice reference", CellKind.Text, 16), new("Description", CellKind.Text, 32), new("Claimed", CellKind.Money),
            new("Approved", CellKind.Money), new("Reason for less", CellKind.Text, 32),
        ],
        EstimatedRows = await CountAsync(
            "SELECT count(*) FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE c.programme_id = @p AND c.created_at < @until", ct),
        Rows = ct2 => QueryAsync($"""
            SELECT c.id, l.line_no, s.urn, s.name, y.code, pe.name, st.state, l.kind, cat.name, al.name, l.staff_ref, l.staff_role, l.activity, l.work_date,
                   l.minutes, x.action_ref, l.supplier, l.invoice_ref, l.description, l.amount_pence,
                   CASE WHEN st.approved THEN coalesce(l.sanctioned_pence, l.amount_pence) END, CASE WHEN st.approved THEN l.sanction_reason END
              FROM claim c
              {StateThen}
              JOIN claim_line l ON l.claim_id = c.id
              JOIN school s ON s.id = c.school_id
              JOIN programme_year y ON y.id = c.programme_year_id
              JOIN period pe ON pe.id = c.period_id
              LEFT JOIN budget_category cat ON cat.id = l.category_id
              LEFT JOIN budget_category al ON al.id = l.allowance_category_id
              LEFT JOIN action_plan_action x ON x.id = l.action_id
             WHERE c.programme_id = @p AND c.created_at < @until
             ORDER BY c.id, l.line_no
            """, x => [ClaimAccess.Reference(x.GetInt64(0)), (long)x.GetInt32(1), x.GetString(2), x.GetString(3), x.GetString(4), x.GetString(5),
                       x.GetString(6), x.GetString(7), Text(x, 8), Text(x, 9), Text(x, 10), Text(x, 11), Text(x, 12),
                       x.IsDBNull(13) ? null : x.GetFieldValue<DateOnly>(13), x.IsDBNull(14) ? null : x.GetInt64(14), x.IsDBNull(15) ? null : (long)x.GetInt32(15),
                       Text(x, 16), Text(x, 17), Text(x, 18), x.GetInt64(19), x.IsDBNull(20) ? null : x.GetInt64(20), Text(x, 21)], ct2),
    };

    private async Task<ExportTable> PaymentRunsAsync(CancellationToken ct) => new()
    {
        Name = "payment-runs", SheetName = "Payment runs",
        Purpose = "Every payment run built by the as-of date, one row per payee (school), as it stood at the end of that day: its state, its steps and each payee's status by then: paid (on or before the date), failed, cancelled with its run, or else pending. " +
                  "Year and Half-term are those the run was built for, both empty for a run of every half-term.",
        Columns =
        [
            new("Run", CellKind.Text, 11), new("State", CellKind.Label, 10), _area, new("Year", CellKind.Label), new("Half-term", CellKind.Label, 12),
            new("Claims approved by", CellKind.Date, 13), new("Built", CellKind.DateTime), new("Approved", CellKind.DateTime),
            new("Exported", CellKind.DateTime), new("URN", CellKind.Text, 9), _school,
            new("Remittance reference", CellKind.Text, 20), new("Amount", CellKind.Money), new("Status", CellKind.Label, 8), new("Paid on", CellKind.Date),
        ],
        EstimatedRows = await CountAsync(
            "SELECT count(*) FROM payment_run_payee p JOIN payment_run r ON r.id = p.payment_run_id WHERE r.programme_id = @p AND r.built_at < @until", ct),
        Rows = ct2 => QueryAsync("""
            SELECT r.id,
                   CASE WHEN r.cancelled_at < @until THEN 'cancelled' WHEN r.paid_at < @until THEN 'paid' WHEN r.exported_at < @until THEN 'exported'
                        WHEN r.approved_at < @until THEN 'approved' ELSE 'built' END,
                   ar.name, y.code, pe.name, r.as_of, r.built_at,
                   CASE WHEN r.approved_at < @until THEN r.approved_at END, CASE WHEN r.exported_at < @until THEN r.exported_at END,
                   s.urn, s.name, p.remittance_reference, p.amount_pence,
                   CASE WHEN p.status = 'paid' AND p.paid_on <= @asOf THEN 'paid' WHEN p.status = 'failed' AND p.confirmed_at < @until THEN 'failed'
                        WHEN r.cancelled_at < @until THEN 'cancelled' ELSE 'pending' END,
                   CASE WHEN p.status = 'paid' AND p.paid_on <= @asOf THEN p.paid_on END
              FROM payment_run r
              JOIN payment_run_payee p ON p.payment_run_id = r.id
              JOIN school s ON s.id = p.school_id
              LEFT JOIN area ar ON ar.id = r.area_id
              LEFT JOIN period pe ON pe.id = r.period_id
              LEFT JOIN programme_year y ON y.id = pe.programme_year_id
             WHERE r.programme_id = @p AND r.built_at < @until
             ORDER BY r.id, s.urn
            """, x => [PaymentRuns.Reference(x.GetInt64(0)), x.GetString(1), Text(x, 2), Text(x, 3), Text(x, 4), x.GetFieldValue<DateOnly>(5),
                       Time(x, 6), Time(x, 7), Time(x, 8), x.GetString(9), x.GetString(10), x.GetString(11), x.GetInt64(12), x.GetString(13),
                       x.IsDBNull(14) ? null : x.GetFieldValue<DateOnly>(14)], ct2),
    };

    /// <summary>
    /// Per school, year and theme: the plan in force at the end of the as-of day (agreed by then and not yet superseded:
    /// a version agreed later takes over only from its agreement) and the claims as they stood then (<see cref="StateThen"/>).
    /// </summary>
    private async Task<ExportTable> ThemesAsync(CancellationToken ct)
    {
        const string sql = $"""
            WITH est AS (
                SELECT p.school_id, p.programme_year_id, x.theme, max(p.version) AS version, count(*) AS actions,
                       sum(x.estimated_cost_pence) AS estimated
                  FROM action_plan p JOIN action_plan_action x ON x.action_plan_id = p.id
                 WHERE p.programme_id = @p AND p.state IN ('agreed', 'superseded') AND p.agreed_at < @until
                   AND (p.superseded_at IS NULL OR p.superseded_at >= @until)
                 GROUP BY 1, 2, 3),
            spend AS (
                SELECT p.school_id, p.programme_year_id, x.theme,
                       sum(l.amount_pence) FILTER (WHERE st.state NOT IN ('draft', 'withdrawn', 'rejected')) AS claimed,
                       sum(coalesce(l.sanctioned_pence, l.amount_pence)) FILTER (WHERE st.approved) AS approved
                  FROM claim c
                  {StateThen}
                  JOIN claim_line l ON l.claim_id = c.id
                  JOIN action_plan_action x ON x.id = l.action_id
                  JOIN action_plan p ON p.id = x.action_plan_id
                 WHERE c.programme_id = @p AND c.created_at < @until
                 GROUP BY 1, 2, 3)
            SELECT ar.name, s.urn, s.name, y.code, theme, est.version, coalesce(est.actions, 0)::bigint, coalesce(est.estimated, 0)::bigint,
                   coalesce(spend.claimed, 0)::bigint, coalesce(spend.approved, 0)::bigint
              FROM est FULL JOIN spend USING (school_id, programme_year_id, theme)
              JOIN school s ON s.id = school_id
              JOIN area ar ON ar.id = s.area_id
              JOIN programme_year y ON y.id = programme_year_id
             ORDER BY ar.name, s.urn, y.code, theme
            """;
        return new ExportTable
        {
            Name = "action-plan-themes", SheetName = "Action-plan spend by theme",
            Purpose = "Per school, year and theme of the action plan agreed by the as-of date (a version agreed later not yet in force): the actions' estimated cost, what claims asked for against them by then and what was approved by then.",
            Columns =
            [
                _area, new("URN", CellKind.Text, 9), _school, new("Year", CellKind.Label),
                new("Theme", CellKind.Label, 14), new("Plan version", CellKind.Integer), new("Actions", CellKind.Integer),
                new("Estimated cost", CellKind.Money), new("Claimed", CellKind.Money), new("Approved", CellKind.Money),
            ],
            EstimatedRows = await CountAsync($"SELECT count(*) FROM ({sql}) t", ct),
            Rows = ct2 => QueryAsync(sql, x => [x.GetString(0), x.GetString(1), x.GetString(2), x.GetString(3), x.GetString(4),
                x.IsDBNull(5) ? null : (long)x.GetInt32(5), x.GetInt64(6), x.GetInt64(7), x.GetInt64(8), x.GetInt64(9)], ct2),
        };
    }

    private async Task<ExportTable> JournalAsync(CancellationToken ct) => new()
    {
        Name = "journal", SheetName = "Journal",
        Purpose = "Every transfer dated on or before the as-of date: posted, pending (a hold), and the posting or release of a hold. " +
                  "Amount is in its row's unit: pounds (GBP) or minutes of staff time (MIN); filter by Unit before adding amounts up.",
        Columns =
        [
            new("Entry", CellKind.Integer), new("Transfer", CellKind.Integer), new("Value date", CellKind.Date), new("Recorded", CellKind.DateTime),
            new("Description", CellKind.Text, 48), new("Cause", CellKind.Label, 12), new("Cause id", CellKind.Integer), new("Kind", CellKind.Label, 12),
            new("Resolves", CellKind.Integer), new("Debit account", CellKind.Text, 48), new("Credit account", CellKind.Text, 48), new("Unit", CellKind.Label, 6),
            new("Amount", CellKind.Amount),
        ],
        EstimatedRows = await CountAsync("SELECT count(*) FROM transfer WHERE programme_id = @p AND value_date <= @asOf", ct),
        Rows = JournalRowsAsync,
    };

    private async IAsyncEnumerable<object?[]> JournalRowsAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var codes = await JournalOrder.AccountCodesAsync(_conn, _tx, _programmeId, ct);
        await using var cmd = Command(JournalOrder.Select("""
            t.entry_id, t.id, t.value_date, t.recorded_at, j.description, j.cause_type, j.cause_id, t.kind, t.pending_id,
            t.debit_account_id, t.credit_account_id, t.unit, t.amount
            """));
        await foreach (var x in JournalOrder.RowsAsync(cmd, ct))
            yield return [x.GetInt64(0), x.GetInt64(1), x.GetFieldValue<DateOnly>(2), x.GetFieldValue<DateTimeOffset>(3), x.GetString(4),
                          x.GetString(5), x.IsDBNull(6) ? null : x.GetInt64(6), x.GetString(7), x.IsDBNull(8) ? null : x.GetInt64(8),
                          codes[x.GetInt64(9)], codes[x.GetInt64(10)], x.GetString(11), new UnitAmount(Units.Parse(x.GetString(11)), x.GetInt64(12))];
    }

    private async Task<ExportTable> TrialBalanceAsync(CancellationToken ct) => new()
    {
        Name = "trial-balance", SheetName = "Trial balance",
        Purpose = "Every account with its posted and pending totals as of the date; balance is debits less credits. A school's accounts " +
                  "are named after the school, and schools may share a name: its URN tells them apart.",
        Columns =
        [
            new("Account", CellKind.Text, 52), new("Unit", CellKind.Label, 6), new("URN", CellKind.Text, 9), new("Name", CellKind.Text, 40),
            new("Normal side", CellKind.Label, 8),
            new("Debits", CellKind.Amount), new("Credits", CellKind.Amount), new("Balance", CellKind.Amount),
            new("Pending debits", CellKind.Amount), new("Pending credits", CellKind.Amount),
        ],
        EstimatedRows = await CountAsync("SELECT count(*) FROM account WHERE programme_id = @p", ct),
        Rows = ct2 => QueryAsync($"""
            SELECT a.code, a.unit, s.urn, a.name, a.normal_side, {_balances.Columns}
              FROM account a {_balances.Join}
              LEFT JOIN school s ON s.id = a.school_id
             WHERE a.programme_id = @p
             ORDER BY a.unit, a.code
            """, x =>
        {
            var unit = Units.Parse(x.GetString(1));
            return [x.GetString(0), x.GetString(1), Text(x, 2), x.GetString(3), x.GetString(4), new UnitAmount(unit, x.GetInt64(5)),
                    new UnitAmount(unit, x.GetInt64(6)), new UnitAmount(unit, x.GetInt64(5) - x.GetInt64(6)), new UnitAmount(unit, x.GetInt64(7)),
                    new UnitAmount(unit, x.GetInt64(8))];
        }, ct2),
    };

    /// <summary>The tie-outs, each as left, right and the difference (which must be nought).</summary>
    public sealed record Check(string Name, Unit Unit, long Left, long Right, string Explanation)
    {
        public bool Holds => Left == Right;
    }

    private async Task<ExportTable> ChecksAsync(IReadOnlyList<SchoolBudget> budgets, IReadOnlyList<LedgerTotals> totals, CancellationToken ct)
    {
        var confirmedPaid = await CountAsync("""
            SELECT coalesce(sum(p.amount_pence), 0) FROM payment_run_payee p JOIN payment_run r ON r.id = p.payment_run_id
             WHERE r.programme_id = @p AND p.status = 'paid' AND p.paid_on <= @asOf
            """, ct);

        long Debit(Unit u, string leaf) => totals.Where(t => t.Unit == u && t.Leaf == leaf && !t.SchoolLevel).Sum(t => t.DebitsPosted - t.CreditsPosted);
        long Credit(Unit u, string leaf, bool school = false) =>
            totals.Where(t => t.Unit == u && t.Leaf == leaf && t.SchoolLevel == school).Sum(t => t.CreditsPosted - t.DebitsPosted);

        var checks = new List<Check>();
        foreach (var unit in new[] { Unit.Gbp, Unit.Minutes })
        {
            var mine = budgets.Where(b => b.Unit == unit).ToList();
            var what = unit == Unit.Gbp ? "money" : "staff time";
            checks.Add(new Check($"Allocated + unallocated + lapsed + carried forward = funding + brought forward ({what})", unit,
                mine.Sum(b => b.Allocated) + Credit(unit, "unallocated") + Credit(unit, "lapsed") + Credit(unit, "carried-forward"),
                Debit(unit, "funding") + Debit(unit, "brought-forward"),
                "Every pound (minute) funded is either with a school (allocated) or still the programme's."));
            if (unit == Unit.Gbp)
            {
                checks.Add(new Check("Approved − paid = payable (approved, not yet paid)", unit,
                    mine.Sum(b => b.Approved) - mine.Sum(b => b.Paid), Credit(unit, "payable", school: true),
                    "The schools' approved less paid, against the balances of their payable accounts."));
                checks.Add(new Check("Paid in the ledger = payments confirmed paid", unit, mine.Sum(b => b.Paid), confirmedPaid,
                    "The schools' paid accounts, against the payment runs' payees confirmed paid on or before the as-of date."));
            }
            var u = totals.Where(t => t.Unit == unit).ToList();
            checks.Add(new Check($"Trial balance: posted debits = posted credits ({what})", unit, u.Sum(t => t.DebitsPosted), u.Sum(t => t.CreditsPosted),
                "Double entry: every transfer debits one account and credits another by the same amount."));
            checks.Add(new Check($"Trial balance: pending debits = pending credits ({what})", unit, u.Sum(t => t.DebitsPending), u.Sum(t => t.CreditsPending),
                "Holds (claims under review) reserve on both sides too."));
            checks.Add(new Check($"Limited accounts within their limits ({what})", unit, u.Sum(t => t.PastLimit), 0,
                "How far accounts that may not go below nought (schools' available and payable, the unallocated budget) were below it at the end of the as-of date, summed. " +
                "PostgreSQL holds the limits on today's balances: budget moved on a date before it was given (or dated ahead, before migration 0068) leaves an account below nought on the days between."));
        }
        return new ExportTable
        {
            Name = "checks", SheetName = "Checks",
            Purpose = "Tie-outs that must hold: each row's difference is nought.",
            Columns =
            [
                new("Check", CellKind.Text, 70), new("Unit", CellKind.Label, 6), new("Left", CellKind.Amount, 16), new("Right", CellKind.Amount, 16),
                new("Difference", CellKind.Amount, 14), new("Holds", CellKind.Boolean, 8), new("Why", CellKind.Text, 80),
            ],
            EstimatedRows = checks.Count,
            Rows = ct2 => Rows(checks.Select(c => (object?[])
            [
                c.Name, c.Unit.ToCode(), new UnitAmount(c.Unit, c.Left), new UnitAmount(c.Unit, c.Right),
                new Computed("C{row}-D{row}", new UnitAmount(c.Unit, c.Left - c.Right)), new Computed("E{row}=0", c.Holds), c.Explanation,
            ])),
        };
    }

    private static string? Text(NpgsqlDataReader x, int i) => x.IsDBNull(i) ? null : x.GetString(i);
    private static DateTimeOffset? Time(NpgsqlDataReader x, int i) => x.IsDBNull(i) ? null : x.GetFieldValue<DateTimeOffset>(i);

#pragma warning disable CS1998 // an async iterator over rows already in memory
    private static async IAsyncEnumerable<object?[]> Rows(IEnumerable<object?[]> rows)
    {
        foreach (var row in rows) yield return row;
    }
#pragma warning restore CS1998

    /// <summary>
    /// Widens the Area and School columns to the programme's longest names, within 60 characters: PINS's integrated care
    /// boards' names run to 59, and a column of 24 cut them off on every sheet.
    /// </summary>
    private async Task WidenNamesAsync(CancellationToken ct)
    {
        await using var cmd = Command("""
            SELECT (SELECT coalesce(max(length(name)), 0) FROM area WHERE programme_id = @p),
                   (SELECT coalesce(max(length(name)), 0) FROM school WHERE programme_id = @p)
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        _area = _area with { Width = Math.Clamp(reader.GetInt32(0) + 2, MostArea, Widest) };
        _school = _school with { Width = Math.Clamp(reader.GetInt32(1) + 2, MostSchool, Widest) };
    }

    private NpgsqlCommand Command(string sql)
    {
        var cmd = new NpgsqlCommand(sql, _conn, _tx);
        cmd.Parameters.AddWithValue("p", _programmeId);
        cmd.Parameters.AddWithValue("asOf", _asOf);
        cmd.Parameters.AddWithValue("until", _until);
        cmd.CommandTimeout = 0; // a national export reads for minutes
        return cmd;
    }

    private async Task<long> CountAsync(string sql, CancellationToken ct)
    {
        await using var cmd = Command(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <summary>Streams a query's rows: nothing is held beyond the row being written.</summary>
    private async IAsyncEnumerable<object?[]> QueryAsync(string sql, Func<NpgsqlDataReader, object?[]> map, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = Command(sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return map(reader);
    }
}

using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Access;

namespace GrantLedger.Bench;

/// <summary>
/// <c>reads --cluster DIR --finance [--only mode,…]</c>: the funder's finance team's reads over HTTP, with one finance
/// user's token (made by the admin through <c>POST /api/v1/users</c>), each read's addresses drawn from the seeded data
/// (bench/requests.lua sends a random one per request): the payment runs (page and API), what is owed (page and API), a run with its payments (page,
/// filtered, and API: a national run pays 20,000 schools), the schools with their payments, confirmations, periods, the year
/// end and the exports.
/// </summary>
public static partial class ReadsBench
{
    private const string FinanceName = "bench-reads-finance";

    private static async Task<int> FinanceReadsAsync(BenchCluster db, HttpClient http, string adminToken, Uri baseAddress, long programmeId,
        int seconds, int[] connections, string[]? only, TextWriter report)
    {
        var clock = Stopwatch.StartNew();
        if (await db.Scalar("SELECT id FROM app_user WHERE normalized_user_name = $1", FinanceName.ToUpperInvariant()) is null)
            await CreateUserAsync(http, adminToken, FinanceName,
                new { userName = FinanceName, displayName = "Bench finance", password = OneTimePassword, role = Roles.FunderFinance, programmeId });
        var token = await SignInAsync(http, FinanceName);
        var runs = await db.IdsAsync("SELECT id FROM payment_run WHERE programme_id = $1 ORDER BY id", programmeId);
        var urns = (await db.IdsAsync("SELECT urn::bigint FROM school WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT 50", programmeId))
            .Select(u => u.ToString(CultureInfo.InvariantCulture)[..4]).ToList();
        var schools = await db.IdsAsync("SELECT id FROM school WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT 50", programmeId);
        report.WriteLine($"finance signed in, {runs.Count} payment runs paying " +
                         $"{await db.Scalar("SELECT count(*) FROM payment_run_payee p JOIN payment_run r ON r.id = p.payment_run_id WHERE r.programme_id = $1", programmeId):N0} " +
                         $"payees in all, read in {clock.Elapsed.TotalSeconds:F1} s");

        List<(string, string)> One(string path) => [(token, path)];
        List<(string, string)> EachRun(string path) => runs.Select(r => (token, string.Format(CultureInfo.InvariantCulture, path, r))).ToList();
        RoleRead[] reads =
        [
            new("finance-runs", "the payment runs (page)", One("/finance")),
            new("finance-runs-api", "the payment runs (API)", One($"/api/v1/programmes/{programmeId}/payment-runs")),
            new("finance-owed", "what is owed, by half-term and area (page)", One("/finance/owed")),
            new("finance-owed-api", "what is owed, by half-term and area (API)", One($"/api/v1/programmes/{programmeId}/payments-owed")),
            new("finance-run", "a run with its first 100 payments (page)", EachRun("/finance/runs/{0}")),
            new("finance-run-failed", "a run's failed payments (page)", EachRun("/finance/runs/{0}?status=failed")),
            new("finance-run-search", "a run's payments to schools by URN's start (page)",
                runs.SelectMany(r => urns.Select(u => (token, $"/finance/runs/{r}?q={u}"))).ToList()),
            new("finance-run-api", "a run with every payee and claim (API)", EachRun("/api/v1/payment-runs/{0}")),
            new("finance-schools", "the schools with what was sent to each, first 50 (page)", One("/finance/schools")),
            new("finance-schools-search", "the schools by URN's start (page)", urns.Select(u => (token, $"/finance/schools?q={u}")).ToList()),
            new("finance-school", "a school's payments (page)", schools.Select(id => (token, $"/finance/schools/{id}")).ToList()),
            new("finance-confirmations", "the confirmation files (page)", One("/finance/confirmations")),
            new("finance-periods", "the half-terms to close (page)", One("/finance/periods")),
            new("finance-year-end", "the year end (page)", One("/finance/year-end")),
            new("finance-exports", "the exports (page)", One("/exports")),
        ];
        return await MeasureReadsAsync(baseAddress, reads.Where(r => only is null || only.Contains(r.Mode)).ToList(), seconds, connections, report);
    }
}

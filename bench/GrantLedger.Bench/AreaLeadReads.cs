using System.Diagnostics;
using System.Globalization;
using GrantLedger.Web.Access;

namespace GrantLedger.Bench;

/// <summary>
/// <c>reads --cluster DIR --area-lead [--only mode,…]</c>: an area lead's reads over HTTP. An area lead is made for each of
/// ten areas (by the admin, through <c>POST /api/v1/users</c>), each signed in for a token, and each read's requests are
/// that lead's own addresses in their own area, drawn from the seeded data (bench/requests.lua sends a random one per
/// request): the review queue (page and API), the area's claims (API, newest first and by state), the area's schools and
/// a school of them, a claim to review (page and API), and the plans list.
/// </summary>
public static partial class ReadsBench
{
    private const int LeadAreas = 10;

    private static async Task<int> AreaLeadReadsAsync(BenchCluster db, HttpClient http, string adminToken, Uri baseAddress, long programmeId,
        int seconds, int[] connections, string[]? only, TextWriter report)
    {
        var clock = Stopwatch.StartNew();
        var leads = new List<(string Token, long Area, List<long> Schools, List<long> Claims, List<long> Waiting)>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT id, code FROM area WHERE programme_id = $1 ORDER BY hashint8(id), id LIMIT $2"))
        {
            cmd.Parameters.Add(new() { Value = programmeId });
            cmd.Parameters.Add(new() { Value = LeadAreas });
            await using var rows = await cmd.ExecuteReaderAsync();
            while (await rows.ReadAsync()) leads.Add(("", rows.GetInt64(0), [], [], []));
        }
        for (var i = 0; i < leads.Count; i++)
        {
            var area = leads[i].Area;
            var userName = $"bench-lead-{area}";
            if (await db.Scalar("SELECT id FROM app_user WHERE normalized_user_name = $1", userName.ToUpperInvariant()) is null)
                await CreateUserAsync(http, adminToken, userName,
                    new { userName, displayName = $"Area lead ({userName})", password = OneTimePassword, role = Roles.AreaLead, areaId = area });
            leads[i] = (await SignInAsync(http, userName), area,
                await db.IdsAsync("SELECT id FROM school WHERE area_id = $1 ORDER BY hashint8(id), id LIMIT 50", area),
                await db.IdsAsync("SELECT c.id FROM claim c JOIN school s ON s.id = c.school_id WHERE s.area_id = $1 ORDER BY hashint8(c.id), c.id LIMIT 50", area),
                await db.IdsAsync("SELECT c.id FROM claim c JOIN school s ON s.id = c.school_id WHERE s.area_id = $1 AND c.state IN ('submitted', 'under-review') " +
                                   "ORDER BY hashint8(c.id), c.id LIMIT 50", area));
        }
        report.WriteLine($"{leads.Count} area leads signed in, their schools and claims drawn in {clock.Elapsed.TotalSeconds:F1} s; an area holds " +
                         $"{await db.Scalar("SELECT round(avg(n)) FROM (SELECT count(*) n FROM school WHERE programme_id = $1 GROUP BY area_id) x", programmeId)} schools and " +
                         $"{await db.Scalar("SELECT round(avg(n)) FROM (SELECT count(*) n FROM claim c JOIN school s ON s.id = c.school_id WHERE c.programme_id = $1 GROUP BY s.area_id) x", programmeId)} claims " +
                         "on average");

        List<(string, string)> Each(string path) => leads.Select(l => (l.Token, path)).ToList();
        List<(string, string)> EachOf(Func<(string Token, long Area, List<long> Schools, List<long> Claims, List<long> Waiting), IEnumerable<long>> ids, string path) =>
            leads.SelectMany(l => ids(l).Select(id => (l.Token, string.Format(CultureInfo.InvariantCulture, path, id)))).ToList();
        RoleRead[] reads =
        [
            new("lead-queue", "the review queue's page", Each("/review")),
            new("lead-queue-api", "the review queue (API)", Each("/api/v1/review-queue")),
            new("lead-claims-api", "the area's claims, newest first (API)", Each("/api/v1/claims")),
            new("lead-claims-submitted", "the area's submitted claims (API)", Each("/api/v1/claims?state=submitted")),
            new("lead-schools", "the area's schools (page)", Each("/review/schools")),
            new("lead-school", "a school of the area (page)", EachOf(l => l.Schools, "/review/schools/{0}")),
            new("lead-claim", "a claim of the area (page)", EachOf(l => l.Claims, "/review/claims/{0}")),
            new("lead-claim-api", "a claim of the area (API)", EachOf(l => l.Claims, "/api/v1/claims/{0}")),
            new("lead-waiting-claim", "a claim waiting for review (page)", EachOf(l => l.Waiting, "/review/claims/{0}")),
            new("lead-plans", "the area's action plans (page)", Each("/review/plans")),
        ];
        return await MeasureReadsAsync(baseAddress, reads.Where(r => only is null || only.Contains(r.Mode)).ToList(), seconds, connections, report);
    }
}

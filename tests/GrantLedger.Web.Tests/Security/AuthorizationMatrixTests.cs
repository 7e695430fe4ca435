using System.Net;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;
using static GrantLedger.Web.Tests.Security.AccessMatrix;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// OWASP API1 (object level) and API5 (function level), from the OpenAPI document: every operation
/// × every role × the caller's own records and someone else's. A role the table does not allow
/// gets 403 on its own records; nobody gets anything but 403 or 404 on records outside their scope.
/// An operation missing from the table fails the test, so a new endpoint must say who may call it.
/// </summary>
public sealed class AuthorizationMatrixTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    [Fact]
    public async Task EveryOperation_EveryRole_OwnAndOthersRecords_AnswerAsTheTableSays()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = await ScopedRecords.CreateAsync(Db, w);
        var users = ids.Users;
        var operations = (await OpenApi.ReadAsync(Db)).Operations;
        var missing = operations.Where(o => !Allowed.ContainsKey(o.Key) && !Anonymous.Contains(o.Key)).Select(o => o.Key).ToList();
        Assert.True(missing.Count == 0, "operations with no row in the matrix: " + string.Join(", ", missing));

        var failures = new List<string>();
        var calls = 0;
        // Someone else's records first (nothing may change them), then one's own, destructive operations last.
        foreach (var scope in new[] { "other", "own" })
            foreach (var op in operations.Where(o => !Anonymous.Contains(o.Key)).OrderBy(o => o.Method == "DELETE" || o.Path.EndsWith("/disable") ? 1 : 0))
            {
                var allowed = Allowed[op.Key];
                // Forbidden roles first, so an allowed role's success cannot hide a forbidden one's answer.
                foreach (var role in Everyone.OrderBy(r => allowed.Contains(r) ? 1 : 0))
                {
                    if (scope == "other" && !ids.HasOther(op.Path, role)) continue;
                    var path = ids.Fill(op.Path, scope, role);
                    var answer = await OpenApi.SendAsync(users[role], op, path);
                    calls++;
                    var status = (int)answer.Status;
                    var ok = scope == "other"
                        ? status is 403 or 404
                        : allowed.Contains(role) ? status is not (401 or 403 or 500) : status == 403;
                    if (status == 500) ok = false;
                    if (!ok) failures.Add($"{scope,-5} {role,-7} {op.Method} {path} → {status} {Trim(answer.Body)}");
                }
            }
        output.WriteLine($"{calls} calls over {operations.Count} operations");
        Assert.True(failures.Count == 0, $"{failures.Count} answers differ from the matrix:\n" + string.Join("\n", failures));
    }

    private static string Trim(string body) => body.Length > 160 ? body[..160] + "…" : body;


}

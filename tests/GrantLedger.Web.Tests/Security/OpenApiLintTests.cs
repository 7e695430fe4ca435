using System.Diagnostics;
using System.Text.Json.Nodes;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// The OpenAPI document linted by Spectral with the OWASP API Security ruleset
/// (scripts/openapi-lint, installed by ./test.sh): no errors. Warnings are answered in docs/openapi-lint.md.
/// </summary>
public sealed class OpenApiLintTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    [Fact]
    public async Task Spectral_WithTheOwaspRuleset_FindsNoErrors()
    {
        var root = RepositoryRoot();
        var lint = Path.Combine(root, "scripts", "openapi-lint");
        var spectral = Path.Combine(lint, "node_modules", ".bin", "spectral");
        Assert.True(File.Exists(spectral), $"{spectral} is missing: ./test.sh installs it (npm ci in scripts/openapi-lint)");

        var document = Path.Combine(Path.GetTempPath(), $"grantledger-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(document, await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"));
        try
        {
            var start = new ProcessStartInfo(spectral, ["lint", document, "--ruleset", Path.Combine(lint, ".spectral.yaml"), "--format", "json", "--quiet"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = lint,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "spectral did not finish in 3 minutes");
            var json = await stdout;
            var results = JsonNode.Parse(json.Length == 0 ? "[]" : json)!.AsArray();
            var errors = results.Where(r => r!["severity"]!.GetValue<int>() == 0)
                .Select(r => $"{r!["code"]}: {r["message"]} at {string.Join('.', r["path"]!.AsArray().Select(x => x!.ToString()))}").ToList();
            foreach (var group in results.GroupBy(r => r!["code"]!.ToString())) output.WriteLine($"{group.Key}: {group.Count()}");
            Assert.True(errors.Count == 0, $"{errors.Count} Spectral errors ({await stderr}):\n" + string.Join("\n", errors.Take(40)));
        }
        finally
        {
            File.Delete(document);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return dir.FullName;
        throw new InvalidOperationException("GrantLedger.sln not found above " + AppContext.BaseDirectory);
    }
}

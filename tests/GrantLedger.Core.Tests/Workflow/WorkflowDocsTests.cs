using System.Text;
using System.Text.RegularExpressions;
using GrantLedger.Core.Workflow;

namespace GrantLedger.Core.Tests.Workflow;

/// <summary>
/// docs/workflows.md carries, for each lifecycle, a generated section (the Mermaid diagram and the
/// guards' reasons) between markers. This test fails when a declaration changed and the docs did not;
/// run it with UPDATE_WORKFLOW_DOCS=1 to rewrite the sections (the prose around them is kept).
/// </summary>
public class WorkflowDocsTests
{
    private const string UpdateVariable = "UPDATE_WORKFLOW_DOCS";

    private static readonly (string Key, string Section)[] Sections =
    [
        Generate(ClaimWorkflow.Lifecycle),
        Generate(ActionPlanWorkflow.Lifecycle),
        Generate(PaymentRunWorkflow.Lifecycle),
    ];

    [Fact]
    public void WorkflowsDoc_ShowsEachLifecycleAsDeclared()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "workflows.md");
        var doc = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, Sections.Aggregate(doc, (text, s) => Replace(text, s.Key, s.Section)));
            return;
        }

        foreach (var (key, section) in Sections)
        {
            var found = Region(key).Match(doc);
            Assert.True(found.Success && found.Value == section,
                $"docs/workflows.md does not show the {key} lifecycle as declared in src/GrantLedger.Core/Workflow. " +
                $"Regenerate it with `{UpdateVariable}=1 dotnet test tests/GrantLedger.Core.Tests --filter WorkflowsDoc` " +
                $"and commit the change. Expected between the markers:\n{section}");
        }
    }

    private static (string Key, string Section) Generate<TS, TT, TC>(Lifecycle<TS, TT, TC> lifecycle)
        where TS : struct, Enum where TT : struct, Enum where TC : IWorkflowContext
    {
        var key = lifecycle.Name.Replace(' ', '-');
        var text = new StringBuilder($"<!-- workflow:{key} (generated from the declaration: see tests/GrantLedger.Core.Tests/Workflow/WorkflowDocsTests.cs) -->\n");
        text.Append("```mermaid\n").Append(lifecycle.ToMermaid()).Append("```\n\n");
        text.Append("| guard | refused with | reason |\n|---|---|---|\n");
        foreach (var guard in lifecycle.Rows.SelectMany(r => r.Guards).DistinctBy(g => g.Name))
        {
            var answer = guard.Kind switch
            {
                GuardKind.Scope => "403",
                GuardKind.Input => $"422 on `{guard.Field}`",
                _ => "409",
            };
            text.Append($"| `{guard.Name}` | {answer} | {guard.Reason} |\n");
        }
        if (lifecycle.InternalTriggers.Count > 0)
            text.Append($"\nFired by the service as part of another step, never by a request (so never offered to anyone): " +
                $"{string.Join(", ", lifecycle.InternalTriggers.Select(t => $"`{Kebab.Of(t)}`"))}.\n");
        return (key, text.Append($"<!-- /workflow:{key} -->").ToString());
    }

    private static Regex Region(string key) =>
        new($"<!-- workflow:{Regex.Escape(key)} .*?<!-- /workflow:{Regex.Escape(key)} -->", RegexOptions.Singleline);

    private static string Replace(string doc, string key, string section) =>
        Region(key).IsMatch(doc) ? Region(key).Replace(doc, section.Replace("$", "$$"), 1) : $"{doc.TrimEnd()}\n\n{section}\n";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return dir.FullName;
        throw new InvalidOperationException($"GrantLedger.sln not found above {AppContext.BaseDirectory}");
    }
}

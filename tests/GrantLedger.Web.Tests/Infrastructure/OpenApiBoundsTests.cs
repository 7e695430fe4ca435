using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Infrastructure;

public sealed class OpenApiBoundsTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// A client reads a text field's limit from the OpenAPI document: each field a use case bounds has that bound as its
    /// maxLength (the constant the use case checks, named by [MaxText]), not the request size's 1,000,000 every other
    /// string has. A plan's summary said 1,000,000 and was refused past 2,000.
    /// </summary>
    [Fact]
    public async Task EveryTextFieldAUseCaseBounds_HasThatBoundAsItsMaxLength()
    {
        var schemas = JsonNode.Parse(await Db.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!["components"]!["schemas"]!;
        var bounded = typeof(OpenApiConventions).Assembly.GetTypes()
            .SelectMany(t => t.GetProperties().Select(p => (Type: t, Property: p, Bound: p.GetCustomAttribute<MaxTextAttribute>())))
            .Where(x => x.Bound is not null).ToList();
        Assert.True(bounded.Count >= 44, $"{bounded.Count} bounded fields");
        var said = bounded.Select(x =>
        {
            var id = x.Type.FullName!.Replace("GrantLedger.Web.", "").Replace("+", ".");
            var field = JsonNamingPolicy.CamelCase.ConvertName(x.Property.Name);
            var schema = schemas[id]?["properties"]?[field] ?? throw new Xunit.Sdk.XunitException($"{id}.{field} is not in the document");
            return (Field: $"{id}.{field}", Said: schema["maxLength"]?.GetValue<int>(), Pattern: schema["pattern"]?.GetValue<string>());
        }).ToList();
        Assert.Equal(bounded.Select(x => ($"{x.Type.FullName!.Replace("GrantLedger.Web.", "").Replace("+", ".")}.{JsonNamingPolicy.CamelCase.ConvertName(x.Property.Name)}", (int?)x.Bound!.Length, x.Bound.Pattern)), said);
        // a code or reference is described by the expression its use case matches (they said only maxLength 1,000,000)
        Assert.Equal((17, GrantLedger.Core.Claims.ClaimLines.StaffRefPattern), said.Where(x => x.Field == "Claims.LineEditing.LineInput.staffRef").Select(x => (x.Said, x.Pattern)).Single());
        Assert.Equal((40, GrantLedger.Web.Programmes.SetUp.AreaCodePattern), said.Where(x => x.Field == "Programmes.SetUp.NewArea.code").Select(x => (x.Said, x.Pattern)).Single());
        Assert.Equal(3, said.Count(x => x.Pattern == GrantLedger.Web.Programmes.Schools.UrnPattern)); // a school's, an allocation line's, a virement's
        Assert.Equal(2000, said.Single(x => x.Field == "ActionPlans.PlanDrafting.PlanInput.summary").Said);
        Assert.Equal(50, said.Single(x => x.Field == "Programmes.PayeeReferences.Change.payeeReference").Said);
        Assert.Equal(128, said.Single(x => x.Field == "Access.Users.NewUser.password").Said);
    }

    /// <summary>
    /// A client reads the themes an action plan takes from the OpenAPI document: an action's theme and a plan's themes
    /// list the eight the API accepts (the document said only "a string", and the API refused any other with 422).
    /// </summary>
    [Fact]
    public async Task AnActionsThemeAndAPlansThemes_ListTheEightThemesTheApiTakes()
    {
        var api = await OpenApi.ReadAsync(Db);
        var schemas = api.Document["components"]!["schemas"]!;
        string[] Listed(JsonNode? schema) => schema?["enum"]?.AsArray().Where(v => v is not null).Select(v => v!.GetValue<string>()).ToArray() ?? [];
        var themes = GrantLedger.Core.Plans.ActionPlanRules.Themes;
        Assert.Equal(8, themes.Count);
        Assert.Equal(themes, Listed(api.Resolve(schemas["ActionPlans.PlanDrafting.ActionInput"]!["properties"]!["theme"])));
        Assert.Equal(themes, Listed(api.Resolve(schemas["ActionPlans.PlanDrafting.PlanInput"]!["properties"]!["themes"]!["items"])));
    }
}

using System.Globalization;
using System.Reflection;
using GrantLedger.Core.Money;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Demo;
using GrantLedger.Web.Exports;
using GrantLedger.Web.Pages;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using Npgsql;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GrantLedger.Web.Infrastructure;

/// <summary>The service's composition: one place that says what runs and in what order.</summary>
public static class HostSetup
{
    public static WebApplication Build(string[] args)
    {
        // Pages, exports and messages write dates and numbers as the tests read them, whatever the server's locale: a server
        // set to German wrote "4 Dez. 2026". Its background work (exports, sealing) reads the threads' default; requests are
        // set again by the localization middleware below, which takes nothing from the request.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        var demo = args.Contains("--demo");
        var builder = WebApplication.CreateBuilder(args.Where(a => a != "--demo").ToArray());
        if (demo) builder.Configuration["GrantLedger:Demo"] = "true";
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://127.0.0.1:5080");

        var services = builder.Services;
        services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection("GrantLedger").Get<GrantLedgerOptions>() ?? new GrantLedgerOptions());
        services.AddSingleton<DatabaseEndpoint>();
        services.AddSingleton(sp => DatabaseEndpoint.CreateDataSource(sp.GetRequiredService<DatabaseEndpoint>().ConnectionString,
            logs: sp.GetRequiredService<ILoggerFactory>()));
        // Background work (the sealer, the export runner's polling, the readiness check) has a pool of its own, so that its
        // statements every few seconds do not open extra connections in the requests' pool (docs/performance.md, section 9).
        services.AddKeyedSingleton(DatabaseEndpoint.Background,
            (sp, _) => DatabaseEndpoint.CreateDataSource(sp.GetRequiredService<DatabaseEndpoint>().ConnectionString, background: true,
                logs: sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<Exports.ReportsReplica>();
        // Pooled: a request takes a context that EF has reset (change tracker, transaction, connection) rather than
        // building one and its services anew. Its only state of its own, the transaction InTransactionAsync began, is
        // cleared when that transaction ends (docs/performance.md).
        services.AddDbContextPool<GrantLedgerDb>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddHostedService<StartUp>();
        services.AddHostedService<Sealer>(); // after StartUp: the tables exist by then
        services.AddHttpContextAccessor();
        services.AddScoped<AuditTrail>();
        services.AddSingleton<Claims.SubmissionGroups>();
        services.AddScoped<DemoData>();
        services.AddSingleton<ProblemAnswers>();
        services.AddSingleton<IExceptionHandler>(sp => sp.GetRequiredService<ProblemAnswers>());
        services.AddProblemDetails();
        services.AddGrantLedgerAccess();
        services.AddGrantLedgerSecurity();
        services.AddJobRunner<ExportQueue, ExportRunner>();
        services.AddJobRunner<LedgerCheckQueue, LedgerCheckRunner>();
        services.AddGrantLedgerPages();

        services.AddControllers(o =>
            {
                o.OutputFormatters.RemoveType<Microsoft.AspNetCore.Mvc.Formatters.StringOutputFormatter>();
                o.Filters.Add(new QueryParameters()); // a query parameter the operation does not take: 400 naming it
                o.Filters.Add(new Idempotency()); // every write of the API takes an Idempotency-Key
                o.ModelValidatorProviders.Add(new NullElementsValidatorProvider()); // {"lines": [null]}: 400 naming lines[0]
                o.Conventions.Add(new SuccessAnswers()); // the OpenAPI document's 200 of every action that declares no success of its own
                o.Conventions.Add(new ErrorAnswers()); // and its 404, 409 and 422 where an action answers them
            })
            .AddJsonOptions(o => JsonSetup.Configure(o.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(o => o.InvalidModelStateResponseFactory = MalformedRequest.Answer);
        services.Configure<MvcOptions>(o => o.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true);
        services.AddHealthChecks().AddCheck<DatabaseHealth>("database", tags: ["ready"]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(ConfigureOpenApi);
        return WireUp(builder.Build());
    }

    private static WebApplication WireUp(WebApplication app)
    {
        app.UseRequestLocalization(new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(CultureInfo.InvariantCulture),
            SupportedCultures = [CultureInfo.InvariantCulture], SupportedUICultures = [CultureInfo.InvariantCulture], RequestCultureProviders = [],
        });
        app.UseTrustedProxies();
        app.UseErrorPages();
        app.UseRouting(); // after the error pages: a request they run again is routed again, to its error page
        app.UseGrantLedgerSecurity();
        // Swagger UI is static files: public, so it goes before the default-deny authorization
        app.UseSwaggerUI(o => o.DocumentTitle = "GrantLedger API");
        app.UseGrantLedgerStaticFiles();
        app.UseAuthentication();
        app.UseOneTimePasswords(); // signed in with a one-time password: nothing but choosing one's own
        app.UseAuthorization();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapSwagger().AllowAnonymous(); // the API's description is public; its operations are not
        app.MapControllers();
        app.MapRazorPages();
        app.MapPageSessions();
        return app;
    }

    private static OpenApiSchema QuantitySchema(JsonSchemaType type) => new()
    {
        Type = type, MultipleOf = 0.01m,
        Description = "A number with at most two decimal places that comes to a whole number of minutes: days of 450 minutes " +
                      "(7.5 hours), such as 1, 0.5 or 0.2 (not 0.33 or 0.01), or hours, such as 2.5 or 0.25 (not 0.01). " +
                      "The number may also be sent as a string, \"1.5\"",
    };

    private static void ConfigureOpenApi(SwaggerGenOptions o)
    {
        // query parameters bound from a class (the audit trail's and the journal's filters) are named as the docs and
        // the JSON name them, "recordType" not "RecordType" (ASP.NET Core binds either)
        o.DescribeAllParametersInCamelCase();
        o.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "GrantLedger API",
            Version = "v1",
            Description = "Programmes, allocations and the double-entry ledger of school inclusion grants. " +
                          "Money is a decimal string in pounds with two places (\"1234.50\"); staff time is integer minutes. " +
                          "Sign in with POST /api/v1/auth/token and send 'Authorization: Bearer glt_…'. " +
                          "A query parameter an operation does not list here is refused, 400 naming it (errors) and listing the ones it takes " +
                          "(detail), never ignored: the lists page with the parameters each names (before, after or cursor), and a misnamed one " +
                          "would read the first page again. So is a parameter given more than once (?limit=1&limit=2), 400 naming it.",
            Contact = new OpenApiContact { Name = "GrantLedger engineering", Url = new Uri("https://grantledger.example/support") },
        });
        o.AddServer(new OpenApiServer
        {
            Url = "/", Description = "The production service that answered this document (local, staging or production: the same API)",
            Extensions = new Dictionary<string, IOpenApiExtension> { ["x-internal"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(false)) },
        });
        var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
        if (File.Exists(xml)) o.IncludeXmlComments(xml);
        o.MapType<Money>(() => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = @"^-?\d+(\.\d{1,2})?$" });
        o.MapType<Money?>(() => new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Pattern = @"^-?\d+(\.\d{1,2})?$" });
        // hours and days as the API reads them (QuantityJsonConverter): a number with at most two decimal places, not the
        // record the service keeps them in
        o.MapType<Quantity>(() => QuantitySchema(JsonSchemaType.Number));
        o.MapType<Quantity?>(() => QuantitySchema(JsonSchemaType.Number | JsonSchemaType.Null));
        o.CustomSchemaIds(t => t.FullName!.Replace("GrantLedger.Web.", "").Replace("+", "."));
        o.AddSecurityDefinition(ApiTokens.Scheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API token from POST /api/v1/auth/token (glt_…).",
        });
        o.OperationFilter<SecurityAndIdempotency>();
        OpenApiConventions.Configure(o);
    }

    /// <summary>
    /// Marks which operations need a token (all but sign-in and health), and says of each operation that writes whether
    /// it takes an Idempotency-Key (<c>x-idempotency-key</c>: <c>taken</c>, with the header's parameter, or
    /// <c>refused</c>, with why in its description; one taken except with a password says so in the parameter's).
    /// </summary>
    private sealed class SecurityAndIdempotency : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var action = context.ApiDescription.ActionDescriptor as ControllerActionDescriptor;
            var anonymous = action?.MethodInfo.GetCustomAttribute<Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute>() is not null;
            if (!anonymous)
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiTokens.Scheme, context.Document)] = [] }];
            if (action?.MethodInfo.GetCustomAttribute<KeepsIfMatchAttribute>() is not null)
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "If-Match",
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = "The record's ETag as you read it (the ETag header of its last answer, or its eTag field): the change is made only "
                        + "to that version, and refused with 409 stale-version, giving the currentETag, if the record has changed since.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
                });
            }
            if (action is null || !Idempotency.Writes(context.ApiDescription.HttpMethod ?? "")) return;
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            if (Idempotency.Refused(action) is { } why)
            {
                operation.Extensions["x-idempotency-key"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create("refused"));
                operation.Description = (operation.Description is { Length: > 0 } d ? d + "\n\n" : "") + $"Takes no {Idempotency.Header} ({why}): a request with one is refused (400).";
                return;
            }
            operation.Extensions["x-idempotency-key"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create("taken"));
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = Idempotency.Header,
                In = ParameterLocation.Header,
                Required = false,
                Description = "Retrying with the same key and body returns the first answer instead of acting twice (the same key with another request: 422)."
                    + (action.MethodInfo.GetCustomAttribute<TakesNoIdempotencyKeyWithAttribute>() is { } given
                        ? $" Refused (400) on a request whose body gives a {given.Field} ({given.Why})."
                        : ""),
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 200 },
            });
        }
    }

    /// <summary>
    /// Ready when the database answers a query within <see cref="Within"/>. The answer keeps that clock itself: a frozen
    /// server's query is left to Npgsql's own timeouts in the background, because cancelling it waits on the same frozen
    /// server (a cancel request, then the cancellation timeout: /health/ready once took 11.3 s to say "not ready").
    /// </summary>
    private sealed class DatabaseHealth(IServiceProvider services) : IHealthCheck
    {
        private static readonly TimeSpan Within = TimeSpan.FromSeconds(4);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            var query = AskAsync(services.GetRequiredKeyedService<NpgsqlDataSource>(DatabaseEndpoint.Background));
            try
            {
                await query.WaitAsync(Within, ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                _ = query.ContinueWith(t => t.Exception, TaskScheduler.Default); // its late failure observed, not thrown unobserved
                return HealthCheckResult.Unhealthy("the database does not answer", e);
            }
        }

        private static async Task AskAsync(NpgsqlDataSource database)
        {
            await using var cmd = database.CreateCommand("SELECT count(*) FROM schema_migration");
            await cmd.ExecuteScalarAsync();
        }
    }
}

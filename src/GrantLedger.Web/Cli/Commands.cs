using System.CommandLine;
using GrantLedger.Web.Access;
using GrantLedger.Web.Demo;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace GrantLedger.Web.Cli;

/// <summary>
/// Commands beside the web service, sharing its configuration and database endpoint:
/// <c>dotnet run --project src/GrantLedger.Web -- migrate</c>, <c>demo</c>, <c>admin create …</c>.
/// </summary>
public static class Commands
{
    public static readonly HashSet<string> Names = ["migrate", "demo", "admin", "audit", "export", "--help", "-h", "help"];

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("GrantLedger: run with no command to serve the web app and API.");

        var migrate = new Command("migrate", "Apply the SQL migrations in migrations/ to the database (or the local cluster).");
        migrate.SetAction((_, ct) => WithServicesAsync(async (services, endpoint) =>
        {
            var applied = await endpoint.MigrateAsync(ct);
            Console.WriteLine(applied.Count == 0 ? "The database is up to date." : "Applied: " + string.Join(", ", applied));
            return 0;
        }, ct));
        root.Subcommands.Add(migrate);

        var demo = new Command("demo", "Apply migrations and load the demo programmes, users and tokens (once).");
        demo.SetAction((_, ct) => WithServicesAsync(async (services, endpoint) =>
        {
            await endpoint.MigrateAsync(ct);
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DemoData>().LoadAsync(ct);
            return 0;
        }, ct));
        root.Subcommands.Add(demo);

        var admin = new Command("admin", "Manage administrators.");
        var create = new Command("create", "Create a programme admin for all programmes: the first user of a new deployment.");
        var userName = new Option<string>("--user-name") { Description = "the name to sign in with", Required = true };
        var displayName = new Option<string>("--display-name") { Description = "the person's name", Required = true };
        var password = new Option<string>("--password")
        {
            Description = "at least 12 characters; read from GRANTLEDGER_ADMIN_PASSWORD if not given",
        };
        create.Options.Add(userName);
        create.Options.Add(displayName);
        create.Options.Add(password);
        create.SetAction((parse, ct) => WithServicesAsync(async (services, endpoint) =>
        {
            await endpoint.MigrateAsync(ct);
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("GRANTLEDGER_ADMIN_PASSWORD");
            if (string.IsNullOrEmpty(secret))
            {
                Console.Error.WriteLine("Give --password or set GRANTLEDGER_ADMIN_PASSWORD.");
                return 2;
            }
            await using var scope = services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var user = new AppUser
            {
                UserName = parse.GetValue(userName)!.ToLowerInvariant(), DisplayName = parse.GetValue(displayName)!,
                Role = Roles.ProgrammeAdmin, LockoutEnabled = true,
            };
            var result = await users.CreateAsync(user, secret);
            if (!result.Succeeded)
            {
                Console.Error.WriteLine(string.Join(Environment.NewLine, result.Errors.Select(e => e.Description)));
                return 1;
            }
            await AuditCommands.RecordAdminCreatedAsync(scope.ServiceProvider, user, ct);
            Console.WriteLine($"Created {user.UserName} (programme admin, all programmes). Sign in with POST /api/v1/auth/token.");
            return 0;
        }, ct));
        admin.Subcommands.Add(create);
        root.Subcommands.Add(admin);
        root.Subcommands.Add(AuditCommands.Create(WithServicesAsync));

        root.Subcommands.Add(ExportCommands.Create());

        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>Builds the service (without serving) and resolves the database, so commands share its configuration.</summary>
    internal static async Task<int> WithServicesAsync(Func<IServiceProvider, DatabaseEndpoint, Task<int>> work, CancellationToken ct)
    {
        var app = HostSetup.Build([]);
        var endpoint = app.Services.GetRequiredService<DatabaseEndpoint>();
        await endpoint.ResolveAsync(ct);
        try
        {
            return await work(app.Services, endpoint);
        }
        catch (MigrationChanged e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        finally
        {
            if (endpoint.LocalCluster is { StartedHere: true } cluster) await cluster.StopAsync();
        }
    }
}

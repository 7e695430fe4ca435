using GrantLedger.Web.Cli;
using GrantLedger.Web.Infrastructure;

// `dotnet run -- <command>` runs a command (migrate, demo, admin, …); anything else serves the web app.
if (args.Length > 0 && Commands.Names.Contains(args[0])) return await Commands.RunAsync(args);

var app = HostSetup.Build(args);
try
{
    await app.RunAsync();
    return 0;
}
catch (MigrationChanged e)
{
    Console.Error.WriteLine($"GrantLedger did not start: {e.Message}");
    return 1;
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

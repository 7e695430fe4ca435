using System.Net;
using GrantLedger.Web.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace GrantLedger.Browser.Tests.Support;

/// <summary>
/// The service on a real socket (Kestrel on a free loopback port) against the Web tests' throwaway
/// PostgreSQL, and Debian's Chromium driven by Playwright. Never `playwright install`: the browser
/// is the system's.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public DatabaseFixture Db { get; } = new();
    public string BaseUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    private WebApplicationFactory<Program>? _web;
    private IPlaywright? _playwright;

    public static string RepoRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        _web = Db.Factory.WithWebHostBuilder(_ => { });
        _web.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _web.StartServer();
        BaseUrl = _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("GRANTLEDGER_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic"],
        });
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Browser is not null) await Browser.CloseAsync();
            _playwright?.Dispose();
            if (_web is not null) await _web.DisposeAsync();
        }
        finally
        {
            await Db.DisposeAsync();
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GrantLedger.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (GrantLedger.sln) above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GrantLedger.Web.Tests.Support;

/// <summary>The test server has no socket: a client address set for its requests, as Kestrel would from the connection.</summary>
public sealed class ClientAt(IPAddress address) : IStartupFilter
{
    /// <summary>The service as a client at <paramref name="address"/> reaches it.</summary>
    public static WebApplicationFactory<Program> Service(DatabaseFixture db, string address) =>
        db.Factory.WithWebHostBuilder(b => b.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new ClientAt(IPAddress.Parse(address)))));

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, then) =>
        {
            http.Connection.RemoteIpAddress = address;
            return then(http);
        });
        next(app);
    };
}

using Dpm.Catalog;
using Dpm.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Protection;

/// <summary>Where the server's catalog lives.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Dpm:Catalog";

    /// <summary><c>Sqlite</c> (default) or <c>Postgres</c>.</summary>
    public CatalogProvider Provider { get; set; } = CatalogProvider.Sqlite;

    /// <summary>The connection string; default a SQLite file <c>&lt;data directory&gt;/catalog.db</c>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The name this server's jobs carry in the catalog; servers sharing one catalog need distinct names. Default: the computer name.</summary>
    public string ServerName { get; set; } = "";

    /// <summary>The connection string in use: the configured one, or the SQLite file in the data directory.</summary>
    public string ConnectionStringFor(string dataDirectory) =>
        string.IsNullOrWhiteSpace(ConnectionString) ? $"Data Source={Path.Combine(dataDirectory, "catalog.db")}" : ConnectionString;
}

/// <summary>Brings the catalog's schema up to date when the server starts, and opens it for the rest of the server.</summary>
internal sealed partial class CatalogHost(IOptions<CatalogOptions> options, IOptions<DpmHostOptions> host, Dpm.Contracts.ProtectedComputer computer, TimeProvider time, ILogger<CatalogHost> logger) : IHostedService
{
    private readonly Lock _schemaGate = new();
    private bool _schemaReady;

    public string ConnectionString => options.Value.ConnectionStringFor(host.Value.DataDirectory);

    public AlertBook Alerts => new(Open, time);

    public JobBook Jobs => new(Open, time);

    /// <summary>The name this server's jobs carry.</summary>
    public string ServerName => string.IsNullOrWhiteSpace(options.Value.ServerName) ? computer.Name : options.Value.ServerName;

    public CatalogContext Open() => Catalogs.Create(options.Value.Provider, ConnectionString);

    /// <summary>
    /// Brings the schema up to date, once. The server start does it; so does the licence engine's consumption
    /// store, which reads the catalog while the server is being put together, before any hosted service starts.
    /// </summary>
    public void EnsureSchema()
    {
        lock (_schemaGate)
        {
            if (_schemaReady)
            {
                return;
            }

            Directory.CreateDirectory(host.Value.DataDirectory);
            using var catalog = Open();
            catalog.Database.Migrate();
            _schemaReady = true;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureSchema();
        var interrupted = await Jobs.MarkInterruptedAsync(ServerName, cancellationToken);
        CatalogReady(logger, options.Value.Provider, interrupted);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Catalog ready ({Provider}); {Interrupted} jobs cut off by the last stop marked failed")]
    private static partial void CatalogReady(ILogger logger, CatalogProvider provider, int interrupted);
}

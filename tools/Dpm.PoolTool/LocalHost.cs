using System.Runtime.InteropServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.PoolTool;

/// <summary>
/// The plugins this tool needs (Storage.Disk for the pool folder, Workloads.Files for backup and restore),
/// loaded from its plugins folder by the same plugin manager the server uses.
/// </summary>
internal sealed class LocalHost : IAsyncDisposable
{
    public const string DiskPlugin = "Dpm.Storage.Disk";
    public const string FilesPlugin = "Dpm.Workloads.Files";

    private LocalHost(PluginManager plugins, ILoggerFactory logging)
    {
        Plugins = plugins;
        Logging = logging;
    }

    public PluginManager Plugins { get; }

    public ILoggerFactory Logging { get; }

    public static async Task<LocalHost> StartAsync(CancellationToken cancellationToken)
    {
        var logging = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var plugins = new PluginManager(
            new PluginManagerOptions
            {
                Directory = Path.Combine(AppContext.BaseDirectory, "plugins"),
                StateDirectory = Path.Combine(DpmHostOptions.DefaultDataDirectory, "pool-tool-state"),
            },
            new McMasterPluginLoader(),
            new LocalToolLicence(),
            logging,
            new ConfigurationBuilder().Build(),
            new ProtectedComputer(Environment.MachineName, RuntimeInformation.OSDescription),
            TimeProvider.System);
        await plugins.LoadAllAsync(cancellationToken);
        return new LocalHost(plugins, logging);
    }

    public async Task<IObjectStore> OpenStoreAsync(string poolDirectory, CancellationToken cancellationToken)
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new("Path", Path.GetFullPath(poolDirectory))]).Build();
        var result = await Plugins.CallAsync<IStoragePlugin, IObjectStore>(DiskPlugin, "OpenStore", (p, ct) => p.OpenStoreAsync(settings, ct), cancellationToken);
        return result.Succeeded ? result.Value! : throw new InvalidOperationException(result.Failure);
    }

    public IWorkloadPlugin Files => Plugins.TryGetActive<IWorkloadPlugin>(FilesPlugin, out var files, out var reason)
        ? files
        : throw new InvalidOperationException(reason);

    public async ValueTask DisposeAsync()
    {
        await Plugins.DisposeAsync();
        Logging.Dispose();
    }

    /// <summary>A local maintenance tool: licences are counted by the server that protects computers, not here.</summary>
    private sealed class LocalToolLicence : ILicenceGate
    {
        public LicenceDecision CanLoad(LicenceTier tier) => new(true, "local tool");
    }
}

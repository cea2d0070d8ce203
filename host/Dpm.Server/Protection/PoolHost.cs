using Dpm.Contracts.Spi;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Protection;

/// <summary>Where the server's storage pool lives and what opens it.</summary>
public sealed class PoolOptions
{
    public const string Section = "Dpm:Pool";

    /// <summary>The storage plugin that keeps the pool: <c>Dpm.Storage.Disk</c> (default) or another, such as <c>Dpm.Storage.Cloud</c>.</summary>
    public string Plugin { get; set; } = PoolHost.DiskPlugin;

    /// <summary>The pool folder (disk storage plugin); default <c>&lt;data directory&gt;/pool</c>. Other plugins take <c>Dpm:Pool:Settings</c>.</summary>
    public string Path { get; set; } = "";

    /// <summary>The key file that opens the pool; default <c>&lt;data directory&gt;/pool.key</c>, made with the pool.</summary>
    public string KeyFile { get; set; } = "";
}

/// <summary>
/// Opens the server's storage pool when the server starts (creating it, encrypted with a new key file, on
/// first start), through the disk storage plugin. A pool that can't be opened leaves the server running and
/// says why wherever the pool is needed.
/// </summary>
internal sealed partial class PoolHost(PluginManager plugins, IOptions<DpmHostOptions> host, IOptions<PoolOptions> options, IConfiguration configuration, TimeProvider time, ILogger<PoolHost> logger)
    : IHostedService, IDisposable
{
    public const string DiskPlugin = "Dpm.Storage.Disk";

    public StoragePool? Pool { get; private set; }

    public string? Problem { get; private set; } = "the storage pool is not open yet";

    public string PoolPath => string.IsNullOrWhiteSpace(options.Value.Path) ? System.IO.Path.Combine(host.Value.DataDirectory, "pool") : System.IO.Path.GetFullPath(options.Value.Path);

    /// <summary>Where the pool is, as its store says it (<c>disk:/…</c>, <c>azure:…</c>); the configured place while it isn't open.</summary>
    public string Location => Pool?.Store.Location ?? (options.Value.Plugin == DiskPlugin ? "disk:" + PoolPath : options.Value.Plugin);

    public string KeyFile => string.IsNullOrWhiteSpace(options.Value.KeyFile) ? System.IO.Path.Combine(host.Value.DataDirectory, "pool.key") : System.IO.Path.GetFullPath(options.Value.KeyFile);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            IConfiguration settings = options.Value.Plugin == DiskPlugin
                ? new ConfigurationBuilder().AddInMemoryCollection([new("Path", PoolPath)]).Build()
                : configuration.GetSection($"{PoolOptions.Section}:Settings");
            var opened = await plugins.CallAsync<IStoragePlugin, IObjectStore>(options.Value.Plugin, "OpenStore", (p, ct) => p.OpenStoreAsync(settings, ct), cancellationToken);
            if (!opened.Succeeded)
            {
                Problem = $"the storage pool can't be opened: {opened.Failure}";
                PoolUnavailable(logger, Problem);
                return;
            }

            var store = opened.Value!;
            if (await store.ExistsAsync(PoolConfig.ObjectName, cancellationToken))
            {
                Pool = await StoragePool.OpenAsync(store, Credentials(), cancellationToken, time);
                PoolOpened(logger, store.Location, Pool.Config.Encryption);
            }
            else
            {
                var credentials = Credentials(create: true);
                Pool = await StoragePool.CreateAsync(store, new PoolCreateOptions { Credentials = credentials }, cancellationToken, time);
                PoolCreated(logger, store.Location, KeyFile);
            }

            Problem = null;
        }
        catch (Exception ex) when (ex is PoolAccessDeniedException or PoolDataException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Problem = $"the storage pool at {Location} can't be opened: {ex.Message}";
            PoolUnavailable(logger, Problem);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => Pool?.Dispose();

    private PoolCredentials Credentials(bool create = false)
    {
        if (Environment.GetEnvironmentVariable("DPM_POOL_PASSPHRASE") is { Length: > 0 } passphrase)
        {
            return PoolCredentials.FromPassphrase(passphrase);
        }

        if (create && !File.Exists(KeyFile))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(KeyFile)!);
            File.WriteAllText(KeyFile, PoolCredentials.KeyFile.Generate());
            File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return File.Exists(KeyFile)
            ? PoolCredentials.FromKeyFile(File.ReadAllText(KeyFile))
            : throw new PoolAccessDeniedException($"the pool's key file {KeyFile} is missing (or set DPM_POOL_PASSPHRASE)");
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Storage pool {Location} opened ({Encryption})")]
    private static partial void PoolOpened(ILogger logger, string location, string encryption);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Storage pool {Location} created, encrypted with the key file {KeyFile}: keep a copy of it somewhere safe, the pool can't be opened without it")]
    private static partial void PoolCreated(ILogger logger, string location, string keyFile);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "{Problem}")]
    private static partial void PoolUnavailable(ILogger logger, string problem);
}

using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Storage.Disk;

/// <summary>The plugin's entry point: opens <see cref="DiskObjectStore"/>s on local folders.</summary>
[DpmPlugin("Dpm.Storage.Disk", PluginKind.Storage)]
public sealed class DiskStoragePlugin : IStoragePlugin
{
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        _loggerFactory = context.LoggerFactory;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IObjectStore> OpenStoreAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var options = DiskStoreOptions.Bind(settings);
        return ValueTask.FromResult<IObjectStore>(DiskObjectStore.Open(options, _loggerFactory.CreateLogger("Dpm.Storage.Disk")));
    }

    public ValueTask DisposeAsync()
    {
        _loggerFactory = NullLoggerFactory.Instance; // keep no reference to the host's logging once unloaded
        return ValueTask.CompletedTask;
    }
}

using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Storage.Cloud;

/// <summary>The plugin's entry point: opens object stores in Azure Blob Storage or S3-compatible storage.</summary>
[DpmPlugin("Dpm.Storage.Cloud", PluginKind.Storage)]
public sealed class CloudStoragePlugin : IStoragePlugin
{
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        _loggerFactory = context.LoggerFactory;
        return ValueTask.CompletedTask;
    }

    public async ValueTask<IObjectStore> OpenStoreAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var options = CloudStoreOptions.Bind(settings);
        var logger = _loggerFactory.CreateLogger("Dpm.Storage.Cloud");
        return options.Provider switch
        {
            CloudProvider.AzureBlob => await AzureBlobObjectStore.OpenAsync(options, logger, TimeProvider.System, cancellationToken),
            _ => await S3ObjectStore.OpenAsync(options, logger, TimeProvider.System, cancellationToken),
        };
    }

    public ValueTask DisposeAsync()
    {
        _loggerFactory = NullLoggerFactory.Instance;
        return ValueTask.CompletedTask;
    }
}

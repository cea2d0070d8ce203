using Dpm.Contracts.Spi;
using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

/// <summary>The AzureBlob provider (being written).</summary>
internal static class AzureBlobObjectStore
{
    public static Task<IObjectStore> OpenAsync(CloudStoreOptions options, ILogger logger, TimeProvider time, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the AzureBlob provider is not written yet");
}

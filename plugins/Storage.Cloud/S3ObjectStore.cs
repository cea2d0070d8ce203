using Dpm.Contracts.Spi;
using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

/// <summary>The S3 provider (being written).</summary>
internal static class S3ObjectStore
{
    public static Task<IObjectStore> OpenAsync(CloudStoreOptions options, ILogger logger, TimeProvider time, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the S3 provider is not written yet");
}

using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

/// <summary>
/// An object store in a container of Azure Blob Storage: object "data/ab/cdef" is the block blob
/// "&lt;prefix&gt;data/ab/cdef". A put is create-only (If-None-Match: *) and atomic: a small object is one Put Blob,
/// a large one is staged as blocks that stay invisible until one Put Block List makes the object whole, so an
/// interrupted upload leaves nothing a reader can see. Every block carries an MD5 the service checks, and the
/// service client retries transient failures with exponential back-off.
/// </summary>
internal sealed class AzureBlobObjectStore : IObjectStore, IImmutabilityLock
{
    private readonly BlobContainerClient _container;
    private readonly CloudStoreOptions _options;
    private readonly AzureBlobErrors _errors;
    private readonly AzureBlobUpload _upload;

    private AzureBlobObjectStore(BlobContainerClient container, CloudStoreOptions options, AzureBlobErrors errors, AzureBlobUpload upload, string location)
    {
        _container = container;
        _options = options;
        _errors = errors;
        _upload = upload;
        Location = location;
    }

    public string Location { get; }

    /// <summary>
    /// Opens the store: connects to the account, creates the container when it is missing and
    /// <see cref="CloudStoreOptions.CreateContainer"/> allows, and fails with a clear message when it can't be used.
    /// </summary>
    public static async Task<IObjectStore> OpenAsync(CloudStoreOptions options, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        var service = Connect(options);
        var container = service.GetBlobContainerClient(options.Container);
        var endpoint = new UriBuilder(service.Uri) { Query = "" }.Uri; // a SAS in the query would be a secret
        var errors = new AzureBlobErrors(service.AccountName, options.Container, endpoint, options.Retries);
        var location = $"azure:{service.AccountName}/{options.Container}/{options.Prefix}";
        try
        {
            if (options.CreateContainer)
            {
                if (await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken) is not null)
                {
                    AzureBlobStoreLog.ContainerCreated(logger, options.Container, service.AccountName);
                }
            }
            else if (!await container.ExistsAsync(cancellationToken))
            {
                throw new InvalidOperationException(
                    $"the {errors.Where} does not exist, and CreateContainer is false: create it, or let the store create it");
            }
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            AzureBlobStoreLog.Failed(logger, location, e.GetType().Name);
            throw errors.Failure("open the store", e);
        }

        var upload = new AzureBlobUpload(options, new UploadThrottle(options.MaxUploadBytesPerSecond, time), logger, location);
        AzureBlobStoreLog.Opened(logger, location, options);
        return new AzureBlobObjectStore(container, options, errors, upload, location);
    }

    public async ValueTask<PutOutcome> PutAsync(string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        ArgumentNullException.ThrowIfNull(content);
        if (await ExistsAsync(name, cancellationToken))
        {
            return PutOutcome.AlreadyExists; // the common case, answered without uploading; the create-only condition decides races
        }

        try
        {
            return await _upload.PutAsync(blob, name, content, progress, cancellationToken);
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"store '{name}'", e);
        }
    }

    public async ValueTask<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            var download = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken);
            return download.Value.Content;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            return null;
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"read '{name}'", e);
        }
    }

    public async ValueTask<Stream?> OpenReadAsync(string name, ByteRange range, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        ArgumentOutOfRangeException.ThrowIfNegative(range.Offset, nameof(range));
        ArgumentOutOfRangeException.ThrowIfNegative(range.Length, nameof(range));
        if (range.Length == 0)
        {
            return await ExistsAsync(name, cancellationToken) ? new MemoryStream([], writable: false) : null;
        }

        try
        {
            var options = new BlobDownloadOptions { Range = new HttpRange(range.Offset, range.Length) };
            var download = await blob.DownloadStreamingAsync(options, cancellationToken);
            return download.Value.Content; // the service cuts a range that runs past the end short
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            // the range starts at or past the end: nothing of it is there, but the object may be
            return await ExistsAsync(name, cancellationToken) ? new MemoryStream([], writable: false) : null;
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"read a range of '{name}'", e);
        }
    }

    public async ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            return await blob.ExistsAsync(cancellationToken);
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"look for '{name}'", e);
        }
    }

    public async ValueTask<StoredObject?> GetInfoAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new StoredObject(name, properties.ContentLength, properties.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode is null or "BlobNotFound")
        {
            return null; // a HEAD answer has no body, so no error code either
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"read the properties of '{name}'", e);
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CloudObjectNames.ValidatePrefix(prefix);
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _options.Prefix + prefix }, cancellationToken).AsPages();
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Page<BlobItem> page;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }

                page = enumerator.Current;
            }
            catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
            {
                throw _errors.Failure($"list the objects under '{prefix}'", e);
            }

            foreach (var item in page.Values)
            {
                yield return new StoredObject(
                    item.Name[_options.Prefix.Length..], item.Properties.ContentLength ?? 0, item.Properties.LastModified ?? DateTimeOffset.MinValue);
            }
        }
    }

    public async ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        try
        {
            return await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"delete '{name}'", e);
        }
    }

    /// <summary>
    /// Sets the blob's time-based retention (an unlocked immutability policy) until <paramref name="retainUntil"/>,
    /// never shortening one already there. It needs a container with version-level immutability; where the
    /// container (or the service) has none, the answer is <see cref="LockOutcome.NotEnabled"/>.
    /// </summary>
    public async ValueTask<LockOutcome> LockAsync(string name, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        if (!await ExistsAsync(name, cancellationToken))
        {
            return LockOutcome.NotFound;
        }

        try
        {
            var current = await GetLockAsync(name, cancellationToken);
            if (current is { } until && until >= retainUntil)
            {
                return LockOutcome.Locked;
            }

            await blob.SetImmutabilityPolicyAsync(new BlobImmutabilityPolicy { ExpiresOn = retainUntil, PolicyMode = BlobImmutabilityPolicyMode.Unlocked }, cancellationToken: cancellationToken);
            return LockOutcome.Locked;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return LockOutcome.NotFound;
        }
        catch (RequestFailedException e) when (e.Status is 400 or 409 or 501)
        {
            return LockOutcome.NotEnabled; // no version-level immutability on this container (or in this service)
        }
    }

    public async ValueTask<DateTimeOffset?> GetLockAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Blob(name).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.ImmutabilityPolicy?.ExpiresOn;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (Exception e) when (AzureBlobErrors.IsServiceFailure(e))
        {
            throw _errors.Failure($"read the lock of '{name}'", e);
        }
    }

    /// <summary>Blob storage has no capacity to report: an account grows as it is used, so both are unknown.</summary>
    public ValueTask<StorageSpace> GetSpaceAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new StorageSpace(null, null));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private BlockBlobClient Blob(string name)
    {
        CloudObjectNames.Validate(name);
        return _container.GetBlockBlobClient(_options.Prefix + name);
    }

    /// <summary>The service client, retrying transient failures with exponential back-off as the options say.</summary>
    private static BlobServiceClient Connect(CloudStoreOptions options)
    {
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = options.Retries;
        clientOptions.Retry.Delay = TimeSpan.FromSeconds(0.5);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        clientOptions.Retry.NetworkTimeout = NetworkTimeout(options);
        clientOptions.AddPolicy(new AzureBlobContentMd5Policy(), HttpPipelinePosition.PerCall);
        try
        {
            return new BlobServiceClient(options.ConnectionString, clientOptions);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // the message of the client would quote the connection string, key and all
            throw new InvalidOperationException(
                $"the Azure connection string for container '{options.Container}' is not valid: it needs AccountName and AccountKey (or a SAS) and a blob endpoint");
        }
    }

    /// <summary>
    /// How long one request may go without finishing: long enough for a whole block at the upload rate limit, as
    /// a throttled block takes that long to send.
    /// </summary>
    private static TimeSpan NetworkTimeout(CloudStoreOptions options)
    {
        var throttled = options.MaxUploadBytesPerSecond > 0 ? TimeSpan.FromSeconds(2.0 * options.BlockBytes / options.MaxUploadBytesPerSecond) : TimeSpan.Zero;
        return TimeSpan.FromSeconds(100) + throttled;
    }
}

using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Microsoft.Extensions.Logging;
using ByteRange = Dpm.Contracts.ByteRange;

[assembly: InternalsVisibleTo("Storage.Cloud.Tests")]

namespace Dpm.Storage.Cloud;

/// <summary>
/// An object store in an S3 bucket: object "data/ab/cdef" is the key "&lt;prefix&gt;data/ab/cdef". A small object is
/// one PutObject; a large one (or one of unknown length) is a multipart upload whose parts stay invisible until it
/// is completed, and which is aborted when it fails or is cancelled, so readers see a whole object or none.
/// </summary>
/// <remarks>
/// Create-only: a put first asks whether the key exists (HEAD) and then sends <c>If-None-Match: *</c>, which S3
/// itself honours on PutObject and CompleteMultipartUpload (a second writer gets 412 and the put is reported as
/// <see cref="PutOutcome.AlreadyExists"/>). A server that ignores the header (s3rver does) leaves only the HEAD:
/// two writers racing on one name may then both store, the later one replacing the earlier. The storage pool names
/// objects by their content, so both write the same bytes and nothing is lost either way.
/// </remarks>
internal sealed class S3ObjectStore : IObjectStore, IImmutabilityLock
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly int _blockBytes;
    private readonly int _parallelism;
    private readonly UploadThrottle _throttle;
    private readonly ILogger _logger;

    private S3ObjectStore(AmazonS3Client client, CloudStoreOptions options, string endpoint, ILogger logger, TimeProvider time)
    {
        _client = client;
        _bucket = options.Container;
        _prefix = options.Prefix;
        _blockBytes = options.BlockBytes;
        _parallelism = options.Parallelism;
        _throttle = new UploadThrottle(options.MaxUploadBytesPerSecond, time);
        _logger = logger;
        Endpoint = endpoint;
    }

    public string Location => $"s3:{Endpoint}/{_bucket}/{_prefix}";

    /// <summary>The service's host (and port), for messages.</summary>
    public string Endpoint { get; }

    /// <summary>How many keys one list request asks for (S3 gives at most 1000).</summary>
    internal int ListPageSize { get; init; } = 1000;

    /// <summary>Opens the store, creating the bucket when it is missing and allowed; fails with a clear message otherwise.</summary>
    public static async Task<IObjectStore> OpenAsync(CloudStoreOptions options, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = Create(options, logger, time);
        try
        {
            await store.EnsureBucketAsync(options.CreateContainer, cancellationToken);
            S3StoreLog.Opened(logger, store.Location, options.BlockBytes, options.Parallelism, options.Retries);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>A store on <paramref name="options"/>, without touching the service yet.</summary>
    internal static S3ObjectStore Create(CloudStoreOptions options, ILogger logger, TimeProvider time, int listPageSize = 1000)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,

            // Checksums only where the API requires them: S3-compatible servers (s3rver) don't understand the
            // trailing checksums of aws-chunked bodies and would store the framing as content. Parts carry a
            // Content-MD5 instead, and every ETag is checked against the MD5 of what was sent.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,

            // Transient failures (connection resets, 500, 503 SlowDown) are tried again with exponential back-off.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.Retries,
            Timeout = TimeSpan.FromMinutes(5),
        };
        string endpoint;
        if (options.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = options.Region;
            endpoint = new Uri(url).Authority;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
            endpoint = $"s3.{options.Region}.amazonaws.com";
        }

        var client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        return new S3ObjectStore(client, options, endpoint, logger, time) { ListPageSize = listPageSize };
    }

    public async ValueTask<PutOutcome> PutAsync(string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        ArgumentNullException.ThrowIfNull(content);
        cancellationToken.ThrowIfCancellationRequested();
        if (await HeadAsync(key, cancellationToken) is not null)
        {
            return PutOutcome.AlreadyExists;
        }

        long? length = content.CanSeek ? Math.Max(0, content.Length - content.Position) : null;
        var first = ArrayPool<byte>.Shared.Rent(_blockBytes);
        var handedOver = false;
        try
        {
            var read = await FillAsync(content, first.AsMemory(0, _blockBytes), cancellationToken);
            if (read < _blockBytes || length == _blockBytes)
            {
                return await PutSingleAsync(name, key, first, read, progress, cancellationToken);
            }

            handedOver = true; // the multipart upload returns it
            return await PutMultipartAsync(name, key, content, first, length, progress, cancellationToken);
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    public async ValueTask<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return new S3ReadStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't read '{name}'", e);
        }
    }

    /// <remarks>
    /// A range that starts at or past the end of an existing object gives an empty stream (the range cut short at
    /// the end, as on disk); only a missing object gives null.
    /// </remarks>
    public async ValueTask<Stream?> OpenReadAsync(string name, ByteRange range, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        ArgumentOutOfRangeException.ThrowIfNegative(range.Offset, nameof(range));
        ArgumentOutOfRangeException.ThrowIfNegative(range.Length, nameof(range));
        if (range.Length == 0)
        {
            return await HeadAsync(key, cancellationToken) is null ? null : new MemoryStream([], writable: false);
        }

        try
        {
            var request = new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new Amazon.S3.Model.ByteRange(range.Offset, range.End - 1) };
            var response = await _client.GetObjectAsync(request, cancellationToken);
            return new S3ReadStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return new MemoryStream([], writable: false); // the object is there (S3 answers 404 first) but shorter
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't read '{name}'", e);
        }
    }

    public async ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        await HeadAsync(KeyOf(name), cancellationToken) is not null;

    public async ValueTask<StoredObject?> GetInfoAsync(string name, CancellationToken cancellationToken) =>
        await HeadAsync(KeyOf(name), cancellationToken) is { } head
            ? new StoredObject(name, head.ContentLength, ToOffset(head.LastModified))
            : null;

    /// <remarks>
    /// Pages with ListObjects (version 1) from the last key seen: every S3 service has it, while version 2's
    /// continuation tokens are opaque and some S3-compatible servers can't make them (s3rver on current Node fails).
    /// </remarks>
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CloudObjectNames.ValidatePrefix(prefix);
        var request = new ListObjectsRequest { BucketName = _bucket, Prefix = _prefix + prefix, MaxKeys = ListPageSize };
        while (true)
        {
            ListObjectsResponse page;
            try
            {
                page = await _client.ListObjectsAsync(request, cancellationToken);
            }
            catch (AmazonServiceException e)
            {
                throw Failure($"can't list the objects under '{prefix}'", e);
            }

            var items = page.S3Objects ?? [];
            foreach (var item in items)
            {
                yield return new StoredObject(item.Key[_prefix.Length..], item.Size ?? 0, ToOffset(item.LastModified));
            }

            if (page.IsTruncated != true || items.Count == 0)
            {
                yield break;
            }

            request.Marker = items[^1].Key;
        }
    }

    /// <remarks>S3 deletes are idempotent, so the store asks first; of two deleters racing, both may see true.</remarks>
    public async ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        if (await HeadAsync(key, cancellationToken) is null)
        {
            return false;
        }

        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't delete '{name}'", e);
        }
    }

    /// <summary>
    /// Sets the object's S3 Object Lock retention (governance mode) until <paramref name="retainUntil"/>, never
    /// shortening one already there. It needs a bucket made with Object Lock; where the bucket (or the service)
    /// has none, the answer is <see cref="LockOutcome.NotEnabled"/>.
    /// </summary>
    public async ValueTask<LockOutcome> LockAsync(string name, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        var key = KeyOf(name);
        if (await HeadAsync(key, cancellationToken) is null)
        {
            return LockOutcome.NotFound;
        }

        try
        {
            if (await GetLockAsync(name, cancellationToken) is { } until && until >= retainUntil)
            {
                return LockOutcome.Locked;
            }

            await _client.PutObjectRetentionAsync(
                new PutObjectRetentionRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    Retention = new ObjectLockRetention { Mode = ObjectLockRetentionMode.Governance, RetainUntilDate = retainUntil.UtcDateTime },
                },
                cancellationToken);
            return LockOutcome.Locked;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
        {
            return LockOutcome.NotEnabled; // a bucket without Object Lock (InvalidRequest), or a service without it
        }
    }

    public async ValueTask<DateTimeOffset?> GetLockAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = _bucket, Key = KeyOf(name) }, cancellationToken);
            return response.Retention?.RetainUntilDate is { } until ? new DateTimeOffset(until.ToUniversalTime(), TimeSpan.Zero) : null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
        {
            return null; // no such object, no retention on it, or no Object Lock here
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't read the lock of '{name}'", e);
        }
    }

    /// <summary>S3 has no capacity to report: a bucket grows without bound (quotas, if any, are billing's business).</summary>
    public ValueTask<StorageSpace> GetSpaceAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new StorageSpace(null, null));
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private static DateTimeOffset ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.MinValue;

    private static bool IsPreconditionFailed(AmazonS3Exception e) => e.StatusCode == HttpStatusCode.PreconditionFailed;

    private string KeyOf(string name)
    {
        CloudObjectNames.Validate(name);
        return _prefix + name;
    }

    private async Task EnsureBucketAsync(bool create, CancellationToken cancellationToken)
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _bucket }, cancellationToken);
            return;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            if (!create)
            {
                throw new InvalidOperationException($"the S3 bucket '{_bucket}' does not exist at {Endpoint}; create it, or let the store create it (CreateContainer)", e);
            }
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new InvalidOperationException($"the S3 service at {Endpoint} refused access to the bucket '{_bucket}' ({(int)e.StatusCode}): check the access key and secret key and the bucket's policy", e);
        }
        catch (AmazonServiceException e)
        {
            throw Failure("can't open the bucket", e); // a busy (503) or failing service, after the retries
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException)
        {
            throw new IOException($"can't reach the S3 service at {Endpoint} to open the bucket '{_bucket}': {e.Message}", e);
        }

        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, cancellationToken);
            S3StoreLog.BucketCreated(_logger, _bucket, Endpoint);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // created meanwhile by someone else using the store: that is what was wanted
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException)
        {
            throw new IOException($"can't create the S3 bucket '{_bucket}' at {Endpoint}: {e.Message}", e);
        }
    }

    private async Task<GetObjectMetadataResponse?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't look up '{key[_prefix.Length..]}'", e);
        }
    }

    private async Task<PutOutcome> PutSingleAsync(string name, string key, byte[] buffer, int length, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var md5 = ContentMd5(buffer.AsSpan(0, length));
        await using var body = new S3UploadStream(buffer, length, _throttle, cancellationToken);
        PutObjectResponse response;
        try
        {
            response = await _client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    MD5Digest = Convert.ToBase64String(md5),
                    UseChunkEncoding = false,
                    IfNoneMatch = "*",
                },
                cancellationToken);
        }
        catch (AmazonS3Exception e) when (IsPreconditionFailed(e))
        {
            return PutOutcome.AlreadyExists;
        }
        catch (AmazonServiceException e)
        {
            throw Failure($"can't store '{name}'", e);
        }

        if (!ETagMatches(response.ETag, md5))
        {
            S3StoreLog.ETagMismatch(_logger, name, response.ETag ?? "");
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, CancellationToken.None);
            throw new IOException($"the S3 service at {Endpoint} stored '{name}' in bucket '{_bucket}' with a different checksum than was sent; it was removed");
        }

        progress?.Report(new ProgressReport(length, length));
        return PutOutcome.Stored;
    }

    private async Task<PutOutcome> PutMultipartAsync(string name, string key, Stream content, byte[] first, long? length, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        string uploadId;
        try
        {
            uploadId = (await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key }, cancellationToken)).UploadId;
        }
        catch (AmazonServiceException e)
        {
            ArrayPool<byte>.Shared.Return(first);
            throw Failure($"can't start uploading '{name}'", e);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken); // one failed part stops the others
        using var slots = new SemaphoreSlim(_parallelism);
        var uploads = new List<Task<PartETag>>();
        long stored = 0;
        try
        {
            var buffer = first;
            var filled = _blockBytes;
            for (var number = 1; filled > 0; number++)
            {
                await slots.WaitAsync(failed.Token);
                var part = buffer;
                var partLength = filled;
                var partNumber = number;
                uploads.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var tag = await UploadPartAsync(name, key, uploadId, partNumber, part, partLength, failed.Token);
                            progress?.Report(new ProgressReport(Interlocked.Add(ref stored, partLength), length));
                            return tag;
                        }
                        catch
                        {
                            await failed.CancelAsync();
                            throw;
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(part);
                            slots.Release();
                        }
                    },
                    CancellationToken.None));

                buffer = ArrayPool<byte>.Shared.Rent(_blockBytes);
                filled = await FillAsync(content, buffer.AsMemory(0, _blockBytes), failed.Token);
                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            var parts = await Task.WhenAll(uploads);
            cancellationToken.ThrowIfCancellationRequested();
            var complete = new CompleteMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartETags = [.. parts], IfNoneMatch = "*" };
            try
            {
                await _client.CompleteMultipartUploadAsync(complete, CancellationToken.None); // the commit: no longer cancelled
            }
            catch (AmazonS3Exception e) when (IsPreconditionFailed(e))
            {
                await AbortAsync(name, key, uploadId, "an object of that name was stored meanwhile");
                return PutOutcome.AlreadyExists;
            }

            return PutOutcome.Stored;
        }
        catch (Exception e)
        {
            await failed.CancelAsync();
            await Task.WhenAll(uploads.Select(u => u.ContinueWith(static _ => { }, TaskScheduler.Default)));

            // a part that failed cancels the rest: report its failure, not the cancellation it caused
            var cause = cancellationToken.IsCancellationRequested || e is not OperationCanceledException
                ? e
                : uploads.Select(u => u.Exception?.InnerException).FirstOrDefault(x => x is not null and not OperationCanceledException) ?? e;
            await AbortAsync(name, key, uploadId, cause is OperationCanceledException ? "cancelled" : cause.Message);
            if (cause is AmazonServiceException service)
            {
                throw Failure($"can't upload '{name}'", service);
            }

            if (cause == e)
            {
                throw;
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
    }

    private static async Task<int> FillAsync(Stream content, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await content.ReadAsync(buffer[filled..], cancellationToken)) > 0)
        {
            filled += read;
        }

        return filled;
    }

    private async Task<PartETag> UploadPartAsync(string name, string key, string uploadId, int number, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        var md5 = ContentMd5(buffer.AsSpan(0, length));
        await using var body = new S3UploadStream(buffer, length, _throttle, cancellationToken);
        var response = await _client.UploadPartAsync(
            new UploadPartRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                InputStream = body,
                PartSize = length,
                MD5Digest = Convert.ToBase64String(md5),
                UseChunkEncoding = false,
            },
            cancellationToken);
        if (!ETagMatches(response.ETag, md5))
        {
            S3StoreLog.ETagMismatch(_logger, $"{name} (part {number})", response.ETag ?? "");
            throw new IOException($"the S3 service at {Endpoint} stored part {number} of '{name}' in bucket '{_bucket}' with a different checksum than was sent");
        }

        return new PartETag(number, response.ETag);
    }

    private async Task AbortAsync(string name, string key, string uploadId, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // not the caller's token: it may be cancelled
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId }, timeout.Token);
            S3StoreLog.UploadAborted(_logger, uploadId, name, reason);
        }
        catch (Exception e) when (e is AmazonServiceException or OperationCanceledException or HttpRequestException or IOException)
        {
            S3StoreLog.AbortFailed(_logger, uploadId, name, e.Message);
        }
    }

    /// <summary>The Content-MD5 S3 checks a body against: a guard against damage on the way, not a security measure.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "S3 defines Content-MD5 and ETags as MD5; they detect transport damage, not tampering")]
    private static byte[] ContentMd5(ReadOnlySpan<byte> body) => MD5.HashData(body);

    /// <summary>Whether an ETag is the MD5 of the bytes sent; an ETag that isn't an MD5 (encrypted with KMS, say) can't be checked.</summary>
    private static bool ETagMatches(string? eTag, byte[] md5)
    {
        var text = eTag?.Trim('"');
        return text is not { Length: 32 } || !text.All(Uri.IsHexDigit) || text.Equals(Convert.ToHexString(md5), StringComparison.OrdinalIgnoreCase);
    }

    private IOException Failure(string what, AmazonServiceException e) =>
        new($"{what} in the S3 bucket '{_bucket}' at {Endpoint}: the service answered {(int)e.StatusCode} {e.ErrorCode} (after the retries): {e.Message}", e);
}

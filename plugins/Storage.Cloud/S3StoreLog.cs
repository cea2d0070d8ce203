using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

internal static partial class S3StoreLog
{
    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "S3 store opened at {Location} (parts of {BlockBytes} bytes x{Parallelism}, {Retries} retries)")]
    public static partial void Opened(ILogger logger, string location, int blockBytes, int parallelism, int retries);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Created the S3 bucket {Bucket} at {Endpoint}")]
    public static partial void BucketCreated(ILogger logger, string bucket, string endpoint);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Multipart upload {UploadId} of {Name} aborted: {Reason}")]
    public static partial void UploadAborted(ILogger logger, string uploadId, string name, string reason);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "Could not abort multipart upload {UploadId} of {Name} (its parts stay invisible until the bucket's lifecycle rule removes them): {Reason}")]
    public static partial void AbortFailed(ILogger logger, string uploadId, string name, string reason);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Error, Message = "The S3 service stored {Name} with ETag {ETag}, not the MD5 of what was sent; the object was removed")]
    public static partial void ETagMismatch(ILogger logger, string name, string eTag);
}

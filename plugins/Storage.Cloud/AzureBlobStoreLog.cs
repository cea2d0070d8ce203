using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

internal static partial class AzureBlobStoreLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Azure Blob store opened at {Location} ({Settings})")]
    public static partial void Opened(ILogger logger, string location, CloudStoreOptions settings);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Azure container {Container} created in account {Account}")]
    public static partial void ContainerCreated(ILogger logger, string container, string account);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "{Name} committed in {Location} from {Blocks} blocks ({Bytes} bytes)")]
    public static partial void BlocksCommitted(ILogger logger, string name, string location, int blocks, long bytes);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Upload of {Name} to {Location} stopped after {Bytes} bytes; its staged blocks stay invisible and the service discards them: {Reason}")]
    public static partial void UploadAbandoned(ILogger logger, string name, string location, long bytes, string reason);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Error, Message = "Azure Blob Storage failed at {Location}: {Reason}")]
    public static partial void Failed(ILogger logger, string location, string reason);
}

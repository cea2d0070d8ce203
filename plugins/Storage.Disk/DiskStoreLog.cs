using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Disk;

internal static partial class DiskStoreLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Disk store opened at {Root} (file system mounted at {MountPoint}, reserve {ReserveBytes} bytes)")]
    public static partial void Opened(ILogger logger, string root, string mountPoint, long reserveBytes);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Not enough space in {Root} for {Name}: need {NeedBytes} bytes, {FreeBytes} free (reserve {ReserveBytes})")]
    public static partial void NotEnoughSpace(ILogger logger, string root, string name, long needBytes, long freeBytes, long reserveBytes);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "The disk holding {Root} is full; {Name} was not stored")]
    public static partial void DiskFull(ILogger logger, string root, string name);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Could not remove the temporary file {Path}: {Reason}")]
    public static partial void TempFileLeft(ILogger logger, string path, string reason);
}

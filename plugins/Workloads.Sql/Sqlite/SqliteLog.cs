using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Sql.Sqlite;

internal static partial class SqliteLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "SQLite database {Database}: online backup of {Bytes} bytes taken")]
    public static partial void BackupTaken(ILogger logger, string database, long bytes);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "SQLite database {Database}: recovered to {Destination}{Safety}")]
    public static partial void Recovered(ILogger logger, string database, string destination, string safety);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "SQLite: the backup copy {Copy} could not be deleted: {Reason}")]
    public static partial void CopyNotDeleted(ILogger logger, string copy, string reason);
}

using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Sql.PostgreSql;

internal static partial class PgLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "PostgreSQL cluster '{Cluster}': base backup from WAL segment {Start} to {Stop}")]
    public static partial void BaseBackup(ILogger logger, string cluster, string start, string stop);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "PostgreSQL cluster '{Cluster}': a base backup was abandoned before it was stopped; the cluster ended it with the connection")]
    public static partial void BackupAbandoned(ILogger logger, string cluster);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "PostgreSQL cluster '{Cluster}': recovered into {Directory} ({How})")]
    public static partial void Recovered(ILogger logger, string cluster, string directory, string how);
}

using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>
/// Protecting one PostgreSQL cluster: an express full is a base backup with the non-exclusive API on one held
/// connection (the data directory's files, then the backup label and the WAL from start to stop); an
/// incremental synchronization closes the current WAL segment and ships the segments archived since the last
/// recovery point. The WAL comes from the cluster's archive (<c>archive_command</c> copies it there; the agent
/// reads it), which PostgreSQL keeps complete on its own while the agent is away.
/// </summary>
internal sealed class PgProtectionSession(PostgreSqlCluster cluster, DataSource dataSource, TimeProvider time, ILogger logger) : IProtectionSession, IIncrementalSynchronization
{
    private NpgsqlConnection? _connection;
    private string _dataDirectory = "";

    public DataSource DataSource => dataSource;

    public async ValueTask PrepareAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken);
        _dataDirectory = await connection.ScalarAsync<string>("SHOW data_directory", cancellationToken);
        if (!Directory.Exists(_dataDirectory))
        {
            throw new InvalidOperationException($"the data directory of the {cluster.Describe()}, {_dataDirectory}, can't be seen from here: the agent must run on the cluster's computer");
        }
    }

    public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(FreezeOutcome.NotSupported("a PostgreSQL base backup doesn't stop writers: the WAL written during it makes the copy consistent"));

    public async ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken);
        var takenAt = time.GetUtcNow();
        string start;
        try
        {
            start = await connection.ScalarAsync<string>("SELECT pg_walfile_name(pg_backup_start(@label, true))", cancellationToken, ("label", $"DpmPlugins {dataSource.Id} {takenAt:u}"));
        }
        catch (PostgresException ex)
        {
            throw new InvalidOperationException($"the {cluster.Describe()} refused to start a base backup: {PgConnection.Reason(ex)}", ex);
        }

        _connection = null; // the backup owns the connection now: pg_backup_stop must run on it
        return new PgBaseBackup(cluster, connection, _dataDirectory, WalSegment.Parse(start), takenAt, logger);
    }

    public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<ILogShipment> BeginLogShipmentAsync(ChangeToken since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(since);
        var connection = await ConnectAsync(cancellationToken);
        if (!PgTokens.TryRead(since, out var last))
        {
            return PgLogShipment.Gap(since, $"the previous recovery point's position '{since.Value}' is not a WAL segment");
        }

        var closed = WalSegment.Parse(await connection.ScalarAsync<string>("SELECT pg_walfile_name(pg_switch_wal())", cancellationToken));
        await WaitForArchiveAsync(connection, closed, cancellationToken);
        return await PgLogShipment.CollectAsync(cluster, last, closed, cancellationToken);
    }

    /// <summary>Waits until the archiver has delivered <paramref name="segment"/> (PostgreSQL counts it archived only once archive_command succeeded).</summary>
    private async Task WaitForArchiveAsync(NpgsqlConnection connection, WalSegment segment, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp();
        while (true)
        {
            await using (var command = new NpgsqlCommand("SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), last_failed_time FROM pg_stat_archiver", connection))
            await using (var row = await command.ExecuteReaderAsync(cancellationToken))
            {
                await row.ReadAsync(cancellationToken);
                var archived = row.GetString(0);
                if (archived.Length >= 24 && string.CompareOrdinal(archived[..24], segment.Name) >= 0)
                {
                    return;
                }

                if (time.GetElapsedTime(deadline) > cluster.ArchiveWait)
                {
                    var failed = row.GetString(1);
                    throw new InvalidOperationException(
                        $"the {cluster.Describe()} didn't archive WAL segment {segment} within {cluster.ArchiveWait.TotalSeconds:0} s" +
                        (failed.Length > 0 ? $" (archive_command last failed on {failed})" : "") + $": check archive_mode and archive_command, which must copy segments to {cluster.ArchiveDirectory}");
                }
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            _connection = await PgConnection.OpenAsync(cluster, cancellationToken);
            var mode = await _connection.ScalarAsync<string>("SHOW archive_mode", cancellationToken);
            if (mode is not ("on" or "always"))
            {
                throw new InvalidOperationException($"the {cluster.Describe()} doesn't archive its WAL (archive_mode is {mode}): set archive_mode = on and an archive_command that copies segments to {cluster.ArchiveDirectory}, then restart it");
            }

            if (!Directory.Exists(cluster.ArchiveDirectory))
            {
                throw new InvalidOperationException($"the WAL archive directory {cluster.ArchiveDirectory} of the {cluster.Describe()} is missing: archive_command must copy segments there");
            }
        }

        return _connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}

/// <summary>The position a recovery point of a cluster reached: the last WAL segment it holds.</summary>
internal static class PgTokens
{
    private const string Prefix = "pgsql:";

    public static ChangeToken Of(WalSegment segment) => new(Prefix + segment.Name);

    public static bool TryRead(ChangeToken token, out WalSegment segment)
    {
        segment = default;
        return token.Value.StartsWith(Prefix, StringComparison.Ordinal) && WalSegment.TryParse(token.Value[Prefix.Length..], out segment);
    }
}

/// <summary>
/// A base backup in progress: the live data directory (torn pages are repaired by replaying the WAL, as
/// full_page_writes guarantees), then, once every file was read, pg_backup_stop on the same connection gives
/// the backup label, and the WAL from start to stop completes the copy.
/// </summary>
internal sealed class PgBaseBackup(PostgreSqlCluster cluster, NpgsqlConnection connection, string dataDirectory, WalSegment start, DateTimeOffset takenAt, ILogger logger)
    : IDataSourceSnapshot, ISnapshotCompletion
{
    /// <summary>Files and folders a base backup leaves out (PostgreSQL's own list: they are rebuilt at start or hold nothing lasting).</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        "postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "backup_manifest", "pg_internal.init", "current_logfiles",
    };

    private static readonly HashSet<string> EmptiedFolders = new(StringComparer.Ordinal)
    {
        "pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans",
    };

    private readonly Dictionary<string, byte[]> _generated = new(StringComparer.Ordinal);
    private bool _stopped;

    public SnapshotConsistency Consistency => SnapshotConsistency.ApplicationConsistent;

    public DateTimeOffset TakenAt => takenAt;

    /// <summary>The WAL from <c>start</c> on is in this point; the next incremental ships what comes after.</summary>
    public ChangeToken Token => PgTokens.Of(start);

    public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ChangeEnumeration { IsFull = true, FullEnumerationReason = since is null ? null : "a base backup lists every file of the data directory", Changes = ListAsync(cancellationToken) });

    private async IAsyncEnumerable<ItemChange> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();
        yield return new ItemChange(new ProtectedItem { Path = "data", Kind = ProtectedItemKind.Directory }, ChangeKind.Added);
        var pending = new Stack<string>([dataDirectory]);
        while (pending.TryPop(out var folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            }
            catch (DirectoryNotFoundException)
            {
                continue; // a database dropped while the backup ran: its WAL says so
            }

            foreach (var entry in entries)
            {
                var relative = Path.GetRelativePath(dataDirectory, entry.FullName).Replace('\\', '/');
                if (entry is DirectoryInfo)
                {
                    yield return new ItemChange(new ProtectedItem { Path = "data/" + relative, Kind = ProtectedItemKind.Directory }, ChangeKind.Added);
                    if (!EmptiedFolders.Contains(relative))
                    {
                        pending.Push(entry.FullName);
                    }
                }
                else if (!Skipped.Contains(entry.Name) && !entry.Name.StartsWith("pgsql_tmp", StringComparison.Ordinal) && entry is FileInfo file)
                {
                    yield return new ItemChange(new ProtectedItem { Path = "data/" + relative, Kind = ProtectedItemKind.File, Length = file.Length, LastWriteTime = file.LastWriteTimeUtc }, ChangeKind.Added);
                }
            }
        }
    }

    public ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        cancellationToken.ThrowIfCancellationRequested();
        if (item.Kind is not (ProtectedItemKind.File or ProtectedItemKind.Log))
        {
            return ValueTask.FromResult<Stream?>(Stream.Null); // folders (data, wal and those below data) have no data
        }

        if (_generated.TryGetValue(item.Path, out var bytes))
        {
            return ValueTask.FromResult<Stream?>(new MemoryStream(bytes, writable: false));
        }

        var file = item.Path.StartsWith("wal/", StringComparison.Ordinal)
            ? Path.Combine(cluster.ArchiveDirectory, item.Path[4..])
            : Path.Combine(dataDirectory, item.Path["data/".Length..]);
        try
        {
            return ValueTask.FromResult<Stream?>(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ValueTask.FromResult<Stream?>(null); // dropped while the backup ran: replaying the WAL drops it too
        }
    }

    /// <summary>Ends the backup: the label, the tablespace map, the cluster's settings for recovery, and the WAL from start to stop.</summary>
    public async IAsyncEnumerable<ProtectedItem> CompleteAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string label, map, stop;
        await using (var command = new NpgsqlCommand("SELECT labelfile, coalesce(spcmapfile, ''), pg_walfile_name(lsn) FROM pg_backup_stop(true)", connection))
        await using (var row = await command.ExecuteReaderAsync(cancellationToken))
        {
            await row.ReadAsync(cancellationToken);
            (label, map, stop) = (row.GetString(0), row.GetString(1), row.GetString(2));
        }

        _stopped = true;
        var port = await connection.ScalarAsync<string>("SHOW port", cancellationToken);
        yield return Generated("data/backup_label", label);
        if (map.Length > 0)
        {
            yield return Generated("data/tablespace_map", map);
        }

        yield return Generated("cluster.conf", $"data_directory={dataDirectory}\nport={port}\n");
        yield return new ProtectedItem { Path = "wal", Kind = ProtectedItemKind.Directory };
        var last = WalSegment.Parse(stop);
        for (var segment = start; segment.CompareTo(last) <= 0; segment = segment.Next())
        {
            var file = new FileInfo(Path.Combine(cluster.ArchiveDirectory, segment.Name));
            if (!file.Exists)
            {
                throw new IOException($"WAL segment {segment}, which the base backup needs, is not in the archive {cluster.ArchiveDirectory}");
            }

            yield return new ProtectedItem { Path = "wal/" + segment.Name, Kind = ProtectedItemKind.Log, Length = file.Length, LastWriteTime = file.LastWriteTimeUtc };
        }

        PgLog.BaseBackup(logger, cluster.Name, start.Name, stop);
    }

    private ProtectedItem Generated(string path, string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        _generated[path] = bytes;
        return new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = bytes.Length, LastWriteTime = takenAt };
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            PgLog.BackupAbandoned(logger, cluster.Name); // closing the session ends a non-exclusive backup
        }

        await connection.DisposeAsync();
    }
}

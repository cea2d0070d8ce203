using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Sql.Sqlite;

/// <summary>
/// Protecting one SQLite database: the snapshot is an online backup (SQLite's backup API, in one step: one read
/// transaction, so the copy is the database as one committed transaction left it) into a file in the plugin's
/// state folder, while writers go on. Every synchronization is an express full of that one file; the storage
/// pool keeps only the chunks that changed.
/// </summary>
internal sealed class SqliteProtectionSession(string database, DataSource dataSource, string workFolder, TimeProvider time, ILogger logger) : IProtectionSession
{
    /// <summary>How long a synchronization waits for a database that other connections keep locked.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

    private SqliteConnection? _connection;

    public DataSource DataSource => dataSource;

    public async ValueTask PrepareAsync(CancellationToken cancellationToken) =>
        _connection = await Task.Run(() => SqliteFiles.OpenExisting(database), cancellationToken);

    public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(FreezeOutcome.NotSupported("SQLite's online backup copies a transactionally consistent database while writers go on: nothing needs freezing"));

    public async ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        var source = _connection ?? throw new InvalidOperationException("the session must be prepared before the snapshot");
        Directory.CreateDirectory(workFolder);
        var copy = Path.Combine(workFolder, $"{Guid.NewGuid():N}.db");
        DateTimeOffset takenAt;
        try
        {
            takenAt = await Task.Run(() => Backup(source, copy, cancellationToken), cancellationToken);
        }
        catch (SqliteException ex)
        {
            SqliteFiles.Delete(copy);
            throw new InvalidOperationException(SqliteFiles.IsLockedByOthers(ex)
                ? $"the online backup of the SQLite database {database} failed: other connections kept it locked for {LockWait.TotalSeconds:0} s ({ex.Message})"
                : $"the online backup of the SQLite database {database} failed: {ex.Message}", ex);
        }
        catch
        {
            SqliteFiles.Delete(copy);
            throw;
        }

        var length = new FileInfo(copy).Length;
        SqliteLog.BackupTaken(logger, database, length);
        return new SqliteBackupCopy(Path.GetFileName(database), copy, length, takenAt, logger);
    }

    public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Copies the database into <paramref name="copy"/> in one backup step, and returns when the copy's read
    /// transaction began. In rollback-journal mode a writer that commits back to back leaves a reader only short
    /// gaps, which SQLite's own busy handler (sleeps growing to 100 ms) keeps missing: the read lock is asked for
    /// again every millisecond instead, for up to <see cref="LockWait"/>.
    /// </summary>
    private DateTimeOffset Backup(SqliteConnection source, string copy, CancellationToken cancellationToken)
    {
        using var destination = SqliteFiles.Open(copy, SqliteOpenMode.ReadWriteCreate);
        SqliteFiles.Execute(source, "PRAGMA busy_timeout = 0");
        var started = time.GetTimestamp();
        while (true)
        {
            var startedAt = time.GetUtcNow();
            try
            {
                source.BackupDatabase(destination);
                return startedAt;
            }
            catch (SqliteException ex) when (SqliteFiles.IsLockedByOthers(ex) && time.GetElapsedTime(started) < LockWait)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(1);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}

/// <summary>
/// The online backup copy of a database: one item named as the database file, served from the copy, which is
/// deleted when the snapshot is released.
/// </summary>
internal sealed class SqliteBackupCopy(string name, string copy, long length, DateTimeOffset takenAt, ILogger logger) : IDataSourceSnapshot
{
    public SnapshotConsistency Consistency => SnapshotConsistency.ApplicationConsistent;

    public DateTimeOffset TakenAt => takenAt;

    /// <summary>Every synchronization copies the whole database; the token only records when.</summary>
    public ChangeToken Token => new($"sqlite:backup@{takenAt.UtcTicks}");

    public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ChangeEnumeration { IsFull = true, FullEnumerationReason = since is null ? null : "an online backup copies the whole database", Changes = ListAsync(cancellationToken) });

    private async IAsyncEnumerable<ItemChange> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();

        // The write time is the backup's: the database file's own may not move when only its write-ahead log did,
        // and an item that looks unchanged would be taken from the previous recovery point unread.
        yield return new ItemChange(new ProtectedItem { Path = name, Kind = ProtectedItemKind.File, Length = length, LastWriteTime = takenAt }, ChangeKind.Added);
    }

    public ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        return ValueTask.FromResult<Stream?>(item.Path == name
            ? new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan)
            : null);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            SqliteFiles.Delete(copy);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SqliteLog.CopyNotDeleted(logger, copy, ex.Message);
        }

        return ValueTask.CompletedTask;
    }
}

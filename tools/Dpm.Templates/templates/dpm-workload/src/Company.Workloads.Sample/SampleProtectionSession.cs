using System.Globalization;
using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;

namespace Company.Workloads.Sample;

/// <summary>
/// Protecting work on one folder. The host calls prepare, freeze, take snapshot and thaw (always), reads the snapshot
/// and releases it. An application with writers flushes in <see cref="PrepareAsync"/> and holds them between
/// <see cref="FreezeAsync"/> and <see cref="ThawAsync"/>, for as short a time as it can.
/// </summary>
internal sealed class SampleProtectionSession(DataSource dataSource, string folder) : IProtectionSession
{
    public DataSource DataSource { get; } = dataSource;

    public ValueTask PrepareAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.CompletedTask;
    }

    public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(FreezeOutcome.NotSupported("the folder has no writer to freeze: items are read live and checked after reading"));
    }

    public ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IDataSourceSnapshot>(new SampleSnapshot(folder, DateTimeOffset.UtcNow));
    }

    public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The folder read live: every item is checked after it was read, so a file written meanwhile is never recorded as
/// good. A workload with a real point-in-time view (a database snapshot, a file system snapshot) says
/// <see cref="SnapshotConsistency.ApplicationConsistent"/> or <see cref="SnapshotConsistency.CrashConsistent"/> instead.
/// </summary>
internal sealed class SampleSnapshot(string folder, DateTimeOffset takenAt) : IDataSourceSnapshot
{
    public SnapshotConsistency Consistency => SnapshotConsistency.LiveWithTornReadDetection;

    public DateTimeOffset TakenAt { get; } = takenAt;

    public ChangeToken Token { get; } = new(takenAt.UtcTicks.ToString(CultureInfo.InvariantCulture));

    public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // Without a change journal every item is listed and the host compares them with the replica, reading only the
        // ones whose length or time differ. An application that knows its changes lists only those (IsFull = false).
        return ValueTask.FromResult(new ChangeEnumeration
        {
            IsFull = true,
            FullEnumerationReason = since is null ? null : "the sample workload keeps no change journal; the host compares every item with the replica",
            Changes = EnumerateAsync(cancellationToken),
        });
    }

    public ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return ValueTask.FromResult<Stream?>(new FileStream(FullPath(item.Path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return ValueTask.FromResult<Stream?>(null); // gone since it was listed
        }
    }

    public ValueTask<ItemReadCheck> ConfirmUnchangedAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var file = new FileInfo(FullPath(item.Path));
        var check = !file.Exists ? ItemReadCheck.Vanished
            : file.Length != item.Length || file.LastWriteTimeUtc != item.LastWriteTime?.UtcDateTime ? ItemReadCheck.ChangedWhileRead
            : ItemReadCheck.Unchanged;
        return ValueTask.FromResult(check);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async IAsyncEnumerable<ItemChange> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options).OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.GetRelativePath(folder, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
            var item = entry is FileInfo file
                ? new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = file.Length, LastWriteTime = file.LastWriteTimeUtc }
                : new ProtectedItem { Path = path, Kind = ProtectedItemKind.Directory, LastWriteTime = entry.LastWriteTimeUtc };
            yield return new ItemChange(item, ChangeKind.Added);
        }
    }

    private string FullPath(string itemPath) => Path.Combine(folder, itemPath);
}

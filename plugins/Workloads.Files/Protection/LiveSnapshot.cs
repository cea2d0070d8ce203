using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The "snapshot" of a file system that can't make one: the live tree, read through a handle on the root
/// folder taken at snapshot time. Every file is re-checked after it was read
/// (<see cref="ConfirmUnchangedAsync"/>), so a torn read is never recorded as good. With a change journal cut
/// before the snapshot, the changes since an earlier cut are the journal's changed paths, not a walk of the tree.
/// </summary>
internal sealed class LiveSnapshot(
    string root,
    SafeFileHandle rootDirectory,
    PathFilter filter,
    DateTimeOffset takenAt,
    AccountNames accounts,
    ILogger logger,
    JournalCut? journal = null,
    string? noJournalReason = null) : IDataSourceSnapshot
{
    private readonly ConcurrentDictionary<string, FileIdentity> _opened = new(StringComparer.Ordinal);
    private readonly Lock _parentGate = new();
    private SafeFileHandle? _parent;
    private string? _parentPath;

    public SnapshotConsistency Consistency => SnapshotConsistency.LiveWithTornReadDetection;

    public DateTimeOffset TakenAt { get; } = takenAt;

    public ChangeToken Token { get; } = ChangeTokens.Live(takenAt, journal?.Position);

    /// <summary>The change journal's position at this snapshot, if a journal runs.</summary>
    public JournalPosition? JournalPosition => journal?.Position;

    public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(rootDirectory.IsClosed, this);
        return ValueTask.FromResult(since is null ? Full(null) : FromJournal(since));
    }

    /// <summary>The changes since <paramref name="since"/> as the change journal tells them, or every item and why.</summary>
    private ChangeEnumeration FromJournal(ChangeToken since)
    {
        if (journal is null)
        {
            return Full(noJournalReason ?? "no change journal runs");
        }

        if (ChangeTokens.TryReadJournal(since) is not { } from)
        {
            return Full("the previous recovery point holds no change journal position");
        }

        if (from.Rules != journal.Position.Rules)
        {
            return Full("the include and exclude rules changed");
        }

        if (from.Epoch != journal.Position.Epoch)
        {
            return Full(
                journal.Journals.RetiredReason(from.Epoch) is { } lost
                    ? "the change journal was lost: " + lost
                    : "the change journal was started afresh since the previous synchronization (the agent or server restarted), so changes in between were not watched",
                replicaInconsistent: true);
        }

        if (journal.Journal.Query(from.Cut, journal.Position.Cut, out var problem) is not { } changed)
        {
            return Full(problem, replicaInconsistent: problem == journal.Journal.LostReason);
        }

        var walker = new TreeWalker(root, rootDirectory, filter, accounts, logger);
        var subtrees = changed.Where(c => c.Subtree).Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var direct = changed.Where(c => !UnderAny(c.Path, subtrees)).OrderBy(c => c.Path, StringComparer.Ordinal).ToList(); // below a whole folder: looked at with it
        var items = new ProtectedItem?[direct.Count];
        try
        {
            // Looking up a path is mostly waiting for the disk when the metadata isn't cached: many at a time, so it sees a queue.
            Parallel.For(0, direct.Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => items[i] = walker.DescribeOne(direct[i].Path));
        }
        catch (AggregateException ex)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }

        if (items.Any(item => item?.Metadata?.HardLinkKey is not null))
        {
            // A write through another name of the file is reported under that name only.
            return Full("a changed file has other hard links, and the journal sees a change only under the name it was made through");
        }

        FilesLog.JournalChanges(logger, root, changed.Count, subtrees.Count);
        return new ChangeEnumeration { IsFull = false, Changes = EnumerateJournalAsync(walker, [.. direct.Select((c, i) => (c.Path, c.Subtree, items[i]))], CancellationToken.None) };
    }

    private ChangeEnumeration Full(string? reason, bool replicaInconsistent = false) => new()
    {
        IsFull = true,
        FullEnumerationReason = reason,
        ReplicaInconsistent = replicaInconsistent,
        Changes = EnumerateAllAsync(CancellationToken.None),
    };

    private static bool UnderAny(string path, HashSet<string> folders)
    {
        for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
        {
            if (folders.Contains(path[..cut]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The journal's changes: a path whose whole folder changed (created, deleted, moved) is first reported
    /// gone, with everything below it, then listed again as it is now; any other path as it is now, or gone.
    /// </summary>
    private static async IAsyncEnumerable<ItemChange> EnumerateJournalAsync(
        TreeWalker walker, List<(string Path, bool Subtree, ProtectedItem? Item)> changes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var (path, subtree, item) in changes)
        {
            if ((subtree || item is null) && path.Length > 0)
            {
                yield return new ItemChange(new ProtectedItem { Path = path, Kind = item?.Kind ?? ProtectedItemKind.File }, ChangeKind.Deleted);
            }

            if (item is null)
            {
                continue;
            }

            if (subtree && item.Kind == ProtectedItemKind.Directory)
            {
                foreach (var below in walker.Walk(path, cancellationToken))
                {
                    yield return new ItemChange(below, ChangeKind.Added);
                }
            }
            else
            {
                yield return new ItemChange(item, ChangeKind.Modified);
            }
        }
    }

    public ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        cancellationToken.ThrowIfCancellationRequested();
        if (item.Kind is not (ProtectedItemKind.File or ProtectedItemKind.Log))
        {
            return ValueTask.FromResult<Stream?>(Stream.Null); // folders and links have no data
        }

        var segments = Split(item.Path);
        using var gate = _parentGate.EnterScope();
        var parent = OpenParent(segments, out var errno);
        var file = parent is null ? null : Posix.TryOpen(
            parent,
            segments[^1],
            NativeMethods.ORdOnly | NativeMethods.ONoFollow | NativeMethods.ONonBlock | NativeMethods.ONoCtty,
            0,
            out errno);
        if (file is null)
        {
            // gone, or replaced by a link, a folder or a device; anything else is an error, never "gone"
            return IsGone(errno) ? ValueTask.FromResult<Stream?>(null) : throw Posix.Error("open", Path.Combine(root, item.Path), errno);
        }

        if (!Posix.TryStat(file, "", out var stat, out errno) || !stat.IsRegular)
        {
            file.Dispose();
            return ValueTask.FromResult<Stream?>(null);
        }

        _opened[item.Path] = new FileIdentity(stat.DevMajor, stat.DevMinor, stat.Inode);
        _ = NativeMethods.PosixFadvise(Posix.Fd(file), 0, 0, NativeMethods.FadviseSequential);
        return ValueTask.FromResult<Stream?>(new FileStream(file, FileAccess.Read, bufferSize: 0, isAsync: false));
    }

    public ValueTask<ItemReadCheck> ConfirmUnchangedAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        cancellationToken.ThrowIfCancellationRequested();
        _opened.TryRemove(item.Path, out var opened);
        var segments = Split(item.Path);
        if (segments.Length == 0)
        {
            return ValueTask.FromResult(ItemReadCheck.Unchanged);
        }

        using var gate = _parentGate.EnterScope();
        var parent = OpenParent(segments, out var errno);
        if (parent is null || !Posix.TryStat(parent, segments[^1], out var stat, out errno))
        {
            return IsGone(errno) ? ValueTask.FromResult(ItemReadCheck.Vanished) : throw Posix.Error("statx", Path.Combine(root, item.Path), errno);
        }

        var isFile = item.Kind is ProtectedItemKind.File or ProtectedItemKind.Log;
        if (isFile != stat.IsRegular)
        {
            return ValueTask.FromResult(ItemReadCheck.Vanished);
        }

        var change =
            isFile && (long)stat.Size != item.Length ? $"its length is now {stat.Size}, it was {item.Length}"
            : Posix.ToTime(stat.ModifyTime) != item.LastWriteTime ? "its last write time changed"
            : item.Metadata?.ChangeTime is { } changeTime && Posix.ToTime(stat.ChangeTime) != changeTime ? "its status change time changed"
            : opened is not null && opened != new FileIdentity(stat.DevMajor, stat.DevMinor, stat.Inode) ? "it was replaced by another file"
            : null;
        if (change is null)
        {
            return ValueTask.FromResult(ItemReadCheck.Unchanged);
        }

        FilesLog.ChangedWhileRead(logger, new LogPath(item.Path), change);
        return ValueTask.FromResult(ItemReadCheck.ChangedWhileRead);
    }

    public ValueTask DisposeAsync()
    {
        _parent?.Dispose();
        rootDirectory.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string[] Split(string path) =>
        ItemPaths.TrySplit(path, out var segments, out var error) ? segments : throw new ArgumentException(error, nameof(path));

    /// <summary>
    /// Every item, as the enumerator is consumed. Only the enumerator's token stops it: the token of the
    /// call that handed it out may be time-boxed and fire long after that call returned.
    /// </summary>
    private async IAsyncEnumerable<ItemChange> EnumerateAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var walker = new TreeWalker(root, rootDirectory, filter, accounts, logger);
        var count = 0;
        foreach (var item in walker.Walk(cancellationToken))
        {
            yield return new ItemChange(item, ChangeKind.Added);
            if (++count % 4096 == 0)
            {
                await Task.Yield();
            }
        }
    }

    /// <summary>
    /// The folder that holds the item, opened through real folders only, or null (with the errno) when it can't be.
    /// Items come folder by folder, so the last folder stays open for the next item (and for the check after the
    /// read); the handle belongs to the snapshot. Call under <see cref="_parentGate"/>.
    /// </summary>
    private SafeFileHandle? OpenParent(string[] segments, out int errno)
    {
        errno = 0;
        var parentPath = string.Join('/', segments.AsSpan(0, segments.Length - 1));
        if (_parent is { IsClosed: false } && _parentPath == parentPath)
        {
            return _parent;
        }

        _parent?.Dispose();
        _parent = null;
        var current = Posix.TryOpen(rootDirectory, ".", NativeMethods.ORdOnly | NativeMethods.ODirectory, 0, out errno);
        for (var i = 0; current is not null && i < segments.Length - 1; i++)
        {
            var next = Posix.TryOpenDirectoryNoFollow(current, segments[i], out errno);
            current.Dispose();
            current = next;
        }

        (_parent, _parentPath) = (current, parentPath);
        return current;
    }

    /// <summary>Whether a failed open or stat means the item is no longer there as it was (missing, or a link or non-folder on the way).</summary>
    private static bool IsGone(int errno) => errno is NativeMethods.ENoEnt or NativeMethods.ENotDir or NativeMethods.ELoop or NativeMethods.ENxio;

    private sealed record FileIdentity(uint DevMajor, uint DevMinor, ulong Inode);
}

/// <summary>A change journal as it was cut for a snapshot, and the plugin's journals that know why an older one was lost.</summary>
internal sealed record JournalCut(ChangeJournal Journal, JournalPosition Position, ChangeJournals Journals);

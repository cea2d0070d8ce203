using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// A btrfs read-only snapshot of the data source: a crash-consistent point in time that doesn't change while
/// it is read. It tells the changed byte ranges of each file since an earlier snapshot's generation, so an
/// express full reads only those. Disposing deletes the snapshot.
/// </summary>
internal sealed class BtrfsSnapshot(LiveSnapshot tree, string snapshot, string pathInSnapshot, long generation) : IDataSourceSnapshot, IBlockChangeTracking
{
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _patched = new(StringComparer.Ordinal);
    private (long Since, Dictionary<string, List<ByteRange>>? Changed)? _changes;

    public SnapshotConsistency Consistency => SnapshotConsistency.CrashConsistent;

    public DateTimeOffset TakenAt => tree.TakenAt;

    public ChangeToken Token { get; } = ChangeTokens.Btrfs(generation, tree.JournalPosition);

    // The change journal tells which paths changed; btrfs tells which byte ranges of a changed file did.
    public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken) => tree.EnumerateChangesAsync(since, cancellationToken);

    public async ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken)
    {
        var stream = await tree.OpenItemAsync(item, cancellationToken);
        if (stream is FileStream file && _patched.ContainsKey(item.Path))
        {
            // Only the changed ranges are read: read ahead of them would fetch what is not needed.
            _ = Native.NativeMethods.PosixFadvise(Native.Posix.Fd(file.SafeFileHandle), 0, 0, Native.NativeMethods.FadviseRandom);
        }

        return stream;
    }

    // The snapshot is read-only: nothing changes while it is read.
    public ValueTask<ItemReadCheck> ConfirmUnchangedAsync(ProtectedItem item, CancellationToken cancellationToken) => ValueTask.FromResult(ItemReadCheck.Unchanged);

    public ValueTask<IReadOnlyList<ByteRange>?> GetChangedRangesAsync(ProtectedItem item, ChangeToken since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (ChangeTokens.TryReadBtrfs(since) is not { } sinceGeneration || sinceGeneration > generation || item.Kind != ProtectedItemKind.File)
        {
            return ValueTask.FromResult<IReadOnlyList<ByteRange>?>(null);
        }

        Dictionary<string, List<ByteRange>>? changed;
        lock (_gate)
        {
            if (_changes is not { } known || known.Since != sinceGeneration)
            {
                Dictionary<string, List<ByteRange>>? map;
                try
                {
                    // find-new lists extents of that generation and later; the earlier snapshot holds its own generation.
                    map = Btrfs.ChangedExtents(snapshot, sinceGeneration + 1);
                }
                catch (IOException)
                {
                    map = null; // btrfs couldn't say: every changed file is read whole
                }

                _changes = known = (sinceGeneration, map);
            }

            changed = known.Changed;
        }

        if (changed is null)
        {
            return ValueTask.FromResult<IReadOnlyList<ByteRange>?>(null);
        }

        // In-place writes to a NOCOW file make no new extents: find-new can't see them, so read it all.
        using (var file = OpenForFlags(item))
        {
            if (file is null || Btrfs.IsNoCow(file))
            {
                return ValueTask.FromResult<IReadOnlyList<ByteRange>?>(null);
            }
        }

        var key = pathInSnapshot.Length == 0 ? item.Path : pathInSnapshot + "/" + item.Path;
        _patched[item.Path] = true;
        return ValueTask.FromResult<IReadOnlyList<ByteRange>?>(changed.TryGetValue(key, out var ranges) ? ranges : []);
    }

    public async ValueTask DisposeAsync()
    {
        await tree.DisposeAsync();
        Btrfs.Delete(snapshot);
    }

    private SafeFileHandle? OpenForFlags(ProtectedItem item)
    {
        try
        {
            return File.OpenHandle(Path.Combine(snapshot, pathInSnapshot, item.Path), FileMode.Open, FileAccess.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

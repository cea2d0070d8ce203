using System.Runtime.InteropServices;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The change journal of one data source (what DPM's volume filter keeps): an inotify watch on every folder of
/// the tree, and the paths that changed, numbered in the order the kernel reported them. A synchronization cuts
/// the journal (<see cref="Cut"/>) before its snapshot and later asks what changed between an earlier cut and
/// its own (<see cref="Query"/>), so it looks at those paths only instead of walking the tree.
/// <para>
/// The journal is lost — and says so, with the reason — when the kernel's event queue overflows, when more
/// paths changed than it may remember, when a folder can't be watched (the watch limit) or when the data
/// source's folder itself goes away. A lost journal can't tell what changed: the synchronization then compares
/// everything, and the replica is treated as possibly inconsistent.
/// </para>
/// </summary>
internal sealed unsafe class ChangeJournal : IDisposable
{
    private const uint Events = NativeMethods.InModify | NativeMethods.InAttrib | NativeMethods.InMovedFrom | NativeMethods.InMovedTo
        | NativeMethods.InCreate | NativeMethods.InDelete | NativeMethods.InDeleteSelf | NativeMethods.InMoveSelf
        | NativeMethods.InOnlyDir | NativeMethods.InExclUnlink;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _folders = [];
    private readonly Dictionary<string, Entry> _changed = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly SafeFileHandle _inotify;
    private readonly Func<string, bool> _skip;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly Thread _reader;
    private volatile bool _stopping;
    private long _sequence;
    private long _prunedThrough;
    private long _lostAt = long.MaxValue;

    private ChangeJournal(string root, SafeFileHandle inotify, Func<string, bool> skip, int capacity, ILogger logger)
    {
        Root = root;
        _inotify = inotify;
        _skip = skip;
        _capacity = capacity;
        _logger = logger;
        _reader = new Thread(ReadEvents) { IsBackground = true, Name = "dpm change journal" };
    }

    /// <summary>The journal's identity: a journal started afresh (after an agent restart) has another.</summary>
    public string Epoch { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The data source's folder.</summary>
    public string Root { get; }

    /// <summary>Why the journal can no longer tell what changed, or null while it can.</summary>
    public string? LostReason { get; private set; }

    /// <summary>Starts watching every folder below <paramref name="root"/> except those <paramref name="skip"/> names.</summary>
    public static ChangeJournal Start(string root, Func<string, bool> skip, int capacity, ILogger logger)
    {
        var fd = NativeMethods.InotifyInit(NativeMethods.InNonBlock | NativeMethods.InCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var limit = errno == 24 ? " (fs.inotify.max_user_instances: one change journal runs per protected data source)" : "";
            throw new PosixException(errno, $"inotify_init1 for '{root}': {Posix.Describe(errno)}{limit}");
        }

        var journal = new ChangeJournal(root, new SafeFileHandle(fd, ownsHandle: true), skip, capacity, logger);
        lock (journal._gate)
        {
            journal.WatchTree("");
        }

        journal._reader.Start();
        FilesLog.JournalStarted(logger, root, journal._folders.Count, journal.Epoch);
        return journal;
    }

    /// <summary>
    /// Reads every event the kernel queued until now and returns the number of the last one: everything that
    /// changed before this call has a number up to it. Null when the journal is lost.
    /// </summary>
    public long? Cut()
    {
        lock (_gate)
        {
            Drain();
            return LostReason is null ? _sequence : null;
        }
    }

    /// <summary>
    /// The paths that changed after cut <paramref name="since"/> (and maybe later: never fewer), each with
    /// whether its whole subtree must be looked at (a folder created, deleted or moved). Null, with the reason,
    /// when the journal can't answer for the changes up to <paramref name="until"/>. Entries up to
    /// <paramref name="since"/> are forgotten: that cut is in the replica.
    /// </summary>
    public IReadOnlyList<(string Path, bool Subtree)>? Query(long since, long until, out string? problem)
    {
        lock (_gate)
        {
            if (_lostAt <= until)
            {
                problem = LostReason;
                return null;
            }

            if (since < _prunedThrough || since > until)
            {
                problem = "the change journal no longer holds the changes since the previous recovery point";
                return null;
            }

            _prunedThrough = since;
            foreach (var (path, entry) in _changed)
            {
                if (entry.Last <= since)
                {
                    _changed.Remove(path);
                }
            }

            problem = null;
            return [.. _changed.Select(c => (c.Key, c.Value.LastSubtree > since))];
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_reader.IsAlive)
        {
            _reader.Join();
        }

        _inotify.Dispose();
    }

    private void ReadEvents()
    {
        var poll = new PollFd { Fd = Posix.Fd(_inotify), Events = NativeMethods.PollIn };
        while (!_stopping)
        {
            poll.ReturnedEvents = 0;
            if (NativeMethods.Poll(&poll, 1, 250) > 0)
            {
                lock (_gate)
                {
                    Drain();
                }

                // Reading in batches lets the kernel fold repeated writes to a file into one event.
                Thread.Sleep(20);
            }
        }

        if (LostReason is not null)
        {
            _inotify.Dispose(); // a lost journal reads nothing more: give its watches back now
        }
    }

    /// <summary>Reads and records the queued events. Call under <see cref="_gate"/>.</summary>
    private void Drain()
    {
        while (LostReason is null)
        {
            nint n;
            fixed (byte* buffer = _buffer)
            {
                n = NativeMethods.Read(Posix.Fd(_inotify), buffer, (nuint)_buffer.Length);
            }

            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == NativeMethods.EAgain)
                {
                    return;
                }

                if (errno != 4)
                {
                    Lose($"reading its inotify events failed: {Posix.Describe(errno)}");
                }

                continue;
            }

            for (var offset = 0; offset + 16 <= n;)
            {
                var wd = BitConverter.ToInt32(_buffer, offset);
                var mask = BitConverter.ToUInt32(_buffer, offset + 4);
                var length = BitConverter.ToInt32(_buffer, offset + 12);
                var name = _buffer.AsSpan(offset + 16, length);
                var end = name.IndexOf((byte)0);
                Record(wd, mask, end >= 0 ? name[..end] : name);
                offset += 16 + length;
            }
        }
    }

    private void Record(int wd, uint mask, ReadOnlySpan<byte> rawName)
    {
        if ((mask & NativeMethods.InQueueOverflow) != 0)
        {
            Lose("the kernel's inotify event queue overflowed (fs.inotify.max_queued_events)");
            return;
        }

        if ((mask & NativeMethods.InIgnored) != 0)
        {
            _folders.Remove(wd);
            return;
        }

        if (!_folders.TryGetValue(wd, out var folder))
        {
            return;
        }

        if ((mask & (NativeMethods.InDeleteSelf | NativeMethods.InMoveSelf | NativeMethods.InUnmount)) != 0)
        {
            if (folder.Length == 0)
            {
                Lose("the data source's folder was deleted, moved or unmounted");
            }

            return; // a folder below is seen from its parent
        }

        Mark(folder, subtree: false); // its own attributes, or its entries (and so its write time) changed
        if (rawName.IsEmpty)
        {
            return;
        }

        var name = TreeWalker.Decode(rawName.ToArray());
        var path = name is null ? null : ItemPaths.Join(folder, name);
        if (path is null || _skip(path))
        {
            return; // a name the walker can't represent, or a folder that is not data
        }

        var isFolder = (mask & NativeMethods.InIsDir) != 0;
        var folderArrived = isFolder && (mask & (NativeMethods.InCreate | NativeMethods.InMovedTo)) != 0;
        Mark(path, subtree: isFolder && (mask & (NativeMethods.InCreate | NativeMethods.InDelete | NativeMethods.InMovedFrom | NativeMethods.InMovedTo)) != 0);
        if (folderArrived)
        {
            WatchTree(path); // a folder moved within the tree keeps its watches, which now name the new path
        }
    }

    private void Mark(string path, bool subtree)
    {
        if (LostReason is not null)
        {
            return;
        }

        _sequence++;
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_changed, path, out var existed);
        if (!existed && _changed.Count > _capacity)
        {
            _changed.Remove(path);
            Lose($"more than {_capacity} paths changed since the last synchronization (the change journal's capacity)");
            return;
        }

        entry.Last = _sequence;
        if (subtree)
        {
            entry.LastSubtree = _sequence;
        }
    }

    /// <summary>Watches the folder <paramref name="path"/> and every folder below it. Call under <see cref="_gate"/>.</summary>
    private void WatchTree(string path)
    {
        var rootFolder = Posix.TryOpenDirectory(Root, out var errno);
        if (rootFolder is null)
        {
            Lose($"the data source's folder can't be opened: {Posix.Describe(errno)}");
            return;
        }

        if (!Posix.TryStat(rootFolder, "", out var rootStat, out _))
        {
            rootFolder.Dispose();
            return;
        }

        var start = rootFolder;
        foreach (var segment in path.Length == 0 ? [] : path.Split('/'))
        {
            var next = Posix.TryOpenDirectoryNoFollow(start, segment, out _);
            start.Dispose();
            start = next;
            if (start is null)
            {
                return; // gone again: its parent's events tell
            }
        }

        var pending = new Stack<(SafeFileHandle Folder, string Path)>();
        pending.Push((start, path));
        try
        {
            while (pending.TryPop(out var current) && LostReason is null)
            {
                using var folder = current.Folder;
                if (!Watch(folder, current.Path))
                {
                    continue;
                }

                foreach (var entry in Posix.ReadDirectory(folder))
                {
                    if (entry.Type is not (DirectoryEntry.TypeDirectory or DirectoryEntry.TypeUnknown) || TreeWalker.Decode(entry.Name) is not { } name)
                    {
                        continue;
                    }

                    var childPath = ItemPaths.Join(current.Path, name);
                    if (_skip(childPath) || !Posix.TryStat(folder, name, out var stat, out _) || !stat.IsDirectory
                        || (stat.IsMountRoot ?? !stat.SameDevice(rootStat)))
                    {
                        continue;
                    }

                    if (Posix.TryOpenDirectoryNoFollow(folder, name, out _) is { } child)
                    {
                        pending.Push((child, childPath));
                    }
                }
            }
        }
        finally
        {
            while (pending.TryPop(out var left))
            {
                left.Folder.Dispose();
            }
        }
    }

    private bool Watch(SafeFileHandle folder, string path)
    {
        // The open handle names the folder exactly: no path to re-resolve, no link to follow.
        var wd = NativeMethods.InotifyAddWatch(Posix.Fd(_inotify), $"/proc/self/fd/{Posix.Fd(folder)}", Events);
        if (wd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == NativeMethods.ENoSpc)
            {
                Lose("a folder can't be watched: the inotify watch limit (fs.inotify.max_user_watches) is reached");
            }

            return false;
        }

        _folders[wd] = path;
        return true;
    }

    private void Lose(string reason)
    {
        if (LostReason is not null)
        {
            return;
        }

        LostReason = reason;
        _lostAt = _sequence + 1;
        _stopping = true;
        FilesLog.JournalLost(_logger, Root, reason);
    }

    private struct Entry
    {
        public long Last;
        public long LastSubtree;
    }
}

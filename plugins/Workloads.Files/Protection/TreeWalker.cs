using System.Text;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// Walks a folder tree depth-first in ordinal name order, a folder before its contents, and describes each
/// item. It works with open directory handles and one name at a time (openat/statx), so paths of any length
/// work; it never follows a symbolic link and never crosses into another mounted file system.
/// </summary>
internal sealed class TreeWalker(string root, SafeFileHandle rootDirectory, PathFilter filter, AccountNames accounts, ILogger logger)
{
    private long _items;
    private long _special;
    private long _mounts;
    private long _unreadable;

    /// <summary>The items below the root, the root itself ("") first.</summary>
    public IEnumerable<ProtectedItem> Walk(CancellationToken cancellationToken) => Walk("", cancellationToken);

    /// <summary>
    /// The folder <paramref name="start"/> (a path below the root, "" for the root) and every item below it, the
    /// folder first; nothing when it is no longer a folder reached through folders of this file system.
    /// </summary>
    public IEnumerable<ProtectedItem> Walk(string start, CancellationToken cancellationToken)
    {
        if (!Posix.TryStat(rootDirectory, "", out var rootStat, out var errno))
        {
            throw Posix.Error("statx", root, errno);
        }

        var startDirectory = start.Length == 0 ? rootDirectory : OpenFolder(start);
        if (startDirectory is null)
        {
            yield break;
        }

        var startStat = rootStat;
        if (start.Length > 0 && (!Posix.TryStat(startDirectory, "", out startStat, out _) || IsOtherMount(startStat, rootStat)))
        {
            startDirectory.Dispose();
            yield break;
        }


        var stack = new List<Frame> { new(startDirectory, start, ReadNames(startDirectory, start), emitted: true, ownsHandle: start.Length > 0) };
        try
        {
            _items++;
            yield return Describe(start, startStat, startDirectory, null);

            while (stack.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var frame = stack[^1];
                if (frame.Next == frame.Names.Count)
                {
                    stack.RemoveAt(stack.Count - 1);
                    frame.Dispose();
                    continue;
                }

                var name = frame.Names[frame.Next++];
                var path = ItemPaths.Join(frame.Path, name);
                if (filter.IsExcluded(path))
                {
                    continue;
                }

                if (!Posix.TryStat(frame.Handle, name, out var stat, out errno))
                {
                    if (errno != NativeMethods.ENoEnt)
                    {
                        Unreadable(path, Posix.Describe(errno));
                    }

                    continue; // gone since the folder was listed
                }

                if (stat.IsDirectory)
                {
                    if (IsOtherMount(stat, rootStat))
                    {
                        _mounts++;
                        FilesLog.OtherMount(logger, new LogPath(path));
                        continue;
                    }

                    var child = Posix.TryOpenDirectoryNoFollow(frame.Handle, name, out errno);
                    if (child is null)
                    {
                        if (errno != NativeMethods.ENoEnt)
                        {
                            Unreadable(path, Posix.Describe(errno));
                        }

                        continue;
                    }

                    var item = Describe(path, stat, frame.Handle, name);
                    var included = filter.IsIncluded(path);
                    var next = new Frame(child, path, ReadNames(child, path), included, ownsHandle: true) { Item = item };
                    if (included)
                    {
                        foreach (var pending in EmitPendingFolders(stack))
                        {
                            yield return pending;
                        }

                        _items++;
                        yield return item;
                    }

                    stack.Add(next);
                }
                else if (stat.IsRegular || stat.IsSymbolicLink)
                {
                    if (!filter.IsIncluded(path))
                    {
                        continue;
                    }

                    var item = Describe(path, stat, frame.Handle, name);
                    if (item.Kind == ProtectedItemKind.SymbolicLink && item.Metadata?.LinkTarget is null)
                    {
                        continue; // vanished, or a target that can't be represented (reported)
                    }

                    foreach (var pending in EmitPendingFolders(stack))
                    {
                        yield return pending;
                    }

                    _items++;
                    yield return item;
                }
                else
                {
                    _special++; // sockets, FIFOs, devices: nothing to read
                }
            }
        }
        finally
        {
            foreach (var frame in stack)
            {
                frame.Dispose();
            }

            if (start.Length == 0)
            {
                FilesLog.Enumerated(logger, root, _items, _special, _mounts, _unreadable);
            }
        }
    }

    /// <summary>
    /// The item at <paramref name="path"/> as a walk would describe it, or null when the walk would not list it:
    /// gone, excluded, reached through a link or another file system, or a socket, FIFO or device.
    /// </summary>
    public ProtectedItem? DescribeOne(string path)
    {
        if (filter.IsExcluded(path) || !filter.IsIncluded(path))
        {
            return path.Length == 0 ? throw new ArgumentException("The root can't be excluded.", nameof(path)) : null;
        }

        if (!Posix.TryStat(rootDirectory, "", out var rootStat, out var errno))
        {
            throw Posix.Error("statx", root, errno);
        }

        if (path.Length == 0)
        {
            return Describe("", rootStat, rootDirectory, null);
        }

        var cut = path.LastIndexOf('/');
        using var parent = cut < 0 ? Posix.TryOpen(rootDirectory, ".", NativeMethods.ORdOnly | NativeMethods.ODirectory, 0, out _) : OpenFolder(path[..cut]);
        var name = path[(cut + 1)..];
        if (parent is null || !Posix.TryStat(parent, name, out var stat, out _)
            || !(stat.IsDirectory || stat.IsRegular || stat.IsSymbolicLink) || (stat.IsDirectory && IsOtherMount(stat, rootStat)))
        {
            return null;
        }

        var item = Describe(path, stat, parent, name);
        return item.Kind == ProtectedItemKind.SymbolicLink && item.Metadata?.LinkTarget is null ? null : item;
    }

    /// <summary>Opens a folder below the root through real folders only, or null when it can't be reached so.</summary>
    private SafeFileHandle? OpenFolder(string path)
    {
        var current = Posix.TryOpen(rootDirectory, ".", NativeMethods.ORdOnly | NativeMethods.ODirectory, 0, out _);
        foreach (var segment in path.Split('/'))
        {
            if (current is null)
            {
                break;
            }

            var next = Posix.TryOpenDirectoryNoFollow(current, segment, out _);
            current.Dispose();
            current = next;
        }

        return current;
    }

    /// <summary>
    /// Describes the item <paramref name="name"/> in <paramref name="directory"/> (or, with a null name, the
    /// directory itself) from its statx record.
    /// </summary>
    public ItemMetadata DescribeMetadata(in StatxBuffer stat, SafeFileHandle directory, string? name, string path, out byte[]? linkTarget)
    {
        linkTarget = null;
        string? target = null;
        if (stat.IsSymbolicLink)
        {
            linkTarget = Posix.ReadLink(directory, name!, out var errno);
            if (linkTarget is null)
            {
                if (errno != NativeMethods.ENoEnt)
                {
                    Unreadable(path, Posix.Describe(errno));
                }
            }
            else
            {
                target = Decode(linkTarget);
                if (target is null)
                {
                    Unreadable(path, "the link target is not valid UTF-8");
                }
            }
        }

        var attributes = name is null
            ? Posix.ReadExtendedAttributes(null, directory, out var xattrErrno)
            : Posix.ReadExtendedAttributes(Posix.ProcPath(directory, name), null, out xattrErrno);
        if (attributes is null && xattrErrno != NativeMethods.ENoEnt)
        {
            Unreadable(path + " (extended attributes)", Posix.Describe(xattrErrno));
        }

        return new ItemMetadata
        {
            Mode = stat.Mode,
            OwnerId = stat.Uid,
            GroupId = stat.Gid,
            OwnerName = accounts.UserName(stat.Uid),
            GroupName = accounts.GroupName(stat.Gid),
            LastAccessTime = Posix.ToTime(stat.AccessTime),
            ChangeTime = Posix.ToTime(stat.ChangeTime),
            CreationTime = stat.HasBirthTime ? Posix.ToTime(stat.BirthTime) : null,
            LinkTarget = target,
            HardLinkKey = stat.IsRegular && stat.LinkCount > 1 ? HardLinkKey(stat) : null,
            ExtendedAttributes = attributes is { Count: > 0 } ? attributes : null,
            DataRanges = stat.IsRegular && name is not null ? DataRanges(stat, directory, name) : null,
        };
    }

    public static string HardLinkKey(in StatxBuffer stat) =>
        FormattableString.Invariant($"{((ulong)stat.DevMajor << 32) | stat.DevMinor}:{stat.Inode}");

    private static bool IsOtherMount(in StatxBuffer directory, in StatxBuffer root) =>
        directory.IsMountRoot ?? !directory.SameDevice(root);

    public static string? Decode(byte[] bytes)
    {
        try
        {
            return Posix.StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static IEnumerable<ProtectedItem> EmitPendingFolders(List<Frame> stack)
    {
        foreach (var frame in stack)
        {
            if (!frame.Emitted && frame.Item is not null)
            {
                frame.Emitted = true;
                yield return frame.Item;
            }
        }
    }

    private ProtectedItem Describe(string path, in StatxBuffer stat, SafeFileHandle directory, string? name)
    {
        var kind = stat.IsDirectory ? ProtectedItemKind.Directory : stat.IsSymbolicLink ? ProtectedItemKind.SymbolicLink : ProtectedItemKind.File;
        return new ProtectedItem
        {
            Path = path,
            Kind = kind,
            Length = kind == ProtectedItemKind.File ? (long)stat.Size : 0,
            LastWriteTime = Posix.ToTime(stat.ModifyTime),
            Metadata = DescribeMetadata(stat, directory, name, path, out _),
        };
    }

    /// <summary>The data ranges of a file whose allocated blocks don't cover its length (a candidate for holes).</summary>
    private static List<Dpm.Contracts.ByteRange>? DataRanges(in StatxBuffer stat, SafeFileHandle directory, string name)
    {
        var length = (long)stat.Size;
        if (length == 0 || (long)stat.Blocks * 512 >= length)
        {
            return null;
        }

        using var file = Posix.TryOpen(directory, name, NativeMethods.ORdOnly | NativeMethods.ONoFollow | NativeMethods.ONonBlock | NativeMethods.ONoCtty, 0, out _);
        return file is null ? null : Posix.ReadDataRanges(file, length);
    }

    private List<string> ReadNames(SafeFileHandle directory, string path)
    {
        var names = new List<string>();
        foreach (var entry in Posix.ReadDirectory(directory))
        {
            var raw = entry.Name;
            var name = Decode(raw);
            if (name is null)
            {
                Unreadable(ItemPaths.Join(path, Encoding.UTF8.GetString(raw)), "its name is not valid UTF-8");
                continue;
            }

            names.Add(name);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private void Unreadable(string path, string reason)
    {
        _unreadable++;
        FilesLog.Unreadable(logger, new LogPath(path), reason);
    }

    private sealed class Frame(SafeFileHandle handle, string path, List<string> names, bool emitted, bool ownsHandle) : IDisposable
    {
        public SafeFileHandle Handle { get; } = handle;

        public string Path { get; } = path;

        public List<string> Names { get; } = names;

        public int Next { get; set; }

        public bool Emitted { get; set; } = emitted;

        public ProtectedItem? Item { get; init; }

        public void Dispose()
        {
            if (ownsHandle)
            {
                Handle.Dispose();
            }
        }
    }
}

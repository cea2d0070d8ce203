using Dpm.Workloads.Files.Native;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Recovery;

/// <summary>
/// The folder a recovery writes into, reached only through handles: every folder below the target is opened
/// one name at a time with O_NOFOLLOW|O_DIRECTORY, so a symbolic link (planted by an earlier item or found in
/// the target) is never passed through, and nothing can be written outside the target. It keeps the handles
/// of the folder it last entered, since items come in path order.
/// </summary>
internal sealed class TargetTree : IDisposable
{
    private const uint NewFolderMode = 0x1C0; // 0700: its own metadata comes when the recovery ends
    private readonly List<(string Name, SafeFileHandle Handle)> _open = [];

    private TargetTree(string path, SafeFileHandle root)
    {
        Path = path;
        Root = root;
    }

    /// <summary>The target folder as the operator named it.</summary>
    public string Path { get; }

    public SafeFileHandle Root { get; }

    /// <summary>Opens the target folder (creating it, and its parents, when missing), or says why it can't.</summary>
    public static TargetTree? Open(string path, out string error)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"can't create the target folder '{path}': {ex.Message}";
            return null;
        }

        var root = Posix.TryOpenDirectory(path, out var errno);
        if (root is null)
        {
            error = $"can't open the target folder '{path}': {Posix.Describe(errno)}";
            return null;
        }

        error = "";
        return new TargetTree(path, root);
    }

    /// <summary>
    /// The folder at <paramref name="segments"/> below the target, creating missing folders. The handle is
    /// lent: it stays valid until the next call. Null, with the reason, when a name on the way is not a
    /// real folder.
    /// </summary>
    public SafeFileHandle? Enter(IReadOnlyList<string> segments, out string error)
    {
        error = "";
        var common = 0;
        while (common < _open.Count && common < segments.Count && _open[common].Name == segments[common])
        {
            common++;
        }

        while (_open.Count > common)
        {
            _open[^1].Handle.Dispose();
            _open.RemoveAt(_open.Count - 1);
        }

        for (var i = common; i < segments.Count; i++)
        {
            var parent = i == 0 ? Root : _open[i - 1].Handle;
            var handle = Posix.TryOpenDirectoryNoFollow(parent, segments[i], out var errno);
            if (handle is null && errno == NativeMethods.ENoEnt)
            {
                if (NativeMethods.MkdirAt(Posix.Fd(parent), segments[i], NewFolderMode) != 0)
                {
                    errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (errno != NativeMethods.EExist)
                    {
                        error = $"can't create the folder '{Printable(segments, i)}' in the target: {Posix.Describe(errno)}";
                        return null;
                    }
                }

                handle = Posix.TryOpenDirectoryNoFollow(parent, segments[i], out errno);
            }

            if (handle is null)
            {
                error = Explain(parent, segments, i, errno);
                return null;
            }

            _open.Add((segments[i], handle));
        }

        return segments.Count == 0 ? Root : _open[^1].Handle;
    }

    /// <summary>Opens an existing folder below the target without creating anything; the caller owns the handle.</summary>
    public SafeFileHandle? OpenExisting(IReadOnlyList<string> segments, out string error)
    {
        error = "";
        var current = Posix.TryOpen(Root, ".", NativeMethods.ORdOnly | NativeMethods.ODirectory, 0, out var errno);
        for (var i = 0; current is not null && i < segments.Count; i++)
        {
            var next = Posix.TryOpenDirectoryNoFollow(current, segments[i], out errno);
            if (next is null)
            {
                error = Explain(current, segments, i, errno);
            }

            current.Dispose();
            current = next;
        }

        if (current is null && error.Length == 0)
        {
            error = $"can't open the target folder: {Posix.Describe(errno)}";
        }

        return current;
    }

    public void Dispose()
    {
        foreach (var (_, handle) in _open)
        {
            handle.Dispose();
        }

        _open.Clear();
        Root.Dispose();
    }

    private static string Explain(SafeFileHandle parent, IReadOnlyList<string> segments, int index, int errno)
    {
        var where = Printable(segments, index);
        if (errno is NativeMethods.ELoop or NativeMethods.ENotDir && Posix.TryStat(parent, segments[index], out var stat, out _))
        {
            return stat.IsSymbolicLink
                ? $"'{where}' in the target is a symbolic link, and a recovery never writes through a link"
                : $"'{where}' in the target is not a folder";
        }

        return errno == NativeMethods.ENoEnt
            ? $"the folder '{where}' is missing in the target"
            : $"can't open the folder '{where}' in the target: {Posix.Describe(errno)}";
    }

    private static string Printable(IReadOnlyList<string> segments, int index) => ItemPaths.Printable(ItemPaths.Join(segments.Take(index + 1)));
}

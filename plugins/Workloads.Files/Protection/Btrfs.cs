using System.Diagnostics;
using System.Globalization;
using Dpm.Contracts;
using Dpm.Workloads.Files.Native;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// btrfs: read-only snapshots of the subvolume that holds a data source (the VSS counterpart), and the file
/// extents changed since a generation (<c>btrfs subvolume find-new</c>), so an express full reads only the
/// changed ranges of large files. Snapshots live in <c>.dpm-snapshots/</c> at the top of the subvolume and
/// are deleted after each synchronization. Uses the btrfs command from btrfs-progs.
/// </summary>
internal static class Btrfs
{
    public const string SnapshotFolder = ".dpm-snapshots";
    private const long SuperMagic = 0x9123683E;
    private const ulong FirstFreeObjectId = 256; // the inode number of every subvolume's top folder
    private const nuint FsIocGetFlags = 0x80086601;
    private const int FsNoCowFlag = 0x00800000;

    /// <summary>Whether <paramref name="path"/> is on btrfs and the btrfs command is there to snapshot it.</summary>
    public static unsafe bool IsAvailable(string path)
    {
        var buffer = stackalloc byte[256];
        return NativeMethods.StatFs(path, buffer) == 0 && *(long*)buffer == SuperMagic && Tool() is not null;
    }

    /// <summary>The top folder of the subvolume that holds <paramref name="path"/>.</summary>
    public static string SubvolumeOf(string path)
    {
        var current = Path.GetFullPath(path).TrimEnd('/');
        if (!Posix.TryStatPath(current, followLinks: true, out var stat, out var errno))
        {
            throw Posix.Error("statx", current, errno);
        }

        while (stat.Inode != FirstFreeObjectId)
        {
            var parent = Path.GetDirectoryName(current);
            if (parent is null || !Posix.TryStatPath(parent, followLinks: true, out var parentStat, out _) || !parentStat.SameDevice(stat))
            {
                break;
            }

            (current, stat) = (parent, parentStat);
        }

        return current.Length == 0 ? "/" : current;
    }

    /// <summary>
    /// Whether a subvolume lies inside the tree at <paramref name="root"/>: a snapshot doesn't include nested
    /// subvolumes (they show as empty folders), so such a tree is read live instead. Looks at folders only.
    /// </summary>
    public static bool HasNestedSubvolume(string root)
    {
        // Usually the subvolume has none besides our own snapshots, and btrfs says so at once.
        var listed = Run("subvolume", "list", "-o", SubvolumeOf(root)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (listed.All(line => line.Contains($" path {SnapshotFolder}/", StringComparison.Ordinal) || line.Contains($"/{SnapshotFolder}/", StringComparison.Ordinal)))
        {
            return false;
        }

        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.TryPop(out var folder))
        {
            IEnumerable<string> children;
            try
            {
                children = new DirectoryInfo(folder).EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
                    .Select(d => d.FullName).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var child in children)
            {
                if (!Posix.TryStatPath(child, followLinks: false, out var stat, out _))
                {
                    continue;
                }

                if (stat.Inode == FirstFreeObjectId)
                {
                    return true;
                }

                if (stat.IsMountRoot != true)
                {
                    pending.Push(child);
                }
            }
        }

        return false;
    }

    /// <summary>Takes a read-only snapshot of <paramref name="subvolume"/>; returns its path.</summary>
    public static string Snapshot(string subvolume, string name)
    {
        var folder = Path.Combine(subvolume, SnapshotFolder);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var snapshot = Path.Combine(folder, name);
        Run("subvolume", "snapshot", "-r", subvolume, snapshot);
        return snapshot;
    }

    /// <summary>Deletes snapshots this workload left behind whose names start with <paramref name="prefix"/> (a crash mid-synchronization).</summary>
    public static void DeleteLeftovers(string subvolume, string prefix)
    {
        var folder = Path.Combine(subvolume, SnapshotFolder);
        if (Directory.Exists(folder))
        {
            foreach (var stale in Directory.EnumerateDirectories(folder, prefix + "*"))
            {
                Delete(stale);
            }
        }
    }

    public static void Delete(string snapshot) => Run("subvolume", "delete", snapshot);

    /// <summary>The generation (transaction id) the snapshot was taken at.</summary>
    public static long Generation(string snapshot)
    {
        var output = Run("subvolume", "find-new", snapshot, "9223372036854775806");
        const string marker = "transid marker was ";
        var at = output.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 && long.TryParse(output.AsSpan(at + marker.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : throw new IOException($"btrfs did not say the generation of '{snapshot}': {output.Trim()}");
    }

    /// <summary>
    /// The extents of generation <paramref name="sinceGeneration"/> and later, per file path relative to the snapshot's
    /// top, merged. A file not listed had no data written (but deletions, renames and hole punching are not
    /// listed: the tree is still compared in full, and sparse layouts are compared too).
    /// </summary>
    public static Dictionary<string, List<ByteRange>> ChangedExtents(string snapshot, long sinceGeneration)
    {
        var output = Run("subvolume", "find-new", snapshot, sinceGeneration.ToString(CultureInfo.InvariantCulture));
        var changed = new Dictionary<string, List<ByteRange>>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith("inode ", StringComparison.Ordinal))
            {
                continue; // "transid marker was N", blank lines
            }

            // inode 257 file offset 0 len 4096 disk start 0 offset 0 gen 12 flags NONE some/path
            var parts = line.Split(' ', 17);
            if (parts.Length < 17 || parts[2] != "file" || parts[3] != "offset" || parts[5] != "len" || parts[14] != "flags"
                || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                || !long.TryParse(parts[6], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                // Never guess: a line we can't read could be a change we'd miss.
                throw new IOException($"btrfs subvolume find-new printed a line this version can't read: {line}");
            }

            var path = parts[16];
            (changed.TryGetValue(path, out var ranges) ? ranges : changed[path] = []).Add(new ByteRange(offset, length));
        }

        foreach (var ranges in changed.Values)
        {
            ranges.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            var merged = new List<ByteRange>(ranges.Count);
            foreach (var range in ranges)
            {
                if (merged.Count > 0 && range.Offset <= merged[^1].End)
                {
                    merged[^1] = new ByteRange(merged[^1].Offset, Math.Max(merged[^1].End, range.End) - merged[^1].Offset);
                }
                else
                {
                    merged.Add(range);
                }
            }

            ranges.Clear();
            ranges.AddRange(merged);
        }

        return changed;
    }

    /// <summary>Whether a file is NOCOW (chattr +C): its in-place writes don't make new extents, so find-new can't see them.</summary>
    public static unsafe bool IsNoCow(SafeFileHandle file)
    {
        var flags = 0;
        return NativeMethods.IoctlInt(Posix.Fd(file), FsIocGetFlags, &flags) != 0 || (flags & FsNoCowFlag) != 0;
    }

    private static readonly string[] ToolPaths = ["/usr/bin/btrfs", "/bin/btrfs", "/usr/sbin/btrfs", "/sbin/btrfs"];

    private static string? Tool() => ToolPaths.FirstOrDefault(File.Exists);

    private static string Run(params string[] args)
    {
        var start = new ProcessStartInfo(Tool() ?? "btrfs") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new IOException("btrfs can't be started");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new IOException($"btrfs {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result.Trim()}");
    }
}

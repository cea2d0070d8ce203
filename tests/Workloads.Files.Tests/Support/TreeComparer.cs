using System.Globalization;
using System.Security.Cryptography;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>One item of a scanned tree.</summary>
public sealed record TreeEntry(
    string Path,
    PosixStat Stat,
    string? ContentHash,
    string? LinkTarget,
    IReadOnlyDictionary<string, byte[]> Xattrs,
    bool IsSparse);

/// <summary>What a comparison looks at.</summary>
public sealed record TreeCompareOptions
{
    public bool Owners { get; init; } = true;

    public bool Modes { get; init; } = true;

    public bool Xattrs { get; init; } = true;

    /// <summary>Compare the metadata of the two roots themselves (not for a copy into an operator's folder).</summary>
    public bool RootMetadata { get; init; } = true;

    /// <summary>Compare last write times of folders (they change when something is added later).</summary>
    public bool FolderTimes { get; init; } = true;
}

/// <summary>
/// Compares two trees on disk without any outside tool and without the plugin's code: names, kinds, bytes,
/// modes, owners, last write times, link targets, hard-link groups, extended attributes (ACLs included) and
/// sparseness. Sockets, FIFOs and devices are not looked at.
/// </summary>
public static class TreeComparer
{
    public static Dictionary<string, TreeEntry> Scan(string root)
    {
        var entries = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var fd = TestPosix.OpenDirectory(root, noFollow: false);
        try
        {
            entries[""] = Describe("", $"/proc/self/fd/{fd}", isRoot: true);
            Visit(fd, "", entries);
        }
        finally
        {
            TestPosix.CloseFd(fd);
        }

        return entries;
    }

    /// <summary>The differences between two trees, in words; empty when they are the same.</summary>
    public static List<string> Compare(string expectedRoot, string actualRoot, TreeCompareOptions? options = null)
    {
        options ??= new TreeCompareOptions();
        var expected = Scan(expectedRoot);
        var actual = Scan(actualRoot);
        var differences = new List<string>();
        foreach (var path in expected.Keys.Except(actual.Keys).Order(StringComparer.Ordinal))
        {
            differences.Add($"missing: {Show(path)}");
        }

        foreach (var path in actual.Keys.Except(expected.Keys).Order(StringComparer.Ordinal))
        {
            differences.Add($"unexpected: {Show(path)}");
        }

        foreach (var (path, want) in expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(path, out var got))
            {
                continue;
            }

            void Check<T>(string what, T a, T b)
            {
                if (!EqualityComparer<T>.Default.Equals(a, b))
                {
                    differences.Add($"{Show(path)}: {what} expected {a}, got {b}");
                }
            }

            Check("type", want.Stat.FileType, got.Stat.FileType);
            if (path.Length == 0 && !options.RootMetadata)
            {
                continue;
            }

            if (options.Modes && !want.Stat.IsSymbolicLink)
            {
                Check("mode", Convert.ToString(want.Stat.Permissions, 8), Convert.ToString(got.Stat.Permissions, 8));
            }

            if (options.Owners)
            {
                Check("owner", $"{want.Stat.Uid}:{want.Stat.Gid}", $"{got.Stat.Uid}:{got.Stat.Gid}");
            }

            if (!want.Stat.IsDirectory || options.FolderTimes)
            {
                Check("last write time", Time(want.Stat.ModifyTicks), Time(got.Stat.ModifyTicks));
            }

            if (want.Stat.IsRegular)
            {
                Check("length", want.Stat.Size, got.Stat.Size);
                Check("content", want.ContentHash, got.ContentHash);
                Check("sparse", want.IsSparse, got.IsSparse);
            }

            Check("link target", want.LinkTarget, got.LinkTarget);
            if (options.Xattrs)
            {
                Check("extended attributes", Show(want.Xattrs), Show(got.Xattrs));
            }
        }

        var wantGroups = HardLinkGroups(expected);
        var gotGroups = HardLinkGroups(actual);
        if (!wantGroups.SetEquals(gotGroups))
        {
            differences.Add($"hard links: expected [{string.Join("; ", wantGroups.Order(StringComparer.Ordinal))}], got [{string.Join("; ", gotGroups.Order(StringComparer.Ordinal))}]");
        }

        return differences;
    }

    private static void Visit(int directoryFd, string relative, Dictionary<string, TreeEntry> entries)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{directoryFd}"))
        {
            var name = Path.GetFileName(full);
            var path = relative.Length == 0 ? name : relative + "/" + name;
            var at = TestPosix.At(directoryFd, name);
            var entry = Describe(path, at, isRoot: false);
            if (!entry.Stat.IsDirectory && !entry.Stat.IsRegular && !entry.Stat.IsSymbolicLink)
            {
                continue;
            }

            entries[path] = entry;
            if (entry.Stat.IsDirectory)
            {
                var child = TestPosix.OpenDirectory(at);
                try
                {
                    Visit(child, path, entries);
                }
                finally
                {
                    TestPosix.CloseFd(child);
                }
            }
        }
    }

    private static TreeEntry Describe(string path, string at, bool isRoot)
    {
        var stat = isRoot ? TestPosix.Lstat(at + "/.") : TestPosix.Lstat(at);
        string? hash = null;
        var sparse = false;
        if (stat.IsRegular)
        {
            using (var stream = File.OpenRead(at))
            {
                hash = Convert.ToHexString(SHA256.HashData(stream));
            }

            sparse = stat.Size > 0 && stat.Blocks * 512 < stat.Size && TestPosix.DataRanges(at).Sum(r => r.Length) < stat.Size;
        }

        var target = stat.IsSymbolicLink ? new FileInfo(at).LinkTarget : null;
        return new TreeEntry(path, stat, hash, target, TestPosix.ListXattrs(isRoot ? at + "/." : at), sparse);
    }

    private static HashSet<string> HardLinkGroups(Dictionary<string, TreeEntry> entries) =>
        entries.Values
            .Where(e => e.Stat.IsRegular && e.Stat.LinkCount > 1)
            .GroupBy(e => e.Stat.Inode)
            .Select(g => string.Join(" = ", g.Select(e => Show(e.Path)).Order(StringComparer.Ordinal)))
            .ToHashSet(StringComparer.Ordinal);

    private static string Time(long ticks) => new DateTime(DateTime.UnixEpoch.Ticks + ticks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);

    private static string Show(IReadOnlyDictionary<string, byte[]> xattrs) =>
        string.Join(", ", xattrs.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={Convert.ToHexString(x.Value)}"));

    private static string Show(string path) => "'" + path.Replace("\n", "\\n", StringComparison.Ordinal) + "'";
}

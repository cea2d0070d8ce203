using System.Buffers;
using System.Text;

namespace Dpm.Workloads.Files.Discovery;

/// <summary>One line of <c>/proc/self/mountinfo</c>.</summary>
internal sealed record MountEntry(string MountPoint, string FileSystemType, string Device, string DeviceNumber);

/// <summary>The mounted file systems, read from <c>/proc/self/mountinfo</c>.</summary>
internal static class MountTable
{
    /// <summary>Pseudo and memory file systems that hold no data worth protecting.</summary>
    private static readonly HashSet<string> PseudoFileSystems = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs", "tmpfs", "ramfs", "securityfs", "debugfs",
        "tracefs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs", "binfmt_misc",
        "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "nfsd", "squashfs", "iso9660", "fuse.gvfsd-fuse",
        "fuse.portal", "fuse.lxcfs", "overlayfs-internal", "sockfs", "pipefs", "cpuset", "devfs", "rootfs",
    };

    private static readonly SearchValues<char> OctalDigits = SearchValues.Create("01234567");

    /// <summary>Places under which no volume holds user data, whatever its type.</summary>
    private static readonly string[] SystemPrefixes = ["/proc", "/sys", "/dev", "/run"];

    public static IReadOnlyList<MountEntry> Read(string path = "/proc/self/mountinfo") => Parse(File.ReadAllLines(path));

    public static IReadOnlyList<MountEntry> Parse(IEnumerable<string> lines)
    {
        var entries = new List<MountEntry>();
        foreach (var line in lines)
        {
            // id parent major:minor root mount-point options [optional fields...] - type source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length)
            {
                continue;
            }

            entries.Add(new MountEntry(Unescape(fields[4]), Unescape(fields[separator + 1]), Unescape(fields[separator + 2]), fields[2]));
        }

        return entries;
    }

    /// <summary>
    /// The mounts that hold real data, one per mount point (the last one mounted there, which is the one
    /// visible), in mount point order.
    /// </summary>
    public static IReadOnlyList<MountEntry> DataVolumes(IReadOnlyList<MountEntry> mounts, IReadOnlySet<string> extraTypes)
    {
        var visible = new Dictionary<string, MountEntry>(StringComparer.Ordinal);
        foreach (var mount in mounts)
        {
            visible[mount.MountPoint] = mount;
        }

        return visible.Values
            .Where(m => extraTypes.Contains(m.FileSystemType) || (!PseudoFileSystems.Contains(m.FileSystemType) && !IsUnderSystemFolder(m.MountPoint)))
            .OrderBy(m => m.MountPoint, StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsUnderSystemFolder(string mountPoint) =>
        SystemPrefixes.Any(prefix => mountPoint == prefix || mountPoint.StartsWith(prefix + "/", StringComparison.Ordinal));

    /// <summary>Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && !field.AsSpan(i + 1, 3).ContainsAnyExcept(OctalDigits))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

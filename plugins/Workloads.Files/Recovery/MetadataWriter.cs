using System.Runtime.InteropServices;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Recovery;

/// <summary>
/// Puts an item's metadata back: owner and group, extended attributes and ACLs, mode (in that order, since a
/// change of owner clears set-id bits and file capabilities), then the times. Without RestoreSecurity only
/// the permission bits, filtered by the umask, and the times are restored. Returns what could not be
/// restored, in words.
/// </summary>
internal sealed unsafe class MetadataWriter(bool restoreSecurity)
{
    private const int PermissionBits = 0xFFF; // rwx for all, set-uid, set-gid, sticky
    private const int PlainPermissionBits = 0x1FF; // rwx for all
    private static readonly Lazy<int> Umask = new(ReadUmask);

    /// <summary>
    /// Applies the metadata to an open file or folder. An existing folder (<paramref name="created"/> false)
    /// keeps its mode when the item records none.
    /// </summary>
    public List<string> Apply(SafeFileHandle handle, ProtectedItem item, bool isFolder, bool created = true)
    {
        var problems = new List<string>();
        var metadata = item.Metadata;
        var fd = Posix.Fd(handle);
        if (restoreSecurity && metadata is not null)
        {
            if ((metadata.OwnerId is not null || metadata.GroupId is not null)
                && NativeMethods.FChown(fd, Id(metadata.OwnerId), Id(metadata.GroupId)) != 0)
            {
                problems.Add($"owner {metadata.OwnerId}:{metadata.GroupId} not restored: {LastError()}");
            }

            ApplyExtendedAttributes(handle, null, metadata.ExtendedAttributes, problems);
        }

        var mode = Mode(metadata?.Mode, isFolder);
        if ((created || metadata?.Mode is not null) && NativeMethods.FChmod(fd, (uint)mode) != 0)
        {
            problems.Add($"mode {Convert.ToString(mode, 8)} not restored: {LastError()}");
        }

        var times = stackalloc TimeSpec[2];
        FillTimes(times, item);
        if (NativeMethods.FUtimens(fd, times) != 0)
        {
            problems.Add($"times not restored: {LastError()}");
        }

        return problems;
    }

    /// <summary>Applies the metadata to the symbolic link <paramref name="name"/> itself (never to what it points to).</summary>
    public List<string> ApplyToLink(SafeFileHandle directory, string name, ProtectedItem item)
    {
        var problems = new List<string>();
        var metadata = item.Metadata;
        var fd = Posix.Fd(directory);
        if (restoreSecurity && metadata is not null)
        {
            if ((metadata.OwnerId is not null || metadata.GroupId is not null)
                && NativeMethods.FChownAt(fd, name, Id(metadata.OwnerId), Id(metadata.GroupId), NativeMethods.AtSymlinkNoFollow) != 0)
            {
                problems.Add($"owner {metadata.OwnerId}:{metadata.GroupId} not restored: {LastError()}");
            }

            ApplyExtendedAttributes(null, Posix.ProcPath(directory, name), metadata.ExtendedAttributes, problems);
        }

        var times = stackalloc TimeSpec[2];
        FillTimes(times, item);
        if (NativeMethods.UtimensAt(fd, name, times, NativeMethods.AtSymlinkNoFollow) != 0)
        {
            problems.Add($"times not restored: {LastError()}");
        }

        return problems;
    }

    private static void FillTimes(TimeSpec* times, ProtectedItem item)
    {
        times[0] = Posix.ToTimeSpec(item.Metadata?.LastAccessTime ?? item.LastWriteTime);
        times[1] = Posix.ToTimeSpec(item.LastWriteTime);
    }

    private int Mode(int? recorded, bool isFolder)
    {
        var mode = recorded ?? (isFolder ? 0x1FF : 0x1B6); // 0777 / 0666 when nothing was recorded
        return restoreSecurity && recorded is not null ? mode & PermissionBits : mode & PlainPermissionBits & ~Umask.Value;
    }

    /// <summary>
    /// Sets the recorded attributes and removes user attributes and ACLs that were not recorded (a new file
    /// may have inherited a default ACL from its folder; an existing folder may carry others).
    /// </summary>
    private static void ApplyExtendedAttributes(SafeFileHandle? handle, string? path, IReadOnlyDictionary<string, byte[]>? recorded, List<string> problems)
    {
        var present = Posix.ReadExtendedAttributes(path, handle, out _) ?? [];
        foreach (var name in present.Keys)
        {
            if ((name.StartsWith("user.", StringComparison.Ordinal) || name.StartsWith("system.posix_acl_", StringComparison.Ordinal))
                && (recorded is null || !recorded.ContainsKey(name)))
            {
                var errno = Posix.RemoveExtendedAttribute(handle, path, name);
                if (errno != 0)
                {
                    problems.Add($"extended attribute {name} not removed: {Posix.Describe(errno)}");
                }
            }
        }

        foreach (var (name, value) in recorded ?? new Dictionary<string, byte[]>())
        {
            if (present.TryGetValue(name, out var current) && current.AsSpan().SequenceEqual(value))
            {
                continue;
            }

            var errno = Posix.SetExtendedAttribute(handle, path, name, value);
            if (errno != 0)
            {
                problems.Add($"extended attribute {name} not restored: {Posix.Describe(errno)}");
            }
        }
    }

    private static uint Id(long? id) => id is >= 0 and <= uint.MaxValue - 1 ? (uint)id.Value : uint.MaxValue; // -1: leave unchanged

    private static string LastError() => Posix.Describe(Marshal.GetLastPInvokeError());

    private static int ReadUmask()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Umask:", StringComparison.Ordinal));
            return line is null ? 0x12 : Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0x12; // 022
        }
    }
}

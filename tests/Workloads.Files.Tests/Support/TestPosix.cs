using System.Runtime.InteropServices;
using System.Text;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>What the tests know of a file system item, read with their own libc calls (independent of the plugin's).</summary>
public sealed record PosixStat(int Mode, uint Uid, uint Gid, long Size, long Blocks, uint LinkCount, ulong Inode, long ModifyTicks, long AccessTicks)
{
    public int FileType => Mode & 0xF000;

    public bool IsDirectory => FileType == 0x4000;

    public bool IsRegular => FileType == 0x8000;

    public bool IsSymbolicLink => FileType == 0xA000;

    public int Permissions => Mode & 0xFFF;
}

/// <summary>
/// The test's own small libc layer. Long paths are reached through open directory handles as
/// <c>/proc/self/fd/N/name</c>, so every call gets a short path.
/// </summary>
public static unsafe partial class TestPosix
{
    private static readonly bool IsArm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static readonly int ODirectory = IsArm ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = IsArm ? 0x8000 : 0x20000;
    private const int OCloExec = 0x80000;
    private const int AtSymlinkNoFollow = 0x100;

    public static int OpenDirectory(string path, bool noFollow = true)
    {
        var fd = Open(path, ODirectory | OCloExec | (noFollow ? ONoFollow : 0), 0);
        return fd >= 0 ? fd : throw Error("open", path);
    }

    public static void CloseFd(int fd) => _ = Close(fd);

    /// <summary>A short path to <paramref name="name"/> in the open directory <paramref name="directoryFd"/>.</summary>
    public static string At(int directoryFd, string name) => $"/proc/self/fd/{directoryFd}/{name}";

    public static PosixStat Lstat(string path) => TryLstat(path) ?? throw Error("statx", path);

    public static PosixStat? TryLstat(string path)
    {
        var buffer = stackalloc byte[256];
        if (Statx(-100, path, AtSymlinkNoFollow, 0x7ff, buffer) != 0)
        {
            return null;
        }

        static long Ticks(byte* at) => (*(long*)at * TimeSpan.TicksPerSecond) + (*(uint*)(at + 8) / 100);
        return new PosixStat(
            Mode: *(ushort*)(buffer + 28),
            Uid: *(uint*)(buffer + 20),
            Gid: *(uint*)(buffer + 24),
            Size: *(long*)(buffer + 40),
            Blocks: *(long*)(buffer + 48),
            LinkCount: *(uint*)(buffer + 16),
            Inode: *(ulong*)(buffer + 32),
            ModifyTicks: Ticks(buffer + 112),
            AccessTicks: Ticks(buffer + 64));
    }

    public static Dictionary<string, byte[]> ListXattrs(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var size = LListXattr(path, null, 0);
        if (size <= 0)
        {
            return result;
        }

        var list = new byte[size];
        fixed (byte* p = list)
        {
            size = LListXattr(path, p, (nuint)list.Length);
        }

        foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var length = LGetXattr(path, name, null, 0);
            var value = new byte[Math.Max(0, length)];
            fixed (byte* p = value)
            {
                length = LGetXattr(path, name, p, (nuint)value.Length);
            }

            result[name] = value[..(int)Math.Max(0, length)];
        }

        return result;
    }

    public static void SetXattr(string path, string name, byte[] value)
    {
        fixed (byte* p = value)
        {
            if (LSetXattr(path, name, p, (nuint)value.Length, 0) != 0)
            {
                throw Error("lsetxattr", path);
            }
        }
    }

    public static void Lchown(string path, uint uid, uint gid)
    {
        if (LChown(path, uid, gid) != 0)
        {
            throw Error("lchown", path);
        }
    }

    public static void HardLink(string existing, string newPath)
    {
        if (Link(existing, newPath) != 0)
        {
            throw Error("link", newPath);
        }
    }

    public static void MakeFifo(string path)
    {
        if (MkFifo(path, 0x1A4) != 0)
        {
            throw Error("mkfifo", path);
        }
    }

    /// <summary>The ranges that hold data (SEEK_DATA/SEEK_HOLE) of a regular file.</summary>
    public static List<(long Offset, long Length)> DataRanges(string path)
    {
        using var file = File.OpenHandle(path);
        var fd = (int)file.DangerousGetHandle();
        var length = RandomAccess.GetLength(file);
        var ranges = new List<(long, long)>();
        long position = 0;
        while (position < length)
        {
            var data = LSeek(fd, position, 3);
            if (data < 0)
            {
                break;
            }

            var hole = Math.Min(LSeek(fd, data, 4), length);
            ranges.Add((data, hole - data));
            position = hole;
        }

        return ranges;
    }

    /// <summary>A POSIX ACL as the kernel stores it in system.posix_acl_access/default (what setfacl writes).</summary>
    public static byte[] AclXattr(params (ushort Tag, ushort Permissions, uint Id)[] entries)
    {
        var bytes = new List<byte>(BitConverter.GetBytes(2u));
        foreach (var (tag, permissions, id) in entries.OrderBy(e => e.Tag).ThenBy(e => e.Id))
        {
            bytes.AddRange(BitConverter.GetBytes(tag));
            bytes.AddRange(BitConverter.GetBytes(permissions));
            bytes.AddRange(BitConverter.GetBytes(id));
        }

        return [.. bytes];
    }

    private static IOException Error(string call, string path) =>
        new($"{call} '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LListXattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LGetXattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LSetXattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);
}

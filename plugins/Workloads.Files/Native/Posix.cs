using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Native;

/// <summary>
/// Safe wrappers over <see cref="NativeMethods"/>: open file descriptors live in <see cref="SafeFileHandle"/>s,
/// failures come back as an errno (expected outcomes) or a <see cref="PosixException"/> (the unexpected).
/// </summary>
internal static unsafe class Posix
{
    /// <summary>Decodes file names; names that are not valid UTF-8 can't be represented and are reported.</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly int DirectoryFlags = NativeMethods.ORdOnly | NativeMethods.ODirectory | NativeMethods.OCloExec;

    public static int Fd(SafeHandle handle) => (int)handle.DangerousGetHandle();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static PosixException Error(string operation, string path, int errno) => new(errno, $"{operation} '{path}': {Describe(errno)}");

    /// <summary>Opens <paramref name="path"/> relative to <paramref name="directory"/> (or the working directory).</summary>
    public static SafeFileHandle? TryOpen(SafeFileHandle? directory, string path, int flags, uint mode, out int errno)
    {
        int fd;
        do
        {
            fd = NativeMethods.OpenAt(directory is null ? NativeMethods.AtFdCwd : Fd(directory), path, flags | NativeMethods.OCloExec, mode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == 4); // EINTR

        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens a directory, following symbolic links in <paramref name="path"/> (for roots an operator named).</summary>
    public static SafeFileHandle? TryOpenDirectory(string path, out int errno) => TryOpen(null, path, DirectoryFlags, 0, out errno);

    /// <summary>Opens the directory <paramref name="name"/> inside <paramref name="parent"/>, never through a symbolic link.</summary>
    public static SafeFileHandle? TryOpenDirectoryNoFollow(SafeFileHandle parent, string name, out int errno) =>
        TryOpen(parent, name, DirectoryFlags | NativeMethods.ONoFollow, 0, out errno);

    /// <summary>statx of <paramref name="name"/> in <paramref name="directory"/> without following a link; "" means the directory itself.</summary>
    public static bool TryStat(SafeFileHandle directory, string name, out StatxBuffer stat, out int errno)
    {
        var flags = NativeMethods.AtSymlinkNoFollow | (name.Length == 0 ? NativeMethods.AtEmptyPath : 0);
        var rc = NativeMethods.Statx(Fd(directory), name, flags, NativeMethods.StatxBasicStats | NativeMethods.StatxBirthTime, out stat);
        errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
        return rc == 0;
    }

    /// <summary>statx of a path, following links (for roots an operator named).</summary>
    public static bool TryStatPath(string path, bool followLinks, out StatxBuffer stat, out int errno)
    {
        var rc = NativeMethods.Statx(NativeMethods.AtFdCwd, path, followLinks ? 0 : NativeMethods.AtSymlinkNoFollow, NativeMethods.StatxBasicStats | NativeMethods.StatxBirthTime, out stat);
        errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
        return rc == 0;
    }

    /// <summary>The entries of a directory (raw name and d_type), without "." and "..".</summary>
    public static List<DirectoryEntry> ReadDirectory(SafeFileHandle directory)
    {
        var names = new List<DirectoryEntry>();
        var copy = NativeMethods.Dup(Fd(directory));
        if (copy < 0)
        {
            throw Error("dup", "directory", Marshal.GetLastPInvokeError());
        }

        // A dup shares the file offset: start from the first entry even when this folder was read before.
        _ = NativeMethods.LSeek(copy, 0, 0);
        var dir = NativeMethods.FdOpenDir(copy);
        if (dir == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            NativeMethods.Close(copy);
            throw Error("fdopendir", "directory", errno);
        }

        try
        {
            while (true)
            {
                var entry = NativeMethods.ReadDir(dir);
                if (entry == 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != 0)
                    {
                        throw Error("readdir", "directory", errno);
                    }

                    break;
                }

                // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }

                names.Add(new DirectoryEntry(name.ToArray(), *((byte*)entry + 18)));
            }
        }
        finally
        {
            NativeMethods.CloseDir(dir);
        }

        return names;
    }

    /// <summary>The target of the symbolic link <paramref name="name"/> as raw bytes, or null when it is gone.</summary>
    public static byte[]? ReadLink(SafeFileHandle directory, string name, out int errno)
    {
        var size = 256;
        while (true)
        {
            var buffer = new byte[size];
            nint length;
            fixed (byte* p = buffer)
            {
                length = NativeMethods.ReadLinkAt(Fd(directory), name, p, (nuint)buffer.Length);
            }

            if (length < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            if (length < buffer.Length)
            {
                errno = 0;
                return buffer.AsSpan(0, (int)length).ToArray();
            }

            size *= 4;
        }
    }

    /// <summary>
    /// A path by which the l*xattr calls reach <paramref name="name"/> inside an open directory without a
    /// length limit and without following <paramref name="name"/> if it is a link.
    /// </summary>
    public static string ProcPath(SafeFileHandle directory, string name) => $"/proc/self/fd/{Fd(directory)}/{name}";

    /// <summary>Reads every extended attribute of the item at <paramref name="path"/> (a link is not followed), or of <paramref name="fd"/>.</summary>
    public static Dictionary<string, byte[]>? ReadExtendedAttributes(string? path, SafeFileHandle? fd, out int errno)
    {
        errno = 0;
        byte[] list = [];
        while (true)
        {
            var size = path is not null ? NativeMethods.LListXattr(path, null, 0) : NativeMethods.FListXattr(Fd(fd!), null, 0);
            if (size < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return errno == NativeMethods.ENotSup ? new Dictionary<string, byte[]>() : null;
            }

            if (size == 0)
            {
                return [];
            }

            list = new byte[size];
            fixed (byte* p = list)
            {
                size = path is not null ? NativeMethods.LListXattr(path, p, (nuint)list.Length) : NativeMethods.FListXattr(Fd(fd!), p, (nuint)list.Length);
            }

            if (size >= 0)
            {
                list = list.AsSpan(0, (int)size).ToArray();
                break;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != NativeMethods.ERange)
            {
                return null;
            }
        }

        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var rawName in SplitNul(list))
        {
            var name = Encoding.UTF8.GetString(rawName);
            var value = GetExtendedAttribute(path, fd, name, out var valueErrno);
            if (value is not null)
            {
                result[name] = value;
            }
            else if (valueErrno != NativeMethods.ENoData)
            {
                errno = valueErrno;
            }
        }

        return result;
    }

    private static byte[]? GetExtendedAttribute(string? path, SafeFileHandle? fd, string name, out int errno)
    {
        while (true)
        {
            var size = path is not null ? NativeMethods.LGetXattr(path, name, null, 0) : NativeMethods.FGetXattr(Fd(fd!), name, null, 0);
            if (size < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            var value = new byte[size];
            fixed (byte* p = value)
            {
                size = path is not null ? NativeMethods.LGetXattr(path, name, p, (nuint)value.Length) : NativeMethods.FGetXattr(Fd(fd!), name, p, (nuint)value.Length);
            }

            if (size >= 0)
            {
                errno = 0;
                return size == value.Length ? value : value.AsSpan(0, (int)size).ToArray();
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != NativeMethods.ERange)
            {
                return null;
            }
        }
    }

    /// <summary>Sets one extended attribute on <paramref name="fd"/> or, without one, on the item at <paramref name="path"/> (not followed).</summary>
    public static int SetExtendedAttribute(SafeFileHandle? fd, string? path, string name, byte[] value)
    {
        fixed (byte* p = value)
        {
            var rc = fd is not null
                ? NativeMethods.FSetXattr(Fd(fd), name, p, (nuint)value.Length, 0)
                : NativeMethods.LSetXattr(path!, name, p, (nuint)value.Length, 0);
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Removes one extended attribute; a missing one is no error.</summary>
    public static int RemoveExtendedAttribute(SafeFileHandle? fd, string? path, string name)
    {
        var rc = fd is not null ? NativeMethods.FRemoveXattr(Fd(fd), name) : NativeMethods.LRemoveXattr(path!, name);
        var errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        return errno == NativeMethods.ENoData ? 0 : errno;
    }

    /// <summary>The ranges holding data in a file with holes, or null when the file has none (or the file system can't tell).</summary>
    public static List<Dpm.Contracts.ByteRange>? ReadDataRanges(SafeFileHandle file, long length)
    {
        var ranges = new List<Dpm.Contracts.ByteRange>();
        long position = 0;
        while (position < length)
        {
            var data = NativeMethods.LSeek(Fd(file), position, NativeMethods.SeekData);
            if (data < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == NativeMethods.ENxio)
                {
                    break; // only a hole remains
                }

                return null;
            }

            var hole = NativeMethods.LSeek(Fd(file), data, NativeMethods.SeekHole);
            if (hole < 0)
            {
                return null;
            }

            hole = Math.Min(hole, length);
            if (hole > data)
            {
                ranges.Add(new Dpm.Contracts.ByteRange(data, hole - data));
            }

            position = hole;
        }

        return ranges.Count == 1 && ranges[0].Offset == 0 && ranges[0].Length == length ? null : ranges;
    }

    public static DateTimeOffset? ToTime(in StatxTimestamp timestamp)
    {
        try
        {
            return DateTimeOffset.UnixEpoch.AddTicks(checked((timestamp.Seconds * TimeSpan.TicksPerSecond) + (timestamp.Nanoseconds / 100)));
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    public static TimeSpec ToTimeSpec(DateTimeOffset? time)
    {
        if (time is null)
        {
            return new TimeSpec { Seconds = 0, Nanoseconds = NativeMethods.UtimeOmit };
        }

        var ticks = time.Value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }

        return new TimeSpec { Seconds = seconds, Nanoseconds = rest * 100 };
    }

    private static IEnumerable<byte[]> SplitNul(byte[] list)
    {
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] == 0)
            {
                if (i > start)
                {
                    yield return list[start..i];
                }

                start = i + 1;
            }
        }
    }
}

/// <summary>One directory entry: its raw name and its d_type (<see cref="DirectoryEntry.TypeUnknown"/> when the file system doesn't say).</summary>
internal readonly record struct DirectoryEntry(byte[] Name, byte Type)
{
    public const byte TypeUnknown = 0;
    public const byte TypeDirectory = 4;
}

/// <summary>A failed libc call that was not an expected outcome.</summary>
internal sealed class PosixException : IOException
{
    public PosixException(int errno, string message)
        : base(message) => Errno = errno;

    public PosixException()
    {
    }

    public PosixException(string message)
        : base(message)
    {
    }

    public PosixException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Errno { get; }
}

using System.Runtime.InteropServices;

namespace Dpm.Storage.Disk;

/// <summary>The few Linux calls .NET doesn't offer: link without overwrite, unlink with its errno, fsync of a folder.</summary>
internal static partial class Native
{
    public const int ENOENT = 2;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOSPC = 28;
    public const int EDQUOT = 122;
    private const int EPERM = 1;
    private const int EINTR = 4;
    private const int EOPNOTSUPP = 95;

    private const int AT_FDCWD = -100;
    private const uint RENAME_NOREPLACE = 1;
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;

    // O_DIRECTORY is 0200000 on x86 and most architectures, 040000 on ARM.
    private static readonly int ODirectory =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x4000 : 0x10000;

    /// <summary>
    /// Gives the file <paramref name="source"/> the name <paramref name="target"/> unless that name exists: one atomic
    /// step, so of two writers of one name exactly one wins. False when the name exists.
    /// </summary>
    public static bool TryLinkNoReplace(string source, string target)
    {
        if (Link(source, target) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is EPERM or EOPNOTSUPP)
        {
            // a file system without hard links: rename without replacing does the same in one step
            if (RenameAt2(AT_FDCWD, source, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
            {
                return true;
            }

            errno = Marshal.GetLastPInvokeError();
        }

        return errno == EEXIST ? false : throw Failure(errno, $"can't link '{source}' to '{target}'");
    }

    /// <summary>Removes a file; the errno when it fails (0 when it worked).</summary>
    public static int Unlink(string path) => UnlinkFile(path) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Makes the entries of a folder (files added, renamed, removed) durable.</summary>
    public static void FsyncDirectory(string path)
    {
        int fd;
        do
        {
            fd = Open(path, O_RDONLY | ODirectory | O_CLOEXEC, 0);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            throw Failure(Marshal.GetLastPInvokeError(), $"can't open the folder '{path}'");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw Failure(Marshal.GetLastPInvokeError(), $"can't flush the folder '{path}' to disk");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    public static IOException Failure(int errno, string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkFile(string path);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Protection;

/// <summary>
/// Reads that bypass the page cache (O_DIRECT, switched on for an open file with fcntl): the kernel reads
/// into the buffer itself instead of copying from the cache, and a backup doesn't push the computer's working
/// set out of memory. Buffers must be aligned, and so must offsets and lengths.
/// </summary>
internal static partial class DirectIo
{
    public const int Alignment = 4096;
    private const int GetFlags = 3;
    private const int SetFlags = 4;
    private static readonly ConcurrentBag<byte[]> Spare = [];

    // O_DIRECT differs between architectures.
    private static int DirectFlag => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    /// <summary>Switches direct reads on for <paramref name="file"/>; false where the file system doesn't have them.</summary>
    public static bool TryEnable(SafeFileHandle file) => OperatingSystem.IsLinux() && Change(file, on: true);

    /// <summary>Switches direct reads off again (the file system refused one).</summary>
    public static void Disable(SafeFileHandle file) => Change(file, on: false);

    /// <summary>A pinned buffer with <paramref name="size"/> aligned bytes from the returned start.</summary>
    public static (byte[] Buffer, int Start) Rent(int size)
    {
        var buffer = Spare.TryTake(out var spare) && spare.Length == size + Alignment ? spare : GC.AllocateUninitializedArray<byte>(size + Alignment, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        return (buffer, (int)((Alignment - (address % Alignment)) % Alignment));
    }

    public static void Return(byte[] buffer)
    {
        if (Spare.Count < 16)
        {
            Spare.Add(buffer);
        }
    }

    private static bool Change(SafeFileHandle file, bool on)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var fd = (int)file.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            return flags >= 0 && Fcntl(fd, SetFlags, on ? flags | DirectFlag : flags & ~DirectFlag) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "fcntl")]
    private static extern int Fcntl(int fd, int command, int argument);
}

using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Storage.Disk;

/// <summary>
/// Writes a large object with O_DIRECT: the data goes from an aligned buffer straight to the disk instead of
/// being copied into the page cache first, which for packs (written once, read rarely) saves a memory copy
/// per byte and leaves the cache to the data being backed up. Where the file system refuses O_DIRECT,
/// nothing is created and the caller writes the usual way.
/// </summary>
internal static partial class DirectWrite
{
    private const int Alignment = 4096;
    private const int BufferSize = 4 << 20;
    private const int EINVAL = 22;
    private const int OWrOnly = 1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int OCloexec = 0x80000;

    // O_DIRECT is 040000 on x86, 0200000 on ARM.
    private static readonly int ODirect = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x10000 : 0x4000;

    /// <summary>Writes all of <paramref name="content"/> to the new file <paramref name="path"/>, durably; false when O_DIRECT isn't supported here.</summary>
    public static async Task<bool> TryWriteAsync(string path, Stream content, Action<long> progress, CancellationToken cancellationToken)
    {
        var fd = Open(path, OWrOnly | OCreat | OExcl | ODirect | OCloexec, 0x1A4);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == EINVAL ? false : throw Native.Failure(errno, $"can't create '{path}'");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        using var buffer = new AlignedBuffer(BufferSize, Alignment);
        long written = 0;
        while (true)
        {
            var filled = 0;
            int n;
            while (filled < BufferSize && (n = await content.ReadAsync(buffer.Memory[filled..], cancellationToken)) > 0)
            {
                filled += n;
            }

            if (filled == 0)
            {
                break;
            }

            // O_DIRECT writes whole blocks: pad the last one with zeros, and cut the file to its length below.
            var padded = (filled + Alignment - 1) / Alignment * Alignment;
            buffer.Memory.Span[filled..padded].Clear();
            RandomAccess.Write(handle, buffer.Memory.Span[..padded], written);
            written += filled;
            progress(written);
            if (filled < BufferSize)
            {
                break;
            }
        }

        if (written % Alignment != 0 && FTruncate(fd, written) != 0)
        {
            throw Native.Failure(Marshal.GetLastPInvokeError(), $"can't set the length of '{path}'");
        }

        if (Fsync(fd) != 0)
        {
            throw Native.Failure(Marshal.GetLastPInvokeError(), $"can't flush '{path}' to disk");
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    /// <summary>Native memory aligned for O_DIRECT, exposed as <see cref="Memory{T}"/>.</summary>
    private sealed unsafe class AlignedBuffer : MemoryManager<byte>
    {
        private readonly int _length;
        private void* _pointer;

        public AlignedBuffer(int length, int alignment)
        {
            _length = length;
            _pointer = NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
        }

        public override Span<byte> GetSpan() => new(_pointer, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new((byte*)_pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (_pointer is not null)
            {
                NativeMemory.AlignedFree(_pointer);
                _pointer = null;
            }
        }
    }
}

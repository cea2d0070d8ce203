using System.Buffers;
using System.Runtime.InteropServices;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Recovery;

/// <summary>
/// Writes an item's data from the recovery point into a new file: all of it, or for a sparse item its length
/// and only its data ranges, so that holes stay holes.
/// </summary>
internal static class ItemDataWriter
{
    private const int CopyBufferSize = 1 << 20;

    /// <summary>Copies the data; returns how many bytes the recovery point held for the item and how many were written.</summary>
    public static async Task<(long Length, long Written)> CopyAsync(Stream data, SafeFileHandle file, ProtectedItem item, CancellationToken cancellationToken)
    {
        var ranges = UsableRanges(item);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long position = 0;
            long written = 0;
            if (ranges is null)
            {
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), position, cancellationToken);
                    position += read;
                }

                return (position, position);
            }

            // Sparse: set the length, write only the data ranges, and leave the holes as holes.
            if (NativeMethods.FTruncate(Posix.Fd(file), item.Length) != 0)
            {
                throw new IOException($"can't set the length of the sparse file: {LastError()}");
            }

            foreach (var range in ranges)
            {
                position += await SkipAsync(data, range.Offset - position, buffer, cancellationToken);
                if (position != range.Offset)
                {
                    break; // the data ended early; the length check reports it
                }

                var remaining = range.Length;
                while (remaining > 0)
                {
                    var read = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), position, cancellationToken);
                    position += read;
                    written += read;
                    remaining -= read;
                }
            }

            position += await SkipAsync(data, long.MaxValue, buffer, cancellationToken);
            return (position, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Passes over up to <paramref name="count"/> bytes of the data (a hole); returns how many there were.</summary>
    private static async Task<long> SkipAsync(Stream data, long count, byte[] buffer, CancellationToken cancellationToken)
    {
        if (data.CanSeek)
        {
            var skipped = Math.Min(count, Math.Max(0, data.Length - data.Position));
            data.Seek(skipped, SeekOrigin.Current);
            return skipped;
        }

        long total = 0;
        while (total < count)
        {
            var read = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - total)), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>The item's data ranges when they are well-formed (sorted, apart, inside the length); otherwise the whole file is written.</summary>
    private static IReadOnlyList<ByteRange>? UsableRanges(ProtectedItem item)
    {
        var ranges = item.Metadata?.DataRanges;
        if (ranges is null)
        {
            return null;
        }

        long end = 0;
        foreach (var range in ranges)
        {
            if (range.Offset < end || range.Length < 0 || range.End > item.Length)
            {
                return null;
            }

            end = range.End;
        }

        return ranges;
    }

    private static string LastError() => Posix.Describe(Marshal.GetLastPInvokeError());
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dpm.Storage.Chunking;

/// <summary>
/// Content-defined chunking with FastCDC's gear hash and normalized chunking: cut points depend on the
/// content, so an insertion shifts only the chunks around it. Sizes between <see cref="MinSize"/> and
/// <see cref="MaxSize"/>, averaging about <see cref="AverageSize"/> (defaults 128 KiB / 256 KiB / 1 MiB: a page
/// written inside a large file costs one rebuilt chunk, so chunks are small enough that an express full of a
/// database or disk image stores little more than its changes).
/// The gear table is fixed forever: changing it would change every chunk boundary and defeat dedup
/// against existing pools.
/// </summary>
public sealed class FastCdcChunker : IChunker
{
    public const int DefaultMinSize = 128 << 10;
    public const int DefaultAverageSize = 256 << 10;
    public const int DefaultMaxSize = 1 << 20;

    private static readonly ulong[] Gear = BuildGear();
    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    public FastCdcChunker(int minSize = DefaultMinSize, int averageSize = DefaultAverageSize, int maxSize = DefaultMaxSize)
    {
        if (minSize < 64 || averageSize <= minSize || maxSize <= averageSize || !int.IsPow2(averageSize))
        {
            throw new ArgumentException($"chunk sizes must be 64 <= min < average < max with average a power of two (got {minSize}/{averageSize}/{maxSize})");
        }

        MinSize = minSize;
        AverageSize = averageSize;
        MaxSize = maxSize;
        var bits = int.Log2(averageSize);
        _maskSmall = TopBits(bits + 2); // harder to match before the average size
        _maskLarge = TopBits(bits - 2); // easier after it
    }

    public int MinSize { get; }

    public int AverageSize { get; }

    public int MaxSize { get; }

    public int NextChunkLength(ReadOnlySpan<byte> data, bool endOfStream)
    {
        if (data.Length <= MinSize)
        {
            return data.Length;
        }

        var limit = Math.Min(data.Length, MaxSize);
        var normal = Math.Min(AverageSize, limit);

        // The hot loop: no bounds checks (every index is below limit <= data.Length, and bytes index a 256-entry table).
        ref var bytes = ref MemoryMarshal.GetReference(data);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ulong hash = 0;
        var i = MinSize;
        for (; i < normal; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((hash & _maskSmall) == 0)
            {
                return i + 1;
            }
        }

        for (; i < limit; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, i));
            if ((hash & _maskLarge) == 0)
            {
                return i + 1;
            }
        }

        return limit;
    }

    // The hash shifts left, so its high bits depend on the last 64 bytes: match on the top bits.
    private static ulong TopBits(int count) => ulong.MaxValue << (64 - count);

    private static ulong[] BuildGear()
    {
        // SplitMix64 from a fixed seed: the same table on every machine and in every version.
        var table = new ulong[256];
        var state = 0x9E3779B97F4A7C15UL ^ 0x44504D43444300UL; // "DPMCDC"
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }

        // Zero bytes add nothing, so inside a run of zeros (sparse regions, unallocated database and disk space)
        // the hash is 0 and every position is a cut point: zero runs split at the minimum size, and an edit next to
        // one doesn't drag a maximum-size chunk of zeros along with it.
        table[0] = 0;
        return table;
    }
}

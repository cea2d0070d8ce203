using System.Buffers.Binary;
using System.Numerics;

namespace Dpm.Bench.Dataset;

/// <summary>
/// xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64, written out here so the dataset is the same
/// bytes on every machine and every .NET version (System.Random makes that promise only for its legacy seeded
/// algorithm, and not for every member). Only integer arithmetic and IEEE multiplications are used: no Math.Log or
/// Math.Exp, whose last bit may differ between C libraries.
/// </summary>
internal sealed class Prng
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;

    public Prng(ulong seed)
    {
        var x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    /// <summary>An independent generator for one item (a file, a page) of one stream of one seed.</summary>
    public static Prng For(ulong seed, ulong stream, ulong index) => new(Mix(Mix(seed, stream), index));

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, maxExclusive) (Lemire's multiply-shift; the bias is far below what matters here).</summary>
    public int Next(int maxExclusive) => (int)(((NextUInt64() >> 32) * (uint)maxExclusive) >> 32);

    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public long NextInt64(long min, long maxExclusive) =>
        min + (long)(ulong)(((UInt128)NextUInt64() * (ulong)(maxExclusive - min)) >> 64);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>
    /// Roughly log-uniform in [min, max]: an octave (a doubling) is picked uniformly, then a value uniformly inside
    /// it, so there are as many 1–2 KiB files as 32–64 KiB files, as on real file servers.
    /// </summary>
    public long OctaveUniform(long min, long max)
    {
        var octaves = 0;
        for (var v = min; v < max; v *= 2)
        {
            octaves++;
        }

        var low = min << Next(octaves);
        var high = Math.Min(low * 2, max);
        return NextInt64(low, high + 1);
    }

    public void Fill(Span<byte> buffer)
    {
        var whole = buffer.Length & ~7;
        for (var i = 0; i < whole; i += sizeof(ulong))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[i..], NextUInt64());
        }

        var tail = buffer[whole..];
        if (tail.Length > 0)
        {
            Span<byte> last = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(last, NextUInt64());
            last[..tail.Length].CopyTo(tail);
        }
    }

    private static ulong Mix(ulong a, ulong b)
    {
        var x = a ^ ((b + 1) * Golden);
        return SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += Golden;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using System.Buffers;

namespace Dpm.Storage;

/// <summary>
/// A chunk's plaintext in a buffer borrowed from a pool: chunks are about a megabyte each, and allocating
/// one array per chunk would fill the large object heap during restores and verification. Dispose it.
/// </summary>
public sealed class PooledChunk : IDisposable
{
    /// <summary>The pool for chunk-sized buffers, with a bounded number kept per size.</summary>
    internal static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create((16 << 20) + (1 << 20), 8);

    private byte[]? _buffer;

    internal PooledChunk(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    /// <summary>A chunk whose plaintext came from elsewhere (over the network): copied into a pooled buffer.</summary>
    public static PooledChunk CopyOf(ReadOnlySpan<byte> plaintext)
    {
        var buffer = Buffers.Rent(plaintext.Length);
        plaintext.CopyTo(buffer);
        return new PooledChunk(buffer, plaintext.Length);
    }

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(PooledChunk))).AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledChunk))).AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            Buffers.Return(buffer);
        }
    }
}

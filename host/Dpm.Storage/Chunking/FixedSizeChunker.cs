namespace Dpm.Storage.Chunking;

/// <summary>
/// Fixed-size chunks aligned to the start of the item (default 4 MiB), for disk and virtual machine images:
/// a changed-block list maps straight to the chunks it touches.
/// </summary>
public sealed class FixedSizeChunker : IChunker
{
    public const int DefaultSize = 4 << 20;

    public FixedSizeChunker(int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 4096);
        MaxSize = size;
    }

    public int MaxSize { get; }

    public int NextChunkLength(ReadOnlySpan<byte> data, bool endOfStream) => Math.Min(data.Length, MaxSize);
}

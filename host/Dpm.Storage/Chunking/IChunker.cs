namespace Dpm.Storage.Chunking;

/// <summary>
/// Splits a stream into chunks. The caller hands over the bytes from the start of the next chunk; unless the
/// stream ends, it hands over at least <see cref="MaxSize"/> bytes.
/// </summary>
public interface IChunker
{
    /// <summary>The largest chunk this chunker returns.</summary>
    int MaxSize { get; }

    /// <summary>
    /// The length of the chunk at the start of <paramref name="data"/>. <paramref name="endOfStream"/> says that
    /// <paramref name="data"/> holds the rest of the stream, so the last chunk may be short.
    /// </summary>
    int NextChunkLength(ReadOnlySpan<byte> data, bool endOfStream);
}

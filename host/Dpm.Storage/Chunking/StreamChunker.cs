namespace Dpm.Storage.Chunking;

/// <summary>Cuts a stream into chunks with a chunker, through one buffer, handing each chunk on as it is cut.</summary>
public static class StreamChunker
{
    /// <summary>
    /// Reads <paramref name="content"/> to its end into <paramref name="buffer"/> (at least twice the chunker's
    /// largest chunk), calls <paramref name="addChunk"/> for each chunk in order, and returns their ids;
    /// <paramref name="onRead"/> hears of every read.
    /// </summary>
    public static async Task<IReadOnlyList<ChunkId>> ChunkAsync(
        Stream content, IChunker chunker, byte[] buffer, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<ChunkId>> addChunk, Action<int> onRead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(chunker);
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(addChunk);
        ArgumentNullException.ThrowIfNull(onRead);
        var chunks = new List<ChunkId>();
        var filled = 0;
        var endOfStream = false;
        while (true)
        {
            while (!endOfStream && filled < buffer.Length)
            {
                var n = await content.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                endOfStream = n == 0;
                filled += n;
                onRead(n);
            }

            var position = 0;
            while (filled - position > 0 && (endOfStream || filled - position >= chunker.MaxSize))
            {
                var length = chunker.NextChunkLength(buffer.AsSpan(position, filled - position), endOfStream);
                chunks.Add(await addChunk(buffer.AsMemory(position, length), cancellationToken));
                position += length;
            }

            Buffer.BlockCopy(buffer, position, buffer, 0, filled - position);
            filled -= position;
            if (endOfStream && filled == 0)
            {
                return chunks;
            }
        }
    }
}

using System.Buffers;
using Dpm.Storage.Chunking;

namespace Dpm.Storage;

/// <summary>
/// Rebuilds a file's chunk list from its previous one and the byte ranges that changed (a workload with block
/// change tracking knows them): untouched chunks are kept, touched ones rebuilt from their old content with the
/// changed bytes over it, growth chunked as usual. Whoever writes the recovery point says where old chunks come
/// from and where new ones go.
/// </summary>
public static class ChunkPatcher
{
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(FastCdcChunker.DefaultMaxSize, 8);

    /// <summary>Where a patch reads old chunks from and puts new ones.</summary>
    /// <param name="Chunks">The old chunks and their lengths.</param>
    /// <param name="Has">Whether a chunk can be used as it is (the target has it).</param>
    /// <param name="AddChunk">Stores a new chunk and returns its id.</param>
    /// <param name="StoreRest">Chunks and stores the growth past the old end.</param>
    /// <param name="OnRead">Hears of the bytes read from the source.</param>
    public sealed record Target(
        IChunkSource Chunks,
        Func<ChunkId, bool> Has,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<ChunkId>> AddChunk,
        Func<Stream, CancellationToken, Task<IReadOnlyList<ChunkId>>> StoreRest,
        Action<long> OnRead);

    /// <summary>The new chunk list, or null when an old chunk's length isn't known (then read the whole file).</summary>
    public static async Task<IReadOnlyList<ChunkId>?> PatchAsync(
        Target target, IReadOnlyList<ChunkId> previous, Stream source, long length, IReadOnlyList<Dpm.Contracts.ByteRange> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(changed);
        var sizes = new long[previous.Count];
        for (var i = 0; i < previous.Count; i++)
        {
            if (!target.Chunks.TryGetChunkLength(previous[i], out var size))
            {
                return null;
            }

            sizes[i] = size;
        }

        // Which old chunks are kept as they are, and which are rebuilt (their old content loaded ahead, a few at a time).
        var plan = new List<(int Index, long Start, long KeptEnd, List<Dpm.Contracts.ByteRange>? Touching)>();
        long start = 0;
        for (var i = 0; i < previous.Count && start < length; start += sizes[i], i++)
        {
            var end = start + sizes[i];
            var keptEnd = Math.Min(end, length);
            var touching = changed.Where(r => r.Length > 0 && r.Offset < keptEnd && r.End > start).ToList();
            var reusable = touching.Count == 0 && keptEnd == end && target.Has(previous[i]);
            plan.Add((i, start, keptEnd, reusable ? null : touching));
        }

        var loads = new Queue<Task<PooledChunk>>();
        var toLoad = plan.Where(p => p.Touching is not null).Select(p => previous[p.Index]).ToList();
        var nextLoad = 0;
        void LoadAhead()
        {
            while (loads.Count < 4 && nextLoad < toLoad.Count)
            {
                var id = toLoad[nextLoad++];
                loads.Enqueue(Task.Run(() => target.Chunks.LoadPooledChunkAsync(id, cancellationToken), cancellationToken));
            }
        }

        var chunks = new List<ChunkId>(previous.Count);
        try
        {
            LoadAhead();
            foreach (var (index, chunkStart, keptEnd, touching) in plan)
            {
                if (touching is null)
                {
                    chunks.Add(previous[index]);
                    continue;
                }

                using var old = await loads.Dequeue();
                LoadAhead();
                var chunkLength = (int)(keptEnd - chunkStart);
                var patched = Buffers.Rent(chunkLength);
                try
                {
                    old.Span[..chunkLength].CopyTo(patched);
                    foreach (var range in touching)
                    {
                        var from = Math.Max(range.Offset, chunkStart);
                        var to = Math.Min(range.End, keptEnd);
                        source.Position = from;
                        await source.ReadExactlyAsync(patched.AsMemory((int)(from - chunkStart), (int)(to - from)), cancellationToken);
                        target.OnRead(to - from);
                    }

                    chunks.Add(await target.AddChunk(patched.AsMemory(0, chunkLength), cancellationToken));
                }
                finally
                {
                    Buffers.Return(patched);
                }
            }
        }
        finally
        {
            while (loads.TryDequeue(out var pending))
            {
                _ = pending.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }

        if (length > start)
        {
            // The file grew: chunk what is new as a stream of its own.
            source.Position = start;
            chunks.AddRange(await target.StoreRest(new BoundedStream(source, length - start), cancellationToken));
        }

        return chunks;
    }

    /// <summary>A window of a stream from its current position, <paramref name="size"/> bytes long.</summary>
    private sealed class BoundedStream(Stream inner, long size) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => size;

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, size - _read)]);
            _read += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, size - _read)], cancellationToken);
            _read += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Runtime.CompilerServices;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Manifests;

namespace Dpm.Storage;

/// <summary>
/// A committed recovery point as a workload plugin sees it for browsing and recovery. Item data comes back
/// through <see cref="ChunkStream"/>, which checks every chunk: damage is an error, never wrong data.
/// </summary>
public sealed class RecoveryPointReader : IRecoverySource
{
    private readonly Dictionary<string, (ManifestItem Item, int FirstChunk)> _byPath;
    private readonly ChunkPrefetcher _prefetcher;

    /// <summary>A recovery point whose chunks come from <paramref name="chunks"/> (the pool, or a server over the network).</summary>
    public RecoveryPointReader(IChunkSource chunks, RecoveryPointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(manifest);
        Manifest = manifest;
        _byPath = new(manifest.Items.Count, StringComparer.Ordinal);
        var sequence = new List<ChunkId>();
        foreach (var item in manifest.Items)
        {
            _byPath[item.Item.Path] = (item, sequence.Count);
            sequence.AddRange(item.Chunks);
        }

        _prefetcher = new ChunkPrefetcher(chunks, sequence);
        DataSource = new DataSource { Id = manifest.DataSourceId, Name = manifest.DataSourceName, Kind = "RecoveryPoint" };
    }

    public RecoveryPointManifest Manifest { get; }

    public DataSource DataSource { get; }

    public RecoveryPointInfo RecoveryPoint => Manifest.ToInfo();

    public IReadOnlyList<RecoveryPointInfo> Chain => [];

    public async IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        await Task.CompletedTask;
        foreach (var item in Manifest.Items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Item.Path.StartsWith(pathPrefix, StringComparison.Ordinal))
            {
                yield return item.Item;
            }
        }
    }

    public ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_byPath.TryGetValue(path, out var entry) ? entry.Item.Item : null);

    public ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream?>(_byPath.TryGetValue(path, out var entry)
            ? new ChunkStream(_prefetcher, entry.FirstChunk, entry.Item.Chunks.Count, entry.Item.Item.Length, path)
            : null);
}

/// <summary>
/// Fetches the chunks of a recovery point ahead of the reader, across items: a recovery writes items in
/// manifest order, so while one file is written the next files' chunks are already being read, decrypted and
/// decompressed, a few at a time. Reads out of order still work; they just aren't fetched ahead.
/// </summary>
internal sealed class ChunkPrefetcher(IChunkSource pool, IReadOnlyList<ChunkId> sequence)
{
    private const int AheadChunks = 16;
    private const long AheadBytes = 48L << 20;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, (Task<PooledChunk> Load, long Bytes)> _ahead = [];
    private int _issued;
    private long _bytesAhead;

    /// <summary>The chunk at <paramref name="index"/> of the sequence; the caller disposes it.</summary>
    public Task<PooledChunk> TakeAsync(int index, CancellationToken cancellationToken)
    {
        Task<PooledChunk>? load = null;
        lock (_gate)
        {
            // Anything fetched for positions before this one will not be asked for: let it go.
            while (_ahead.Count > 0 && _ahead.Keys.First() < index)
            {
                Drop(_ahead.Keys.First());
            }

            if (_ahead.Remove(index, out var ready))
            {
                load = ready.Load;
                _bytesAhead -= ready.Bytes;
            }

            if (_issued <= index)
            {
                _issued = index + 1;
            }

            while (_issued < sequence.Count && _ahead.Count < AheadChunks && _bytesAhead < AheadBytes && _issued - index <= AheadChunks * 4)
            {
                var id = sequence[_issued];
                var bytes = pool.TryGetChunkLength(id, out var length) ? length : 1L << 20;
                _ahead[_issued++] = (Task.Run(() => pool.LoadPooledChunkAsync(id, CancellationToken.None), CancellationToken.None), bytes);
                _bytesAhead += bytes;
            }
        }

        return load ?? pool.LoadPooledChunkAsync(sequence[index], cancellationToken);
    }

    private void Drop(int index)
    {
        var (load, bytes) = _ahead[index];
        _ahead.Remove(index);
        _bytesAhead -= bytes;
        load.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        load.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
    }
}

/// <summary>Reads an item's chunks in order through the recovery point's prefetcher; every chunk is checked.</summary>
public sealed class ChunkStream : Stream
{
    private readonly ChunkPrefetcher _prefetcher;
    private readonly int _first;
    private readonly int _count;
    private readonly string _path;
    private int _next;
    private PooledChunk? _current;
    private int _offset;
    private long _position;

    internal ChunkStream(ChunkPrefetcher prefetcher, int first, int count, long length, string path)
    {
        _prefetcher = prefetcher;
        _first = first;
        _count = count;
        Length = length;
        _path = path;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_current is null || _offset == _current.Length)
        {
            if (!await NextChunkAsync(cancellationToken))
            {
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _current!.Length - _offset);
        _current.Memory.Slice(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            _current = null;
        }

        base.Dispose(disposing);
    }

    private async Task<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        _current?.Dispose();
        _current = null;
        if (_next == _count)
        {
            if (_position != Length)
            {
                throw new PoolDataException($"'{_path}' is damaged in the recovery point: its chunks hold {_position} bytes, not {Length}");
            }

            return false;
        }

        try
        {
            _current = await _prefetcher.TakeAsync(_first + _next++, cancellationToken);
        }
        catch (PoolDataException ex)
        {
            throw new PoolDataException($"'{_path}' can't be read: {ex.Message}", ex);
        }

        _offset = 0;
        return true;
    }
}

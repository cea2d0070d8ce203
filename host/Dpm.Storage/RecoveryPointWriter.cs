using System.Buffers;
using System.Threading.Channels;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Chunking;
using Dpm.Storage.Manifests;
using Dpm.Storage.Packs;
using ZstdSharp;

namespace Dpm.Storage;

/// <summary>
/// Writes one recovery point. The caller adds items in order (one at a time); file data is read, chunked
/// and hashed on the caller's thread, and chunks the pool doesn't have yet go through a bounded channel to
/// workers (one per core) that compress, encrypt and pack them; full packs are written while the next one
/// fills. Memory stays bounded by the channel and the pack buffers. Nothing is visible until
/// <see cref="CommitAsync"/> writes the index segment and then the manifest.
/// </summary>
public sealed class RecoveryPointWriter : IRecoveryPointSink
{
    private readonly StoragePool _pool;
    private readonly RecoveryPointDraft _draft;
    private readonly WriterLease _lease;
    private readonly Channel<RawChunk> _chunks;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _abort = new();
    private readonly List<ManifestItem> _items = [];
    private readonly HashSet<ChunkId> _queued = [];
    private readonly List<KeyValuePair<string, IReadOnlyList<PackEntry>>> _written = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _packGate = new(1, 1);
    private PackBuffer _pack;
    private PackBuffer _spare;
    private Task? _pendingWrite;
    private readonly IChunker _contentDefined;
    private byte[] _readBuffer;
    private long _bytes;
    private long _bytesRead;
    private long _newChunks;
    private long _newBytes;
    private long _storedBytes;
    private bool _finished;

    private RecoveryPointWriter(StoragePool pool, RecoveryPointDraft draft, WriterLease lease)
    {
        _pool = pool;
        _draft = draft;
        _lease = lease;
        _contentDefined = pool.CreateContentDefinedChunker();
        _readBuffer = ArrayPool<byte>.Shared.Rent(2 * Math.Max(pool.Config.ChunkMaxSize, pool.Config.FixedChunkSize));
        var workers = draft.Workers > 0 ? draft.Workers : Environment.ProcessorCount;
        // All workers fill one pack while the previous one is written: two pack buffers in all.
        _pack = new PackBuffer(pool.Config.PackSize + (64 << 10));
        _spare = new PackBuffer(pool.Config.PackSize + (64 << 10));
        // About 4 MiB of chunks wait for the workers (whatever the chunk size), so a worker rarely waits for the reader.
        _chunks = Channel.CreateBounded<RawChunk>(new BoundedChannelOptions(Math.Clamp((4 << 20) / pool.Config.ChunkAverageSize, workers * 2, QueuedChunks)) { SingleWriter = true });
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(_abort.Token)))];
    }

    /// <summary>Buffers for chunks on their way to the workers: a private pool, so that what it keeps is bounded.</summary>
    private static readonly ArrayPool<byte> ChunkBuffers = ArrayPool<byte>.Create(FastCdcChunker.DefaultMaxSize, QueuedChunks + 4);

    private const int QueuedChunks = 16;

    /// <summary>How long a writer's lease runs before it must be renewed.</summary>
    public static TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(10);

    public RecoveryPointStats Stats => new()
    {
        Items = _items.Count,
        Bytes = Interlocked.Read(ref _bytes),
        BytesRead = Interlocked.Read(ref _bytesRead),
        NewChunks = Interlocked.Read(ref _newChunks),
        NewBytes = Interlocked.Read(ref _newBytes),
        StoredBytes = Interlocked.Read(ref _storedBytes),
    };

    internal static async Task<RecoveryPointWriter> StartAsync(StoragePool pool, RecoveryPointDraft draft, CancellationToken cancellationToken)
    {
        // Lease first, then learn what garbage collection condemned: a collection that condemns packs after
        // this point sees the lease and keeps those packs until this writer is done.
        var lease = await WriterLease.TakeAsync(pool.Store, pool.Time, LeaseDuration, cancellationToken);
        try
        {
            pool.Index.SetCondemned(await GarbageCollector.ReadCondemnedPacksAsync(pool, cancellationToken));
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }

        return new RecoveryPointWriter(pool, draft, lease);
    }

    /// <summary>
    /// Reads <paramref name="content"/> to its end, stores the chunks the pool lacks, and returns the chunk list;
    /// add the item with <see cref="Add"/> once it is known to be consistent. Disk and VM images use fixed-size
    /// chunks (<paramref name="fixedSize"/>), files content-defined ones.
    /// </summary>
    public async Task<IReadOnlyList<ChunkId>> StoreDataAsync(Stream content, bool fixedSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ThrowIfFinished();
        var chunker = fixedSize ? _pool.CreateFixedSizeChunker() : _contentDefined;
        return await StreamChunker.ChunkAsync(content, chunker, _readBuffer, AddChunkAsync, n => Interlocked.Add(ref _bytesRead, n), cancellationToken);
    }

    /// <summary>
    /// Stores a new version of a file from its previous chunk list and the byte ranges that changed since: the
    /// chunks no range touches are reused as they are; a touched chunk is rebuilt from its old content with the
    /// changed bytes read from <paramref name="source"/> over it; bytes past the old end are chunked as usual.
    /// Only the changed ranges (and any growth) are read from the source. Returns null when an old chunk's size
    /// isn't known (then read the whole file).
    /// </summary>
    public Task<IReadOnlyList<ChunkId>?> StorePatchedAsync(
        IReadOnlyList<ChunkId> previous, Stream source, long length, IReadOnlyList<Dpm.Contracts.ByteRange> changed, CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        return ChunkPatcher.PatchAsync(
            new ChunkPatcher.Target(_pool, Contains, AddChunkAsync, (rest, ct) => StoreDataAsync(rest, fixedSize: false, ct), n => Interlocked.Add(ref _bytesRead, n)),
            previous, source, length, changed, cancellationToken);
    }

    /// <summary>Adds an item with the chunks <see cref="StoreDataAsync"/> returned for it (none for folders and links).</summary>
    public void Add(ProtectedItem item, IReadOnlyList<ChunkId> chunks)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(chunks);
        ThrowIfFinished();
        AddItem(item, chunks);
    }

    /// <summary>
    /// Adds an item whose data is already in the pool (an unchanged file, by the chunk list of the previous
    /// recovery point). False when a chunk is not in the pool (or only in condemned packs): read the data then.
    /// </summary>
    public bool TryAddExisting(ProtectedItem item, IReadOnlyList<ChunkId> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ThrowIfFinished();
        lock (_gate)
        {
            if (!chunks.All(c => _pool.Index.TryGet(c, out _) || _queued.Contains(c)))
            {
                return false;
            }
        }

        AddItem(item, chunks);
        return true;
    }

    /// <summary>
    /// Stores a chunk made elsewhere (by an agent) under the id it came with, after checking that the data is
    /// what the id says: a chunk that doesn't match is refused, never stored. False when the pool already had it.
    /// </summary>
    public async ValueTask<bool> StoreChunkAsync(ChunkId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        if (data.Length > Math.Max(_pool.Config.ChunkMaxSize, _pool.Config.FixedChunkSize))
        {
            throw new InvalidDataException($"chunk {id} is {data.Length} bytes, more than the pool's largest chunk");
        }

        if (ChunkId.Compute(data.Span) != id)
        {
            throw new InvalidDataException($"the data sent as chunk {id} is not that chunk (its hash differs)");
        }

        return await EnqueueAsync(id, data, cancellationToken);
    }

    /// <summary>Counts bytes read from the data source elsewhere (by an agent) into this recovery point's statistics.</summary>
    public void AddBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    /// <summary>Whether the pool has a chunk (not in a condemned pack) or this writer is storing it.</summary>
    public bool Contains(ChunkId id)
    {
        lock (_gate)
        {
            return _pool.Index.TryGet(id, out _) || _queued.Contains(id);
        }
    }

    /// <summary>
    /// Makes every chunk stored so far durable in the pool (its pack written and in an index segment), so that
    /// a synchronization cut off after this point, even by a restart, doesn't have to send them again. They are
    /// garbage until a recovery point uses them, kept by garbage collection's grace period.
    /// </summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        await _packGate.WaitAsync(cancellationToken);
        try
        {
            // The workers may still hold chunks taken from the channel: wait until everything queued is packed.
            while (Interlocked.Read(ref _newChunks) < QueuedCount())
            {
                if (_workers.FirstOrDefault(w => w.IsFaulted) is { } failed)
                {
                    await failed; // the worker's failure (a full disk...) is this checkpoint's
                }

                _packGate.Release();
                await Task.Delay(5, cancellationToken);
                await _packGate.WaitAsync(cancellationToken);
            }

            if (_pack.Count > 0)
            {
                await RotatePackAsync(cancellationToken);
            }

            if (_pendingWrite is not null)
            {
                await _pendingWrite;
                _pendingWrite = null;
            }
        }
        finally
        {
            _packGate.Release();
        }

        List<KeyValuePair<string, IReadOnlyList<PackEntry>>> written;
        lock (_gate)
        {
            written = [.. _written];
            _written.Clear();
        }

        if (written.Count > 0)
        {
            await _pool.WriteIndexSegmentAsync(written, cancellationToken);
        }
    }

    /// <summary>Waits for every chunk to be packed and written, writes the index segment, then the manifest: the commit.</summary>
    public async Task<RecoveryPointManifest> CommitAsync(CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        _finished = true;
        _chunks.Writer.TryComplete();
        await Task.WhenAll(_workers);
        await FlushPacksAsync(cancellationToken);
        if (_written.Count > 0)
        {
            await _pool.WriteIndexSegmentAsync(_written, cancellationToken);
        }

        if (_pool.Time.GetUtcNow() >= _lease.Expiry)
        {
            throw new InvalidOperationException($"the writer's lease ran out at {_lease.Expiry:u} (was the process suspended?): garbage collection may have removed data this recovery point needs, so it is not committed");
        }

        var createdAt = _draft.CreatedAt ?? _pool.Time.GetUtcNow();
        var manifest = new RecoveryPointManifest
        {
            Id = RecoveryPointManifest.NewId(createdAt),
            DataSourceId = _draft.DataSourceId,
            DataSourceName = _draft.DataSourceName,
            PluginId = _draft.PluginId,
            Computer = _draft.Computer,
            CreatedAt = createdAt,
            Kind = _draft.Kind,
            Consistency = _draft.Consistency,
            ParentId = _draft.ParentId,
            ChangeToken = _draft.ChangeToken,
            Stats = Stats,
            Items = [.. _items.OrderBy(i => i.Item.Path, StringComparer.Ordinal)],
        };
        await _pool.WriteManifestAsync(manifest, cancellationToken);
        await ReleaseAsync();
        return manifest;
    }

    /// <summary>Abandons the recovery point if it wasn't committed: nothing becomes visible; packs already written are garbage.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            await _abort.CancelAsync();
            _chunks.Writer.TryComplete();
            try
            {
                await Task.WhenAll(_workers);
                if (_pendingWrite is not null)
                {
                    await _pendingWrite;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex) when (ex is IOException or PoolDataException or ChannelClosedException)
            {
                // the writer is being abandoned; the failure was reported where it happened
            }
        }

        await ReleaseAsync();
        _abort.Dispose();
        _packGate.Dispose();
    }

    private async Task ReleaseAsync()
    {
        var buffer = Interlocked.Exchange(ref _readBuffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await _lease.DisposeAsync();
        }
    }

    private void AddItem(ProtectedItem item, IReadOnlyList<ChunkId> chunks)
    {
        lock (_gate)
        {
            _items.Add(new ManifestItem(item, chunks));
        }

        Interlocked.Add(ref _bytes, item.Length);
    }

    private int QueuedCount()
    {
        lock (_gate)
        {
            return _queued.Count;
        }
    }

    private async ValueTask<ChunkId> AddChunkAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var id = ChunkId.Compute(data.Span);
        await EnqueueAsync(id, data, cancellationToken);
        return id;
    }

    /// <summary>Queues a chunk for the workers unless the pool or this writer already has it; true when queued.</summary>
    private async ValueTask<bool> EnqueueAsync(ChunkId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        bool isNew;
        lock (_gate)
        {
            isNew = !_pool.Index.TryGet(id, out _) && _queued.Add(id);
        }

        if (isNew)
        {
            var copy = ChunkBuffers.Rent(data.Length);
            data.CopyTo(copy);
            try
            {
                await _chunks.Writer.WriteAsync(new RawChunk(id, copy, data.Length), cancellationToken);
            }
            catch (ChannelClosedException ex)
            {
                ChunkBuffers.Return(copy);
                throw new IOException($"writing to the pool at {_pool.Store.Location} failed: {ex.InnerException?.Message ?? ex.Message}", ex.InnerException ?? ex);
            }
        }

        return isNew;
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CompressAndPackAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever failed (a full disk, no memory), the producer must hear of it rather than wait forever.
            _chunks.Writer.TryComplete(ex);
            while (_chunks.Reader.TryRead(out var dropped))
            {
                ChunkBuffers.Return(dropped.Data);
            }

            throw;
        }
    }

    private async Task CompressAndPackAsync(CancellationToken cancellationToken)
    {
        var config = _pool.Config;
        using var compressor = new Compressor(config.CompressionLevel);
        var compressed = new byte[Compressor.GetCompressBound(config.ChunkMaxSize)];
        var sealedBlob = new byte[compressed.Length + _pool.Cipher.Overhead];
        var aad = new byte[ChunkId.Size];
        await foreach (var chunk in _chunks.Reader.ReadAllAsync(cancellationToken))
        {
            // Compress and seal outside the pack's lock: the lock only covers copying the sealed blob in.
            int sealedLength;
            BlobEncoding encoding;
            try
            {
                var raw = chunk.Data.AsSpan(0, chunk.Length);
                var compressedLength = compressor.Wrap(raw, compressed);
                var useCompressed = compressedLength < chunk.Length - (chunk.Length / 32);
                var plain = useCompressed ? compressed.AsSpan(0, compressedLength) : raw;
                encoding = useCompressed ? BlobEncoding.Compressed : BlobEncoding.None;
                sealedLength = plain.Length + _pool.Cipher.Overhead;
                chunk.Id.Write(aad);
                _pool.Cipher.Seal(plain, aad, sealedBlob.AsSpan(0, sealedLength));
            }
            finally
            {
                ChunkBuffers.Return(chunk.Data);
            }

            await _packGate.WaitAsync(cancellationToken);
            try
            {
                if (_pack.Count > 0 && _pack.Length + sealedLength > config.PackSize)
                {
                    await RotatePackAsync(cancellationToken);
                }

                _pack.AppendSealed(new PackEntry(chunk.Id, 0, 0, (uint)chunk.Length, encoding), sealedBlob.AsSpan(0, sealedLength));
            }
            finally
            {
                _packGate.Release();
            }

            Interlocked.Increment(ref _newChunks);
            Interlocked.Add(ref _newBytes, chunk.Length);
        }
    }

    /// <summary>Starts writing the full pack and goes on filling the other one. Call under the pack gate.</summary>
    private async Task RotatePackAsync(CancellationToken cancellationToken)
    {
        if (_pendingWrite is not null)
        {
            await _pendingWrite;
        }

        // Sealing and writing the pack (synchronous file writes, fsync) happen away from the workers.
        var full = _pack;
        _pendingWrite = Task.Run(() => WritePackAsync(full, cancellationToken), cancellationToken);
        (_pack, _spare) = (_spare, _pack);
    }

    /// <summary>Writes what is left once every worker is done.</summary>
    private async Task FlushPacksAsync(CancellationToken cancellationToken)
    {
        if (_pendingWrite is not null)
        {
            await _pendingWrite;
            _pendingWrite = null;
        }

        if (_pack.Count > 0)
        {
            await WritePackAsync(_pack, cancellationToken);
        }
    }

    private async Task WritePackAsync(PackBuffer pack, CancellationToken cancellationToken)
    {
        var (packId, bytes, length) = pack.Finish(_pool.Cipher);
        var name = PackFormat.ObjectName(packId);
        var entries = pack.Entries.ToArray();
        await _pool.Store.PutAsync(name, new MemoryStream(bytes, 0, length, writable: false), null, cancellationToken);
        _pool.Index.AddPack(name, entries);
        lock (_gate)
        {
            _written.Add(new(name, entries));
        }

        Interlocked.Add(ref _storedBytes, length);
        pack.Reset();
    }

    private void ThrowIfFinished() => ObjectDisposedException.ThrowIf(_finished, this);

    private readonly record struct RawChunk(ChunkId Id, byte[] Data, int Length);
}

using System.Buffers;
using System.Text.Json;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Chunking;
using Dpm.Storage.Manifests;
using Dpm.Transfer.Wire;
using Google.Protobuf;

namespace Dpm.Transfer;

/// <summary>
/// A recovery point written over the data API. Data is chunked and hashed here; for each batch of new chunk
/// ids the server says which it lacks, and only those are sent (zstd-compressed when the protection group's
/// policy says so, at the computer's throttled rate). Every so many bytes sent (the server says how many) it makes
/// what it received durable, so a synchronization cut off and run again never sends those chunks twice. Items
/// follow their chunks; nothing is visible on the server until the commit.
/// </summary>
public sealed class RemoteRecoveryPointWriter : IRecoveryPointSink
{
    /// <summary>How many bytes of chunks wait here before the server is asked which it lacks.</summary>
    private const int BatchBytes = 8 << 20;

    /// <summary>How many items go in one call.</summary>
    private const int ItemsPerCall = 2000;

    private readonly ReplicaConnection _connection;
    private readonly IChunkSource _replica;
    private readonly string _session;
    private readonly RecoveryPointDraft _draft;
    private readonly TransferParameters _parameters;
    private readonly HashSet<ChunkId> _known;
    private readonly NetworkThrottle _throttle;
    private readonly FastCdcChunker _contentDefined;
    private readonly byte[] _readBuffer;
    private readonly List<(ChunkId Id, byte[] Data, int Length)> _batch = [];
    private readonly HashSet<ChunkId> _batchIds = [];
    private readonly List<ManifestItem> _items = [];
    private int _itemsSent;
    private long _batchBytes;
    private long _bytes;
    private long _bytesRead;
    private long _bytesReadReported;
    private long _newChunks;
    private long _newBytes;
    private long _sinceCheckpoint;
    private ulong _sequence;
    private bool _finished;

    internal RemoteRecoveryPointWriter(ReplicaConnection connection, string session, RecoveryPointDraft draft, TransferParameters parameters, HashSet<ChunkId> known, IChunkSource replica)
    {
        _connection = connection;
        _replica = replica;
        _session = session;
        _draft = draft;
        _parameters = parameters;
        _known = [.. known];
        _throttle = new NetworkThrottle(parameters.Throttle, TimeProvider.System);
        _contentDefined = new FastCdcChunker(parameters.ChunkMinSize, parameters.ChunkAverageSize, parameters.ChunkMaxSize);
        _readBuffer = ArrayPool<byte>.Shared.Rent(2 * Math.Max(parameters.ChunkMaxSize, parameters.FixedChunkSize));
    }

    public string SessionId => _session;

    public RecoveryPointStats Stats => new()
    {
        Items = _items.Count,
        Bytes = _bytes,
        BytesRead = Interlocked.Read(ref _bytesRead),
        NewChunks = _newChunks,
        NewBytes = _newBytes,
    };

    public async Task<IReadOnlyList<ChunkId>> StoreDataAsync(Stream content, bool fixedSize, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_items.Count - _itemsSent >= ItemsPerCall)
        {
            await SendItemsAsync(cancellationToken);
        }

        var chunker = fixedSize ? new FixedSizeChunker(_parameters.FixedChunkSize) : (IChunker)_contentDefined;
        return await StreamChunker.ChunkAsync(content, chunker, _readBuffer, AddChunkAsync, n => Interlocked.Add(ref _bytesRead, n), cancellationToken);
    }

    /// <summary>Reads only the changed ranges; the touched chunks' old content comes from the replica on the server.</summary>
    public Task<IReadOnlyList<ChunkId>?> StorePatchedAsync(IReadOnlyList<ChunkId> previous, Stream source, long length, IReadOnlyList<ByteRange> changed, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        return ChunkPatcher.PatchAsync(
            new ChunkPatcher.Target(_replica, id => _known.Contains(id) || _batchIds.Contains(id), AddChunkAsync, (rest, ct) => StoreDataAsync(rest, fixedSize: false, ct), n => Interlocked.Add(ref _bytesRead, n)),
            previous, source, length, changed, cancellationToken);
    }

    public void Add(ProtectedItem item, IReadOnlyList<ChunkId> chunks)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(chunks);
        ObjectDisposedException.ThrowIf(_finished, this);
        _items.Add(new ManifestItem(item, chunks));
        _bytes += item.Length;
    }

    public bool TryAddExisting(ProtectedItem item, IReadOnlyList<ChunkId> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (!chunks.All(c => _known.Contains(c) || _batchIds.Contains(c)))
        {
            return false;
        }

        Add(item, chunks);
        return true;
    }

    public async Task<RecoveryPointManifest> CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        await SendItemsAsync(cancellationToken);
        var reply = await _connection.CallAsync("commit the recovery point", o => _connection.Client.CommitAsync(new SessionRequest { SessionId = _session }, o).ResponseAsync, cancellationToken);
        _finished = true;
        ArrayPool<byte>.Shared.Return(_readBuffer);
        return new RecoveryPointManifest
        {
            Id = reply.RecoveryPointId,
            DataSourceId = _draft.DataSourceId,
            DataSourceName = _draft.DataSourceName,
            PluginId = _draft.PluginId,
            Computer = _parameters.Computer,
            CreatedAt = new DateTimeOffset(reply.CreatedAtTicks, TimeSpan.Zero),
            Kind = _draft.Kind,
            Consistency = _draft.Consistency,
            ParentId = _draft.ParentId,
            ChangeToken = _draft.ChangeToken,
            Stats = Stats with { NewChunks = reply.NewChunks, NewBytes = reply.NewBytes, StoredBytes = reply.StoredBytes },
            Items = [.. _items.OrderBy(i => i.Item.Path, StringComparer.Ordinal)],
        };
    }

    /// <summary>Abandons the recovery point if it wasn't committed: the server drops it (a lost session is dropped there anyway).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        foreach (var (_, data, _) in _batch)
        {
            ArrayPool<byte>.Shared.Return(data);
        }

        ArrayPool<byte>.Shared.Return(_readBuffer);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _connection.Client.AbortAsync(new SessionRequest { SessionId = _session }, cancellationToken: timeout.Token);
        }
        catch (Grpc.Core.RpcException)
        {
            // the server drops a session nobody uses after a while
        }
    }

    private async ValueTask<ChunkId> AddChunkAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var id = ChunkId.Compute(data.Span);
        if (!_known.Contains(id) && _batchIds.Add(id))
        {
            var copy = ArrayPool<byte>.Shared.Rent(data.Length);
            data.CopyTo(copy);
            _batch.Add((id, copy, data.Length));
            _batchBytes += data.Length;
            if (_batchBytes >= BatchBytes)
            {
                await SendChunksAsync(cancellationToken);
            }
        }

        return id;
    }

    /// <summary>Asks which chunks of the batch the server lacks and sends those.</summary>
    private async Task SendChunksAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var ask = new FindMissingRequest { SessionId = _session };
        ask.Ids.AddRange(_batch.Select(c => ByteString.CopyFrom(c.Id.ToBytes())));
        var missing = await _connection.CallAsync("ask which chunks the server lacks", o => _connection.Client.FindMissingAsync(ask, o).ResponseAsync, cancellationToken);
        var put = new PutChunksRequest { SessionId = _session };
        long size = 0, raw = 0;
        foreach (var index in missing.Missing)
        {
            if (index >= _batch.Count)
            {
                throw new InvalidDataException($"the server asked for chunk {index} of a batch of {_batch.Count}");
            }

            var (id, data, length) = _batch[(int)index];
            var packed = WireChunks.Pack(id, data.AsSpan(0, length), _parameters.CompressOnWire);
            if (put.Chunks.Count > 0 && size + packed.Data.Length > BatchBytes)
            {
                await PutAsync(put, size, raw, cancellationToken);
                put = new PutChunksRequest { SessionId = _session };
                size = raw = 0;
            }

            put.Chunks.Add(packed);
            size += packed.Data.Length;
            raw += length;
        }

        if (put.Chunks.Count > 0)
        {
            await PutAsync(put, size, raw, cancellationToken);
        }

        foreach (var (id, data, _) in _batch)
        {
            _known.Add(id);
            ArrayPool<byte>.Shared.Return(data);
        }

        _batch.Clear();
        _batchIds.Clear();
        _batchBytes = 0;
        if (_sinceCheckpoint >= (_parameters.CheckpointBytes > 0 ? _parameters.CheckpointBytes : 64L << 20))
        {
            await _connection.CallAsync("make the chunks sent so far durable", o => _connection.Client.CheckpointAsync(new SessionRequest { SessionId = _session }, o).ResponseAsync, cancellationToken);
            _sinceCheckpoint = 0;
        }
    }

    private async Task PutAsync(PutChunksRequest put, long size, long raw, CancellationToken cancellationToken)
    {
        await _throttle.WaitAsync(size, cancellationToken);
        await _connection.CallAsync("send chunks", o => _connection.Client.PutChunksAsync(put, o).ResponseAsync, cancellationToken);
        _connection.CountSent(size);
        _newChunks += put.Chunks.Count;
        _newBytes += raw;
        _sinceCheckpoint += size;
    }

    /// <summary>Sends the items added since the last call (after the chunks they use).</summary>
    private async Task SendItemsAsync(CancellationToken cancellationToken)
    {
        await SendChunksAsync(cancellationToken);
        do
        {
            var count = Math.Min(ItemsPerCall, _items.Count - _itemsSent);
            var request = new AddItemsRequest
            {
                SessionId = _session,
                ItemsJson = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(_items.GetRange(_itemsSent, count), RecoveryPointManifest.Json)),
                BytesRead = Interlocked.Read(ref _bytesRead) - _bytesReadReported,
                Sequence = ++_sequence,
            };
            await _connection.CallAsync("send the recovery point's items", o => _connection.Client.AddItemsAsync(request, o).ResponseAsync, cancellationToken);
            _itemsSent += count;
            _bytesReadReported += request.BytesRead;
        }
        while (_itemsSent < _items.Count);
    }
}

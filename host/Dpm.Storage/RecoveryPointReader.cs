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
    private readonly StoragePool _pool;
    private readonly Dictionary<string, ManifestItem> _byPath;

    internal RecoveryPointReader(StoragePool pool, RecoveryPointManifest manifest)
    {
        _pool = pool;
        Manifest = manifest;
        _byPath = manifest.Items.ToDictionary(i => i.Item.Path, StringComparer.Ordinal);
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
        ValueTask.FromResult(_byPath.TryGetValue(path, out var item) ? item.Item : null);

    public ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream?>(_byPath.TryGetValue(path, out var item) ? new ChunkStream(_pool, item.Chunks, item.Item.Length, path) : null);
}

/// <summary>
/// Reads an item's chunks in order, fetching a few ahead in parallel so that reading, decrypting and
/// decompressing overlap.
/// </summary>
public sealed class ChunkStream : Stream
{
    private const int ReadAhead = 4;
    private readonly StoragePool _pool;
    private readonly IReadOnlyList<ChunkId> _chunks;
    private readonly string _path;
    private readonly Queue<Task<byte[]>> _ahead = new();
    private readonly CancellationTokenSource _stop = new();
    private int _next;
    private byte[] _current = [];
    private int _offset;
    private long _position;

    public ChunkStream(StoragePool pool, IReadOnlyList<ChunkId> chunks, long length, string path)
    {
        _pool = pool;
        _chunks = chunks;
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
        if (_offset == _current.Length)
        {
            if (!await NextChunkAsync(cancellationToken))
            {
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
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
            _stop.Cancel();
            foreach (var pending in _ahead)
            {
                pending.ContinueWith(t => t.Exception, TaskScheduler.Default);
            }

            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        while (_ahead.Count < ReadAhead && _next < _chunks.Count)
        {
            var id = _chunks[_next++];
            var token = _stop.Token;
            _ahead.Enqueue(Task.Run(() => _pool.LoadChunkAsync(id, token), token));
        }

        if (_ahead.Count == 0)
        {
            if (_position != Length)
            {
                throw new PoolDataException($"'{_path}' is damaged in the recovery point: its chunks hold {_position} bytes, not {Length}");
            }

            return false;
        }

        try
        {
            _current = await _ahead.Dequeue().WaitAsync(cancellationToken);
        }
        catch (PoolDataException ex)
        {
            throw new PoolDataException($"'{_path}' can't be read: {ex.Message}", ex);
        }

        _offset = 0;
        return true;
    }
}

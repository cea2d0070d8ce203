using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>
/// A recovery point held in memory: the items a protection produced and their bytes, given back exactly.
/// Filled by really protecting a data source (<see cref="ProtectAsync"/>) or by hand with crafted items.
/// </summary>
public sealed class MemoryRecoverySource(DataSource dataSource, DateTimeOffset createdAt) : IRecoverySource
{
    private readonly SortedDictionary<string, (ProtectedItem Item, byte[]? Data)> _items = new(StringComparer.Ordinal);
    private readonly List<(ProtectedItem Item, byte[]? Data)> _crafted = [];

    public DataSource DataSource { get; } = dataSource;

    public RecoveryPointInfo RecoveryPoint { get; } = new("rp-test", createdAt, RecoveryPointKind.ExpressFull, SnapshotConsistency.LiveWithTornReadDetection);

    public IReadOnlyList<RecoveryPointInfo> Chain { get; } = [];

    /// <summary>Streams that can't seek, as a pool's decompressing streams are.</summary>
    public bool NonSeekableStreams { get; init; }

    /// <summary>Give crafted items back in the order they were added, not in path order (as a corrupt source might).</summary>
    public bool KeepAddOrder { get; init; }

    public IReadOnlyCollection<ProtectedItem> Items => KeepAddOrder ? [.. _crafted.Select(i => i.Item)] : [.. _items.Values.Select(i => i.Item)];

    public void Add(ProtectedItem item, byte[]? data = null)
    {
        _items[item.Path] = (item, data);
        _crafted.Add((item, data));
    }

    public async IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var item in Items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Path.StartsWith(pathPrefix, StringComparison.Ordinal))
            {
                yield return item;
            }
        }
    }

    public ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_items.TryGetValue(path, out var entry) ? entry.Item : null);

    public ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken)
    {
        if (!_items.TryGetValue(path, out var entry))
        {
            return ValueTask.FromResult<Stream?>(null);
        }

        var data = entry.Data ?? [];
        Stream stream = NonSeekableStreams ? new NonSeekableStream(data) : new MemoryStream(data, writable: false);
        return ValueTask.FromResult<Stream?>(stream);
    }

    /// <summary>
    /// Protects <paramref name="dataSource"/> as the host's engine does (session, prepare, freeze, snapshot,
    /// thaw, enumerate, read every file, confirm it), and keeps what was read.
    /// </summary>
    public static async Task<MemoryRecoverySource> ProtectAsync(IWorkloadPlugin workload, DataSource dataSource, ProtectionSessionOptions? options = null, bool nonSeekable = false)
    {
        var ct = CancellationToken.None;
        await using var session = await workload.OpenProtectionSessionAsync(dataSource, options ?? new ProtectionSessionOptions(), ct);
        await session.PrepareAsync(ct);
        var freeze = await session.FreezeAsync(ct);
        Assert.Equal(FreezeStatus.NotSupported, freeze.Status);
        IDataSourceSnapshot snapshot;
        try
        {
            snapshot = await session.TakeSnapshotAsync(ct);
        }
        finally
        {
            await session.ThawAsync(ct);
        }

        await using (snapshot)
        {
            var source = new MemoryRecoverySource(dataSource, snapshot.TakenAt) { NonSeekableStreams = nonSeekable };
            var changes = await snapshot.EnumerateChangesAsync(null, ct);
            Assert.True(changes.IsFull);
            await foreach (var change in changes.Changes)
            {
                Assert.Equal(ChangeKind.Added, change.Kind);
                byte[]? data = null;
                if (change.Item.Kind == ProtectedItemKind.File)
                {
                    await using var stream = await snapshot.OpenItemAsync(change.Item, ct);
                    Assert.NotNull(stream);
                    using var buffer = new MemoryStream();
                    await stream.CopyToAsync(buffer, ct);
                    data = buffer.ToArray();
                    Assert.Equal(ItemReadCheck.Unchanged, await snapshot.ConfirmUnchangedAsync(change.Item, ct));
                }

                source.Add(change.Item, data);
            }

            return source;
        }
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();

        public override long Position
        {
            get => base.Position;
            set => throw new NotSupportedException();
        }
    }
}

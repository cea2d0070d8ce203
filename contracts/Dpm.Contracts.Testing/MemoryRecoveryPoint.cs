using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Xunit;

namespace Dpm.Contracts.Testing;

/// <summary>
/// A recovery point held in memory: the items a protection read and their bytes, given back exactly. Made by
/// <see cref="ProtectAsync"/> (which drives a workload through the contracts as the host's protection engine does)
/// or by hand with <see cref="Add"/>, for data no synchronization would produce.
/// </summary>
public sealed class MemoryRecoveryPoint : IRecoverySource
{
    private readonly SortedDictionary<string, (ProtectedItem Item, byte[]? Data)> _items = new(StringComparer.Ordinal);

    /// <summary>An empty recovery point of <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The data source the point is of.</param>
    /// <param name="createdAt">The moment the point represents.</param>
    /// <param name="consistency">How consistent it is.</param>
    /// <param name="kind">Express full or incremental.</param>
    public MemoryRecoveryPoint(DataSource dataSource, DateTimeOffset createdAt, SnapshotConsistency consistency = SnapshotConsistency.CrashConsistent, RecoveryPointKind kind = RecoveryPointKind.ExpressFull)
    {
        DataSource = dataSource;
        RecoveryPoint = new RecoveryPointInfo("rp-" + Guid.NewGuid().ToString("N"), createdAt, kind, consistency);
    }

    /// <inheritdoc />
    public DataSource DataSource { get; }

    /// <inheritdoc />
    public RecoveryPointInfo RecoveryPoint { get; }

    /// <inheritdoc />
    public IReadOnlyList<RecoveryPointInfo> Chain => [RecoveryPoint];

    /// <summary>The position of the snapshot this point was read from, for the next synchronization's <c>since</c>.</summary>
    public ChangeToken? Token { get; private set; }

    /// <summary>The items, in path order.</summary>
    public IReadOnlyList<ProtectedItem> Items => [.. _items.Values.Select(entry => entry.Item)];

    /// <summary>Adds (or replaces) an item and its data; directories and links have no data.</summary>
    /// <param name="item">The item.</param>
    /// <param name="data">Its bytes.</param>
    public void Add(ProtectedItem item, byte[]? data = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        _items[item.Path] = (item, data);
    }

    /// <summary>The bytes of an item, or null when the point has no such item or it has no data.</summary>
    /// <param name="path">The item's path.</param>
    public byte[]? DataOf(string path) => _items.TryGetValue(path, out var entry) ? entry.Data : null;

    /// <inheritdoc />
    public async IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
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

    /// <inheritdoc />
    public ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_items.TryGetValue(path, out var entry) ? entry.Item : null);

    /// <inheritdoc />
    public ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream?>(_items.TryGetValue(path, out var entry) ? new MemoryStream(entry.Data ?? [], writable: false) : null);

    /// <summary>
    /// Protects <paramref name="dataSource"/> as the host's protection engine does, through the contracts only:
    /// opens a session, prepares, freezes, takes the snapshot, thaws (always), enumerates the changes since
    /// <paramref name="previous"/> (everything when null), reads every file item and confirms it stayed unchanged,
    /// reads the items an <see cref="ISnapshotCompletion"/> adds, and releases the snapshot.
    /// </summary>
    /// <param name="workload">The initialized workload.</param>
    /// <param name="dataSource">What to protect.</param>
    /// <param name="previous">The last recovery point, for an express full of what changed since; null for all.</param>
    /// <param name="options">The session's options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the protection.</param>
    /// <returns>The new recovery point: <paramref name="previous"/> with the changes applied, or what a full enumeration read.</returns>
    public static async Task<MemoryRecoveryPoint> ProtectAsync(IWorkloadPlugin workload, DataSource dataSource, MemoryRecoveryPoint? previous = null, ProtectionSessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workload);
        options ??= new ProtectionSessionOptions { Kind = previous is null ? SynchronizationKind.ReplicaCreation : SynchronizationKind.ExpressFull };
        var session = await workload.OpenProtectionSessionAsync(dataSource, options, cancellationToken);
        await using (session)
        {
            await session.PrepareAsync(cancellationToken);
            IDataSourceSnapshot snapshot;
            try
            {
                await session.FreezeAsync(cancellationToken);
                snapshot = await session.TakeSnapshotAsync(cancellationToken);
            }
            finally
            {
                await session.ThawAsync(CancellationToken.None);
            }

            await using (snapshot)
            {
                var point = new MemoryRecoveryPoint(dataSource, snapshot.TakenAt, snapshot.Consistency);
                var changes = await snapshot.EnumerateChangesAsync(previous?.Token, cancellationToken);
                if (!changes.IsFull && previous is not null)
                {
                    foreach (var (item, data) in previous._items.Values)
                    {
                        point.Add(item, data);
                    }
                }

                await foreach (var change in changes.Changes.WithCancellation(cancellationToken))
                {
                    if (change.Kind == ChangeKind.Deleted)
                    {
                        point._items.Remove(change.Item.Path);
                        continue;
                    }

                    point.Add(change.Item, await ReadAsync(snapshot, change.Item, cancellationToken));
                }

                if (snapshot is ISnapshotCompletion completion)
                {
                    await foreach (var item in completion.CompleteAsync(cancellationToken))
                    {
                        point.Add(item, await ReadAsync(snapshot, item, cancellationToken));
                    }
                }

                point.Token = snapshot.Token;
                return point;
            }
        }
    }

    private static async Task<byte[]?> ReadAsync(IDataSourceSnapshot snapshot, ProtectedItem item, CancellationToken cancellationToken)
    {
        if (item.Kind is not (ProtectedItemKind.File or ProtectedItemKind.Log))
        {
            return null;
        }

        var stream = await snapshot.OpenItemAsync(item, cancellationToken)
            ?? throw new Xunit.Sdk.XunitException($"the snapshot listed '{item.Path}' but could not open it");
        using var buffer = new MemoryStream();
        await using (stream)
        {
            await stream.CopyToAsync(buffer, cancellationToken);
        }

        Assert.Equal(ItemReadCheck.Unchanged, await snapshot.ConfirmUnchangedAsync(item, cancellationToken));
        return buffer.ToArray();
    }
}

using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Dpm.Storage.Manifests;

namespace Dpm.Storage;

/// <summary>What a copy of recovery points to another store did.</summary>
public sealed record PoolCopyReport
{
    public int RecoveryPoints { get; init; }

    /// <summary>Objects written to the target (the rest were there already).</summary>
    public int ObjectsCopied { get; init; }

    public long BytesCopied { get; init; }

    /// <summary>Objects locked against deletion on the target (when it can lock).</summary>
    public int ObjectsLocked { get; init; }
}

/// <summary>
/// Copies recovery points of a pool to another object store, as they are (still encrypted with the pool's
/// keys): the pool's configuration and key objects, the chunk index, every pack a point uses and, last, its
/// manifest, so the target never lists a point whose data it lacks. Objects already there are left alone,
/// so a copy that was cut off simply goes on. The target is a pool itself: opened with the same key file or
/// passphrase, it recovers without the source (disaster recovery). When the target can lock objects, every
/// object a point depends on is locked until <c>retainUntil</c>, not only its manifest.
/// </summary>
public static class PoolCopier
{
    public static async Task<PoolCopyReport> CopyAsync(
        StoragePool source, IObjectStore target, IReadOnlyList<RecoveryPointManifest> points, Func<RecoveryPointManifest, DateTimeOffset?> retainUntil, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(retainUntil);
        var copied = 0;
        var bytes = 0L;
        var locked = 0;

        async Task CopyObjectAsync(string name, DateTimeOffset? until)
        {
            if (!await target.ExistsAsync(name, cancellationToken))
            {
                await using var content = await source.Store.OpenReadAsync(name, cancellationToken)
                    ?? throw new PoolDataException($"'{name}' is missing from the pool {source.Store.Location}: it can't be copied");
                var length = content.CanSeek ? content.Length : 0;
                await target.PutAsync(name, content, null, cancellationToken);
                copied++;
                bytes += length;
                progress?.Report(new ProgressReport(bytes, ItemsDone: copied, CurrentItem: name));
            }

            if (until is { } date && target is IImmutabilityLock locks && await locks.LockAsync(name, date, cancellationToken) == LockOutcome.Locked)
            {
                locked++;
            }
        }

        // What opens the pool: its configuration and its wrapped keys; then the index (a cache, copied whole).
        await CopyObjectAsync(PoolConfig.ObjectName, null);
        foreach (var prefix in new[] { StoragePool.KeysPrefix, Index.ChunkIndex.Prefix })
        {
            await foreach (var obj in source.Store.ListAsync(prefix, cancellationToken))
            {
                await CopyObjectAsync(obj.Name, null);
            }
        }

        foreach (var point in points)
        {
            var until = retainUntil(point);
            var packs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in point.Items.SelectMany(i => i.Chunks))
            {
                if (!source.Index.TryGetAny(id, out var location))
                {
                    await source.LoadIndexAsync(cancellationToken);
                    if (!source.Index.TryGetAny(id, out location))
                    {
                        throw new PoolDataException($"recovery point {point.Id}: chunk {id} is in no pack of {source.Store.Location}; it can't be copied");
                    }
                }

                packs.Add(location.Pack);
            }

            foreach (var pack in packs.Order(StringComparer.Ordinal))
            {
                await CopyObjectAsync(pack, until);
            }

            await CopyObjectAsync(point.ObjectName, until); // last: the copy of the point is visible only when complete
        }

        return new PoolCopyReport { RecoveryPoints = points.Count, ObjectsCopied = copied, BytesCopied = bytes, ObjectsLocked = locked };
    }
}

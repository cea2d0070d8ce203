using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Manifests;

namespace Dpm.Storage;

/// <summary>
/// Where a synchronization sends a data source's new recovery point and reads its replica back: a storage pool
/// on this machine, or a server's pool over the agents' data API.
/// </summary>
public interface IReplicaTarget : IChunkSource
{
    /// <summary>The largest chunk the target makes (a buffer that holds any chunk of the replica).</summary>
    int ChunkMaxSize { get; }

    /// <summary>Starts a recovery point. Nothing is visible until the sink commits.</summary>
    Task<IRecoveryPointSink> BeginRecoveryPointAsync(RecoveryPointDraft draft, CancellationToken cancellationToken);
}

/// <summary>Chunks by id: where a recovery point's data comes back from.</summary>
public interface IChunkSource
{
    /// <summary>The plaintext length of a chunk, when the source knows it without reading it.</summary>
    bool TryGetChunkLength(ChunkId id, out int length);

    /// <summary>Reads and checks one chunk; the caller disposes it.</summary>
    Task<PooledChunk> LoadPooledChunkAsync(ChunkId id, CancellationToken cancellationToken);
}

/// <summary>One recovery point being written: data in, items added in any order, then the commit.</summary>
public interface IRecoveryPointSink : IAsyncDisposable
{
    RecoveryPointStats Stats { get; }

    /// <summary>Reads <paramref name="content"/> to its end, stores the chunks the target lacks, and returns the chunk list.</summary>
    Task<IReadOnlyList<ChunkId>> StoreDataAsync(Stream content, bool fixedSize, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new version of a file from its previous chunk list and the byte ranges that changed since; null
    /// when that can't be done here (then the whole file is read).
    /// </summary>
    Task<IReadOnlyList<ChunkId>?> StorePatchedAsync(IReadOnlyList<ChunkId> previous, Stream source, long length, IReadOnlyList<ByteRange> changed, CancellationToken cancellationToken);

    /// <summary>Adds an item with the chunks <see cref="StoreDataAsync"/> returned for it (none for folders and links).</summary>
    void Add(ProtectedItem item, IReadOnlyList<ChunkId> chunks);

    /// <summary>Adds an item whose data the target already has; false when it doesn't have all of it (read the data then).</summary>
    bool TryAddExisting(ProtectedItem item, IReadOnlyList<ChunkId> chunks);

    /// <summary>Makes the recovery point visible, whole, or not at all.</summary>
    Task<RecoveryPointManifest> CommitAsync(CancellationToken cancellationToken);
}

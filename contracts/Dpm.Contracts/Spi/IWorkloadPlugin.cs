using Dpm.Contracts.Workloads;

namespace Dpm.Contracts.Spi;

/// <summary>
/// A workload plugin: discovers data sources on the computer it runs on, reads them consistently for the host
/// to store, and recovers them. Optional capabilities are extra interfaces the same object (or its sessions)
/// may implement: <see cref="IItemLevelRecovery"/>, <see cref="IIncrementalSynchronization"/>,
/// <see cref="IBlockChangeTracking"/>.
/// </summary>
public interface IWorkloadPlugin : IPlugin
{
    /// <summary>
    /// Lists data sources: the top-level ones when <paramref name="parent"/> is null, otherwise the children
    /// of <paramref name="parent"/>.
    /// </summary>
    IAsyncEnumerable<DataSource> DiscoverDataSourcesAsync(DataSource? parent, CancellationToken cancellationToken);

    /// <summary>Starts protecting work on one data source. The host disposes of the session when done.</summary>
    ValueTask<IProtectionSession> OpenProtectionSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken);

    /// <summary>Lists what can be recovered below <paramref name="parentPath"/> ("" for the top) in a recovery point.</summary>
    IAsyncEnumerable<RecoverableItem> ListRecoverableItemsAsync(IRecoverySource source, string parentPath, CancellationToken cancellationToken);

    /// <summary>Recovers a whole data source from a recovery point.</summary>
    ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The workload's own part of a consistency check, run after the host compared the replica with the
    /// snapshot. The default adds no checks.
    /// </summary>
    ValueTask<ConsistencyCheckResult> CheckConsistencyAsync(
        IDataSourceSnapshot snapshot,
        IRecoverySource replica,
        ConsistencyCheckLevel level,
        IProgress<ProgressReport>? progress,
        CancellationToken cancellationToken) => ValueTask.FromResult(ConsistencyCheckResult.NoWorkloadChecks);
}

/// <summary>
/// Protecting work on one data source, with writer semantics like VSS: the host calls
/// <see cref="PrepareAsync"/>, <see cref="FreezeAsync"/>, <see cref="TakeSnapshotAsync"/>, <see cref="ThawAsync"/>
/// (always, also after a failure), reads the snapshot, and releases it. Writers stay frozen for as short a
/// time as possible.
/// </summary>
public interface IProtectionSession : IAsyncDisposable
{
    /// <summary>The data source this session works on.</summary>
    DataSource DataSource { get; }

    /// <summary>Gets the application ready (flush what can be flushed without blocking writers).</summary>
    ValueTask PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Freezes writers, or says it can't.</summary>
    ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken);

    /// <summary>Takes the point-in-time view that the host reads from.</summary>
    ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Lets writers go on. Called even when freezing or the snapshot failed.</summary>
    ValueTask ThawAsync(CancellationToken cancellationToken);
}

/// <summary>A point-in-time view of a data source. Releasing it (disposing) removes the snapshot.</summary>
public interface IDataSourceSnapshot : IAsyncDisposable
{
    /// <summary>How consistent what this snapshot returns is.</summary>
    SnapshotConsistency Consistency { get; }

    /// <summary>The moment the snapshot represents.</summary>
    DateTimeOffset TakenAt { get; }

    /// <summary>The position of this snapshot, to pass back as <c>since</c> at the next synchronization.</summary>
    ChangeToken Token { get; }

    /// <summary>
    /// The items changed since <paramref name="since"/>, or every item when <paramref name="since"/> is null
    /// or can no longer be followed.
    /// </summary>
    ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken);

    /// <summary>Opens an item's data as of the snapshot, or returns null when the item is gone.</summary>
    ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken);

    /// <summary>
    /// After an item was read: whether it stayed unchanged while it was read. Always
    /// <see cref="ItemReadCheck.Unchanged"/> for a real point-in-time snapshot (the default).
    /// </summary>
    ValueTask<ItemReadCheck> ConfirmUnchangedAsync(ProtectedItem item, CancellationToken cancellationToken) => ValueTask.FromResult(ItemReadCheck.Unchanged);
}

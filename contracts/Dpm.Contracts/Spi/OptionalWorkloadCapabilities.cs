using Dpm.Contracts.Workloads;

namespace Dpm.Contracts.Spi;

/// <summary>
/// Optional, on an <see cref="IDataSourceSnapshot"/>: the plugin knows which byte ranges of an item changed,
/// so an express full reads only those.
/// </summary>
public interface IBlockChangeTracking
{
    /// <summary>
    /// The ranges of <paramref name="item"/> that changed since <paramref name="since"/>, or null when the plugin
    /// can't tell for this item (the host then reads it all and lets chunk dedup find the changes).
    /// </summary>
    ValueTask<IReadOnlyList<ByteRange>?> GetChangedRangesAsync(ProtectedItem item, ChangeToken since, CancellationToken cancellationToken);
}

/// <summary>
/// Optional, on an <see cref="IDataSourceSnapshot"/>: items that exist only once every other item was read (a
/// database's backup label, the logs that make the copy consistent). The host asks for them after it read every
/// item the enumeration listed, reads them through <see cref="IDataSourceSnapshot.OpenItemAsync"/>, and only then
/// commits the recovery point.
/// </summary>
public interface ISnapshotCompletion
{
    /// <summary>Ends whatever the snapshot held open and lists the items that complete it.</summary>
    IAsyncEnumerable<ProtectedItem> CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Optional, on an <see cref="IProtectionSession"/>: log-based incremental synchronization (SQL, mail): ship
/// the logs written since the last synchronization; each shipment is a recovery point.
/// </summary>
public interface IIncrementalSynchronization
{
    /// <summary>Starts shipping the logs written since <paramref name="since"/>.</summary>
    ValueTask<ILogShipment> BeginLogShipmentAsync(ChangeToken since, CancellationToken cancellationToken);
}

/// <summary>Whether the log chain since the last synchronization is complete.</summary>
public enum LogContinuity
{
    /// <summary>Every log since the last synchronization is here.</summary>
    Continuous = 1,

    /// <summary>A log is missing: the host raises an alert and runs an express full.</summary>
    GapDetected = 2,
}

/// <summary>The logs of one incremental synchronization.</summary>
public interface ILogShipment : IAsyncDisposable
{
    /// <summary>Whether the chain is complete; when it isn't, <see cref="GapDescription"/> says what is missing.</summary>
    LogContinuity Continuity { get; }

    /// <summary>What is missing when <see cref="Continuity"/> is <see cref="LogContinuity.GapDetected"/>.</summary>
    string? GapDescription { get; }

    /// <summary>The position after the last log in this shipment.</summary>
    ChangeToken Token { get; }

    /// <summary>The logs, oldest first, as items of kind <see cref="ProtectedItemKind.Log"/>.</summary>
    IAsyncEnumerable<ProtectedItem> EnumerateLogsAsync(CancellationToken cancellationToken);

    /// <summary>Opens a log's data.</summary>
    ValueTask<Stream> OpenLogAsync(ProtectedItem log, CancellationToken cancellationToken);
}

/// <summary>Optional, on an <see cref="IWorkloadPlugin"/>: recovery of chosen items instead of the whole data source.</summary>
public interface IItemLevelRecovery
{
    /// <summary>Recovers the items in <paramref name="request"/>.</summary>
    ValueTask<RecoveryResult> RecoverItemsAsync(IRecoverySource source, ItemRecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken);
}

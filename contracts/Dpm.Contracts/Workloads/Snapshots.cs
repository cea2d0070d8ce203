namespace Dpm.Contracts.Workloads;

/// <summary>How consistent the data read from a snapshot is.</summary>
public enum SnapshotConsistency
{
    /// <summary>The application flushed and froze its writers: the data is as after a clean shutdown.</summary>
    ApplicationConsistent = 1,

    /// <summary>A point-in-time image as after a power loss; the application recovers it on start.</summary>
    CrashConsistent = 2,

    /// <summary>
    /// No point-in-time image exists: items are read live, and each is checked after reading
    /// (<see cref="Spi.IDataSourceSnapshot.ConfirmUnchangedAsync"/>) so a torn read is never recorded as good.
    /// </summary>
    LiveWithTornReadDetection = 3,
}

/// <summary>Whether the writers were frozen.</summary>
public enum FreezeStatus
{
    /// <summary>Writers are frozen until thaw.</summary>
    Frozen = 1,

    /// <summary>The plugin cannot freeze this data source; the snapshot will say how consistent it is.</summary>
    NotSupported = 2,
}

/// <summary>The outcome of freezing writers.</summary>
/// <param name="Status">Frozen or not supported.</param>
/// <param name="Reason">Why freezing is not supported, for the job's log.</param>
public sealed record FreezeOutcome(FreezeStatus Status, string? Reason = null)
{
    /// <summary>Writers are frozen.</summary>
    public static FreezeOutcome Frozen { get; } = new(FreezeStatus.Frozen);

    /// <summary>The plugin cannot freeze, with the reason.</summary>
    public static FreezeOutcome NotSupported(string reason) => new(FreezeStatus.NotSupported, reason);
}

/// <summary>Whether an item read from a live data source stayed the same while it was read.</summary>
public enum ItemReadCheck
{
    /// <summary>The item did not change while it was read.</summary>
    Unchanged = 1,

    /// <summary>The item changed while it was read; what was read must not be recorded as consistent.</summary>
    ChangedWhileRead = 2,

    /// <summary>The item disappeared while it was read.</summary>
    Vanished = 3,
}

/// <summary>Options for one protection session.</summary>
public sealed record ProtectionSessionOptions
{
    /// <summary>What the session is for.</summary>
    public SynchronizationKind Kind { get; init; } = SynchronizationKind.ExpressFull;

    /// <summary>Paths (relative to the data source) or glob patterns to include; empty means everything.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Paths or glob patterns to leave out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
}

/// <summary>The kinds of work that read from a data source.</summary>
public enum SynchronizationKind
{
    /// <summary>The first full copy of a data source.</summary>
    ReplicaCreation = 1,

    /// <summary>Only changed blocks since the last synchronization; makes a recovery point.</summary>
    ExpressFull = 2,

    /// <summary>Application logs only; makes a recovery point for log-based workloads.</summary>
    IncrementalSynchronization = 3,

    /// <summary>Compare the replica with the data source and repair it.</summary>
    ConsistencyCheck = 4,
}

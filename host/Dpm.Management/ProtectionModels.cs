using Dpm.Contracts.Workloads;

namespace Dpm.Management;

/// <summary>A data source found by a workload plugin.</summary>
public sealed record DataSourceInfo(string PluginId, string Computer, DataSource DataSource);

/// <summary>The answer of discovery: data sources, and the plugins that failed to answer.</summary>
public sealed record DataSourceInquiry(IReadOnlyList<DataSourceInfo> DataSources, IReadOnlyList<string> Failures);

/// <summary>Asks for a synchronization (an express full, or replica creation the first time) of one data source.</summary>
public sealed record SynchronizationRequestDto
{
    /// <summary>The data source id as discovery gives it (for example <c>folder:/srv/data</c>).</summary>
    public required string DataSourceId { get; init; }

    /// <summary>The workload plugin; when null, the one whose discovery lists the data source, or the file workload for folders.</summary>
    public string? PluginId { get; init; }

    /// <summary>Paths or patterns to include (relative to the data source); empty for everything.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Paths or patterns to leave out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>The protected computer; the server's own when null (another computer's agent does the work).</summary>
    public string? Computer { get; init; }

    /// <summary>Ship only the logs written since the last recovery point (log-based workloads); others make an express full.</summary>
    public bool Incremental { get; init; }
}

/// <summary>A recovery point as listed.</summary>
public sealed record RecoveryPointSummary
{
    public required string Id { get; init; }
    public required string DataSourceId { get; init; }
    public required string DataSourceName { get; init; }
    public string? PluginId { get; init; }
    public string? Computer { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required RecoveryPointKind Kind { get; init; }
    public required SnapshotConsistency Consistency { get; init; }
    public long Items { get; init; }
    public long Bytes { get; init; }
    public long BytesRead { get; init; }
    public long NewBytes { get; init; }
    public long StoredBytes { get; init; }
}

/// <summary>What a synchronization did.</summary>
public sealed record SynchronizationOutcome
{
    public required RecoveryPointSummary RecoveryPoint { get; init; }
    public long ItemsRead { get; init; }
    public long ItemsReused { get; init; }
    public IReadOnlyList<string> ChangedWhileRead { get; init; } = [];
    public IReadOnlyList<string> Vanished { get; init; } = [];
    public string? FullEnumerationReason { get; init; }
    public string? FreezeNotSupportedReason { get; init; }
    public double Seconds { get; init; }

    /// <summary>How many items the workload listed: every item for a full comparison, only the changed ones from a change journal.</summary>
    public long ItemsListed { get; init; }

    /// <summary>Why the replica was found possibly inconsistent (the workload lost track of changes), if it was.</summary>
    public string? ReplicaInconsistentReason { get; init; }

    /// <summary>The consistency check that ran because of it; this synchronization's recovery point is its repair.</summary>
    public ConsistencyCheckResultDto? ConsistencyCheck { get; init; }
}

/// <summary>Asks for a recovery from a recovery point.</summary>
public sealed record RecoveryRequestDto
{
    public required string RecoveryPointId { get; init; }

    /// <summary>Items to recover (paths in the data source); empty recovers the whole data source.</summary>
    public IReadOnlyList<string> Items { get; init; } = [];

    public RecoveryDestination Destination { get; init; } = RecoveryDestination.CopyToFolder;

    /// <summary>The folder for alternate and copy-to-folder recoveries.</summary>
    public string? Path { get; init; }

    public ExistingItemBehaviour ExistingItems { get; init; } = ExistingItemBehaviour.Overwrite;

    public bool RestoreSecurity { get; init; } = true;

    /// <summary>For log-based workloads: recover to this time within the recovery point's logs.</summary>
    public DateTimeOffset? PointInTime { get; init; }

    /// <summary>For application workloads: leave the recovered application in recovery, ready to apply more logs.</summary>
    public bool LeaveNonOperational { get; init; }
}

/// <summary>What a verification of the storage pool found.</summary>
public sealed record PoolVerification
{
    public int RecoveryPoints { get; init; }
    public int PacksChecked { get; init; }
    public long BytesChecked { get; init; }
    public long ChunksChecked { get; init; }
    public IReadOnlyList<DamagedRecoveryPointInfo> Damaged { get; init; } = [];
    public IReadOnlyList<string> Problems { get; init; } = [];
    public bool IsHealthy => Damaged.Count == 0 && Problems.Count == 0;
}

/// <summary>A recovery point that can't be restored in full.</summary>
public sealed record DamagedRecoveryPointInfo(string Id, string DataSourceName, IReadOnlyList<string> Reasons);

/// <summary>The storage pool's state.</summary>
public sealed record PoolInfo
{
    public required string Location { get; init; }
    public bool IsOpen { get; init; }
    public string? Problem { get; init; }
    public string? Id { get; init; }
    public string? Encryption { get; init; }
    public int RecoveryPoints { get; init; }
    public long? TotalBytes { get; init; }
    public long? FreeBytes { get; init; }
}

/// <summary>Asks for a consistency check of a data source against its replica.</summary>
public sealed record ConsistencyCheckRequestDto
{
    public required string DataSourceId { get; init; }

    public string? PluginId { get; init; }

    /// <summary>Heavy: compare every file's data too (reads everything); light: items and metadata only.</summary>
    public bool Heavy { get; init; }

    /// <summary>The protected computer; the server's own when null (another computer's agent does the work).</summary>
    public string? Computer { get; init; }

    /// <summary>Ship only the logs written since the last recovery point (log-based workloads); others make an express full.</summary>
    public bool Incremental { get; init; }
}

/// <summary>A difference between the data source and its replica.</summary>
public sealed record InconsistencyInfo(string Path, string Reason);

/// <summary>What a consistency check found, and the recovery point that repaired the replica if it had to.</summary>
public sealed record ConsistencyCheckResultDto
{
    public required ConsistencyCheckLevel Level { get; init; }
    public long ItemsCompared { get; init; }
    public long BytesCompared { get; init; }
    public IReadOnlyList<InconsistencyInfo> Inconsistencies { get; init; } = [];
    public SynchronizationOutcome? Repair { get; init; }
}

using Dpm.Contracts.Workloads;

namespace Dpm.Storage;

/// <summary>What a new recovery point is of.</summary>
public sealed record RecoveryPointDraft
{
    public required string DataSourceId { get; init; }
    public required string DataSourceName { get; init; }
    public string? PluginId { get; init; }
    public string? Computer { get; init; }
    public RecoveryPointKind Kind { get; init; } = RecoveryPointKind.ExpressFull;
    public SnapshotConsistency Consistency { get; init; } = SnapshotConsistency.CrashConsistent;
    public string? ParentId { get; init; }
    public string? ChangeToken { get; init; }

    /// <summary>The moment the recovery point represents (the snapshot's time); now when null.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>How many threads compress and encrypt; the number of cores when 0.</summary>
    public int Workers { get; init; }

    /// <summary>Why this recovery point repairs the replica (it was found, or may be, inconsistent), if it does; not stored in the pool.</summary>
    public string? RepairReason { get; init; }
}

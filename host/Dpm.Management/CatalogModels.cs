using System.Text.Json.Serialization;

namespace Dpm.Management;

/// <summary>An alert as the management API shows it.</summary>
public sealed record AlertInfo
{
    public required Guid Id { get; init; }

    /// <summary>ReplicaInconsistent, RecoveryPointFailed, SlaMissed, PoolAlmostFull, LicenceOverCount, LicenceNearExpiry, AgentNotResponding.</summary>
    public required string Type { get; init; }

    /// <summary>Critical, Warning or Informational.</summary>
    public required string Severity { get; init; }

    public required string Subject { get; init; }

    public required string Message { get; init; }

    public bool IsActive { get; init; }

    public DateTimeOffset RaisedAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }

    public int Occurrences { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    public string? Resolution { get; init; }
}

/// <summary>What <c>dpm catalog rebuild</c> put back into the catalog from the storage pool's manifests.</summary>
public sealed record CatalogRebuildResult
{
    public int RecoveryPoints { get; init; }

    public int DataSources { get; init; }

    public int Computers { get; init; }

    /// <summary>Manifests that couldn't be read, with why.</summary>
    public IReadOnlyList<string> Damaged { get; init; } = [];
}

/// <summary>A protection group's policy as the management API takes and shows it.</summary>
public sealed record ProtectionPolicyDto
{
    /// <summary>Short-term disk retention range in days (1–448).</summary>
    public int RetentionDays { get; init; } = 5;

    /// <summary>
    /// Minutes between synchronizations: 15, 30, 45, 60, 120, 240, 360, 720 or 1440; null for just before each
    /// recovery point (written out as null, so that it is not taken for "left out", which means 15).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? SynchronizationMinutes { get; init; } = 15;

    /// <summary>When recovery points are made: "Daily HH:MM" or "Mon HH:MM" … "Sun HH:MM".</summary>
    public IReadOnlyList<string> RecoveryPointTimes { get; init; } = ["Daily 20:00"];

    /// <summary>An alert when no recovery point is newer than this many hours.</summary>
    public int SlaHours { get; init; } = 24;

    public bool CompressOnTheWire { get; init; }

    /// <summary>Recovery points kept per file data source (1–64); the oldest beyond it are pruned.</summary>
    public int MaxFileRecoveryPoints { get; init; } = 64;

    /// <summary>Express fulls kept per application data source (1–448); the oldest beyond it are pruned.</summary>
    public int MaxExpressFulls { get; init; } = 448;

    /// <summary>When the daily consistency-check window starts, "HH:MM" in the server's local time; null for no daily check.</summary>
    public string? ConsistencyCheckWindowStart { get; init; }

    /// <summary>How long the daily consistency-check window lasts, in minutes (60–1440).</summary>
    public int ConsistencyCheckWindowMinutes { get; init; } = 120;
}

/// <summary>Changes to a protection group's policy: only the values given change, the others stay as they are.</summary>
public sealed record ProtectionPolicyChangeDto
{
    public int? RetentionDays { get; init; }

    /// <summary>A new synchronization frequency in minutes (not together with <see cref="SynchronizeBeforeRecoveryPoint"/>).</summary>
    public int? SynchronizationMinutes { get; init; }

    /// <summary>True: synchronize just before each recovery point instead of on a frequency.</summary>
    public bool SynchronizeBeforeRecoveryPoint { get; init; }

    /// <summary>The new recovery point times; they replace the old ones.</summary>
    public IReadOnlyList<string>? RecoveryPointTimes { get; init; }

    public int? SlaHours { get; init; }

    public int? MaxFileRecoveryPoints { get; init; }

    public int? MaxExpressFulls { get; init; }

    /// <summary>A new start of the daily consistency-check window, "HH:MM" (not together with <see cref="NoConsistencyCheckWindow"/>).</summary>
    public string? ConsistencyCheckWindowStart { get; init; }

    /// <summary>True: no daily consistency check any more.</summary>
    public bool NoConsistencyCheckWindow { get; init; }

    public int? ConsistencyCheckWindowMinutes { get; init; }

    public bool? CompressOnTheWire { get; init; }
}

/// <summary>Resolves an alert: what the operator did about it.</summary>
public sealed record ResolveAlertDto
{
    public required string Resolution { get; init; }
}

/// <summary>What a pruning run removed: recovery points past their protection group's retention range or limit.</summary>
public sealed record PruneResult
{
    /// <summary>The Prune job that recorded the run.</summary>
    public Guid JobId { get; init; }

    public int RecoveryPoints { get; init; }

    /// <summary>What the removed points had added to the storage pool (freed by garbage collection unless other points share it).</summary>
    public long StoredBytes { get; init; }

    public int DataSources { get; init; }

    /// <summary>Points that could not be removed, with why; they are tried again next time.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>A new protection group.</summary>
public sealed record NewProtectionGroupDto
{
    public required string Name { get; init; }

    public ProtectionPolicyDto Policy { get; init; } = new();
}

/// <summary>A data source of a protection group.</summary>
public sealed record GroupMemberDto
{
    public required string DataSourceId { get; init; }

    /// <summary>The protected computer; the server's own when null. Another computer needs an attached agent.</summary>
    public string? Computer { get; init; }

    /// <summary>The workload plugin; the file workload for folders and volumes when null.</summary>
    public string? PluginId { get; init; }
}

/// <summary>A protection group with its policy and members.</summary>
public sealed record ProtectionGroupInfo
{
    public required string Name { get; init; }

    public required ProtectionPolicyDto Policy { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Members as COMPUTER/DATASOURCE.</summary>
    public IReadOnlyList<string> Members { get; init; } = [];
}

/// <summary>A job as the management API shows it.</summary>
public sealed record JobInfo
{
    public required Guid Id { get; init; }

    /// <summary>ReplicaCreation, Synchronization, ExpressFull, ConsistencyCheck, Recovery, Prune, Verify.</summary>
    public required string Type { get; init; }

    /// <summary>Queued, Running, Succeeded, Failed, Cancelled.</summary>
    public required string State { get; init; }

    public string? DataSourceId { get; init; }

    public string? Server { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Which try of the work this is (1 the first).</summary>
    public int Attempt { get; init; } = 1;

    public long BytesDone { get; init; }

    /// <summary>The bytes the work will read in all, when known.</summary>
    public long? BytesTotal { get; init; }

    public long ItemsDone { get; init; }

    /// <summary>The item the work was at when its progress was last written.</summary>
    public string? CurrentItem { get; init; }

    /// <summary>Someone asked for the job to be cancelled (it ends Cancelled, unless it ended before the request reached it).</summary>
    public bool CancelRequested { get; init; }

    public string? Error { get; init; }

    /// <summary>Whether the job has ended (succeeded, failed or cancelled).</summary>
    [JsonIgnore]
    public bool HasEnded => State is not ("Queued" or "Running");
}

/// <summary>What a run of the cloud copy did.</summary>
public sealed record CloudCopyResult
{
    /// <summary>The CloudCopy job that recorded the run.</summary>
    public Guid JobId { get; init; }

    /// <summary>Where the copy is (no credentials).</summary>
    public string Target { get; init; } = "";

    public int RecoveryPointsCopied { get; init; }

    public int ObjectsCopied { get; init; }

    public long BytesCopied { get; init; }

    /// <summary>Objects locked against deletion in the copy (0 where the store can't lock).</summary>
    public int ObjectsLocked { get; init; }

    /// <summary>Recovery points whose time in the copy was over and that left it.</summary>
    public int RecoveryPointsExpired { get; init; }
}

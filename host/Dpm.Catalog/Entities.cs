namespace Dpm.Catalog;

/// <summary>A computer the server protects (the server itself, or one with an agent).</summary>
public sealed class Computer
{
    public required string Name { get; set; }

    public DateTimeOffset AttachedAt { get; set; }

    public string? AgentVersion { get; set; }

    public DateTimeOffset? LastHeartbeat { get; set; }

    /// <summary>The SHA-256 thumbprint of the client certificate its agent was given at attach (the only one accepted).</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>When its agent was removed: from then on its certificate is refused.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>The workload plugins its agent loaded, as its last heartbeat said (comma-separated ids).</summary>
    public string? AgentPlugins { get; set; }

    /// <summary>Network bandwidth usage throttling during work hours, bytes per second; 0: none.</summary>
    public long ThrottleWorkHoursRate { get; set; }

    /// <summary>Network bandwidth usage throttling outside work hours, bytes per second; 0: none.</summary>
    public long ThrottleNonWorkHoursRate { get; set; }

    /// <summary>Work days as a bit mask, bit 0 Sunday … bit 6 Saturday (Monday to Friday by default).</summary>
    public int WorkDays { get; set; } = 0b0111110;

    /// <summary>Work hours, in minutes after midnight, server time (09:00–17:00 by default).</summary>
    public int WorkStartMinute { get; set; } = 9 * 60;

    public int WorkEndMinute { get; set; } = 17 * 60;
}

/// <summary>A one-time token that lets an agent attach as a computer: it expires, and it works once.</summary>
public sealed class AttachToken
{
    public required string Id { get; set; }

    public required string ComputerName { get; set; }

    /// <summary>SHA-256 of the token's secret (hex); the secret itself is never stored.</summary>
    public required string SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}

/// <summary>A protection group: data sources protected together under one policy.</summary>
public sealed class ProtectionGroup
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public required string Name { get; set; }

    public ProtectionPolicy Policy { get; set; } = new();

    public DateTimeOffset CreatedAt { get; set; }

    public List<DataSourceRecord> Members { get; set; } = [];
}

/// <summary>A protection group's policy, in DPM's terms.</summary>
public sealed class ProtectionPolicy
{
    /// <summary>The short-term disk retention range, in days.</summary>
    public int RetentionDays { get; set; } = 5;

    /// <summary>Minutes between synchronizations (15 … 1440), or null: just before each recovery point.</summary>
    public int? SynchronizationMinutes { get; set; } = 15;

    /// <summary>When express fulls (recovery points) are made: entries like "Mon 20:00", "Daily 08:00".</summary>
    public List<string> RecoveryPointTimes { get; set; } = ["Daily 20:00"];

    /// <summary>Recovery points kept per file data source.</summary>
    public int MaxFileRecoveryPoints { get; set; } = 64;

    /// <summary>Express fulls kept per application data source.</summary>
    public int MaxExpressFulls { get; set; } = 448;

    /// <summary>Incremental synchronizations kept per express full of an application data source.</summary>
    public int MaxIncrementals { get; set; } = 96;

    /// <summary>Start of the daily consistency-check window (minutes after midnight, local time), or null.</summary>
    public int? ConsistencyCheckWindowStart { get; set; }

    /// <summary>Length of the daily consistency-check window in minutes.</summary>
    public int ConsistencyCheckWindowMinutes { get; set; } = 120;

    /// <summary>Run a consistency check by itself when a replica is found inconsistent.</summary>
    public bool CheckWhenInconsistent { get; set; } = true;

    public bool CompressOnTheWire { get; set; }

    /// <summary>The recovery point objective: an alert when no recovery point is newer than this many hours.</summary>
    public int SlaHours { get; set; } = 24;
}

public enum ReplicaState
{
    NotCreated,
    Consistent,
    Inconsistent,
}

/// <summary>A data source the catalog knows: a volume, folder, database… on a computer, maybe a group member.</summary>
public sealed class DataSourceRecord
{
    /// <summary>The workload's id for it (e.g. "folder:/srv/data").</summary>
    public required string Id { get; set; }

    public required string ComputerName { get; set; }

    public required string PluginId { get; set; }

    public required string Name { get; set; }

    public string Kind { get; set; } = "Folder";

    public string? Location { get; set; }

    public Guid? ProtectionGroupId { get; set; }

    public ReplicaState Replica { get; set; }

    /// <summary>Since when the replica has been inconsistent (those days don't count toward retention).</summary>
    public DateTimeOffset? InconsistentSince { get; set; }

    public string? InconsistentReason { get; set; }
}

public enum CopyLocation
{
    Disk,
    Tape,
    Cloud,
    SecondaryServer,
}

/// <summary>A recovery point as the catalog lists it; its manifest lives in the storage pool.</summary>
public sealed class RecoveryPointRecord
{
    public required string Id { get; set; }

    public required string DataSourceId { get; set; }

    public required string ComputerName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string Kind { get; set; } = "ExpressFull";

    public string Consistency { get; set; } = "CrashConsistent";

    public long Items { get; set; }

    public long Bytes { get; set; }

    public long StoredBytes { get; set; }

    /// <summary>What the synchronization read from the data source.</summary>
    public long BytesRead { get; set; }

    /// <summary>The new data it brought to the pool (before compression).</summary>
    public long NewBytes { get; set; }

    public List<RecoveryPointCopy> Copies { get; set; } = [];
}

/// <summary>Where one copy of a recovery point lives, and until when it is kept there.</summary>
public sealed class RecoveryPointCopy
{
    public CopyLocation Location { get; set; }

    /// <summary>The pool, tape, bucket or server holding it.</summary>
    public required string Target { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}

public enum JobType
{
    ReplicaCreation,
    Synchronization,
    ExpressFull,
    ConsistencyCheck,
    Recovery,
    Prune,
    Verify,

    /// <summary>Recovery points copied to the long-term cloud copy.</summary>
    CloudCopy,

    /// <summary>A scheduled report rendered, written to the report folder and e-mailed.</summary>
    Report,
}

public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>One run of work, with its live progress.</summary>
public sealed class Job
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public JobType Type { get; set; }

    public JobState State { get; set; }

    public string? DataSourceId { get; set; }

    public Guid? ProtectionGroupId { get; set; }

    /// <summary>The server that runs it (several share a clustered catalog).</summary>
    public string? Server { get; set; }

    public int Attempt { get; set; } = 1;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public long BytesDone { get; set; }

    public long? BytesTotal { get; set; }

    public long ItemsDone { get; set; }

    public string? CurrentItem { get; set; }

    public string? Error { get; set; }

    public bool CancelRequested { get; set; }
}

public enum AlertSeverity
{
    Informational,
    Warning,
    Critical,
}

public enum AlertType
{
    ReplicaInconsistent,
    RecoveryPointFailed,
    SlaMissed,
    PoolAlmostFull,
    LicenceOverCount,
    LicenceNearExpiry,
    AgentNotResponding,
}

/// <summary>An alert: active until resolved (then inactive, with the resolution); one active alert per type and subject.</summary>
public sealed class Alert
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public AlertType Type { get; set; }

    public AlertSeverity Severity { get; set; }

    /// <summary>What it is about: a data source, group, pool or computer.</summary>
    public required string Subject { get; set; }

    public required string Message { get; set; }

    public bool IsActive { get; set; } = true;

    public DateTimeOffset RaisedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public int Occurrences { get; set; } = 1;

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? Resolution { get; set; }
}

/// <summary>A computer's use of a licence tier.</summary>
public sealed class LicenceConsumption
{
    public required string ComputerName { get; set; }

    public required string Tier { get; set; }

    public DateTimeOffset Since { get; set; }
}

/// <summary>
/// A report the server makes on a schedule, as DPM let operators schedule each report: rendered over a period
/// reckoned from when it is made, written to the report folder, and e-mailed to its recipients.
/// </summary>
public sealed class ReportSchedule
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>The report's name (status, protection, … or one of the deployment's).</summary>
    public required string Report { get; set; }

    /// <summary>html, csv or md.</summary>
    public required string Format { get; set; }

    /// <summary>When, in server time: "Once 2026-12-01 08:00", "Daily 07:00", "Weekly Mon 08:00", "Monthly 1 08:00".</summary>
    public required string Recurrence { get; set; }

    /// <summary>The period each report covers: "last 1 week", "current month"…</summary>
    public required string Period { get; set; }

    /// <summary>The e-mail addresses it goes to, comma-separated; empty: the report folder only.</summary>
    public string Recipients { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

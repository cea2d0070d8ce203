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

namespace Dpm.Contracts.Workloads;

/// <summary>How thorough a consistency check is.</summary>
public enum ConsistencyCheckLevel
{
    /// <summary>Compare metadata (sizes, times, attributes) of the replica with the data source.</summary>
    Light = 1,

    /// <summary>Compare checksums of all data.</summary>
    Heavy = 2,
}

/// <summary>The plugin's own part of a consistency check.</summary>
public sealed record ConsistencyCheckResult
{
    /// <summary>True when the plugin found nothing wrong (or has no checks of its own).</summary>
    public required bool IsConsistent { get; init; }

    /// <summary>Items the host must synchronize again to repair the replica.</summary>
    public IReadOnlyList<string> ItemsToResynchronize { get; init; } = [];

    /// <summary>What was found, for the job's log.</summary>
    public IReadOnlyList<string> Findings { get; init; } = [];

    /// <summary>The answer of a plugin that adds nothing to the host's own comparison.</summary>
    public static ConsistencyCheckResult NoWorkloadChecks { get; } = new() { IsConsistent = true };
}

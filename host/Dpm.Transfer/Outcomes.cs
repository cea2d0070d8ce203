using Dpm.Management;
using Dpm.Protection;
using Dpm.Storage.Manifests;

namespace Dpm.Transfer;

/// <summary>What a synchronization or consistency check did, as the management API shows it (and an agent reports it).</summary>
public static class Outcomes
{
    public static ConsistencyCheckResultDto ToCheck(ConsistencyCheckOutcome result, TimeSpan elapsed) => new()
    {
        Level = result.Level,
        ItemsCompared = result.ItemsCompared,
        BytesCompared = result.BytesCompared,
        Inconsistencies = [.. result.Inconsistencies.Select(i => new InconsistencyInfo(i.Path, i.Reason))],
        Repair = result.Repair is { } repair ? ToOutcome(repair, elapsed) : null,
    };

    public static SynchronizationOutcome ToOutcome(SynchronizationResult result, TimeSpan elapsed) => new()
    {
        RecoveryPoint = Summary(result.RecoveryPoint),
        ItemsRead = result.ItemsRead,
        ItemsReused = result.ItemsReused,
        ChangedWhileRead = result.ChangedWhileRead,
        Vanished = result.Vanished,
        FullEnumerationReason = result.FullEnumerationReason,
        FreezeNotSupportedReason = result.FreezeNotSupportedReason,
        Seconds = elapsed.TotalSeconds,
        ItemsListed = result.ItemsListed,
        ReplicaInconsistentReason = result.ReplicaInconsistentReason,
        ConsistencyCheck = result.ConsistencyCheck is { } check ? ToCheck(check, elapsed) : null,
    };

    public static RecoveryPointSummary Summary(RecoveryPointManifest m) => new()
    {
        Id = m.Id,
        DataSourceId = m.DataSourceId,
        DataSourceName = m.DataSourceName,
        PluginId = m.PluginId,
        Computer = m.Computer,
        CreatedAt = m.CreatedAt,
        Kind = m.Kind,
        Consistency = m.Consistency,
        Items = m.Stats.Items,
        Bytes = m.Stats.Bytes,
        BytesRead = m.Stats.BytesRead,
        NewBytes = m.Stats.NewBytes,
        StoredBytes = m.Stats.StoredBytes,
    };
}

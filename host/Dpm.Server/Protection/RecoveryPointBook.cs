using Dpm.Catalog;
using Dpm.Storage.Manifests;

namespace Dpm.Server.Protection;

/// <summary>A data source of a computer, as the catalog names it.</summary>
internal sealed record CatalogedDataSource(string Computer, string Id, string PluginId, string Name, string Kind, string? Location)
{
    /// <summary>The subject of the data source's alerts.</summary>
    public string Subject => $"{Computer}/{Id}";
}

/// <summary>
/// Puts a recovery point that was just committed into the catalog and settles the data source's alerts: a
/// replica found inconsistent is raised, and resolved by the point that repairs it; a point made resolves an
/// earlier failure.
/// </summary>
internal sealed class RecoveryPointBook(CatalogHost catalog, PoolHost pools)
{
    public async Task RecordAsync(CatalogedDataSource source, RecoveryPointManifest point, string? repairReason, CancellationToken cancellationToken)
    {
        await using (var context = catalog.Open())
        {
            if (await context.Computers.FindAsync([source.Computer], cancellationToken) is null)
            {
                context.Computers.Add(new Computer { Name = source.Computer, AttachedAt = point.CreatedAt });
            }

            if (await context.DataSources.FindAsync([source.Computer, source.Id], cancellationToken) is not { } dataSource)
            {
                dataSource = context.DataSources.Add(new DataSourceRecord
                {
                    Id = source.Id, ComputerName = source.Computer, PluginId = source.PluginId, Name = source.Name, Kind = source.Kind, Location = source.Location,
                }).Entity;
            }

            dataSource.Replica = ReplicaState.Consistent;
            dataSource.InconsistentSince = null;
            dataSource.InconsistentReason = null;
            context.RecoveryPoints.Add(CatalogRebuilder.Record(point, source.Computer, pools.Location));
            await context.SaveChangesAsync(cancellationToken);
        }

        if (repairReason is not null)
        {
            await catalog.Alerts.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, source.Subject, $"the replica of {source.Name} may be inconsistent: {repairReason}", cancellationToken);
            await catalog.Alerts.ResolveAsync(
                AlertType.ReplicaInconsistent, source.Subject, $"a consistency check compared everything and recovery point {point.Id} repaired the replica", cancellationToken);
        }

        await catalog.Alerts.ResolveAsync(AlertType.RecoveryPointFailed, source.Subject, $"recovery point {point.Id} was made", cancellationToken);
    }
}

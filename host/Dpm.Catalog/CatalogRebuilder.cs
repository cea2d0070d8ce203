using Dpm.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>What a rebuild found in the pool and put back into the catalog.</summary>
public sealed record CatalogRebuildReport(int RecoveryPoints, int DataSources, int Computers, IReadOnlyList<(string ObjectName, string Problem)> Damaged);

/// <summary>
/// Recreates the catalog's computers, data sources and recovery points from the storage pool's own manifests
/// (`dpm catalog rebuild`), for when the catalog is lost. What the pool can't tell (protection groups and their
/// policies, jobs, alerts) is left as it is.
/// </summary>
public static class CatalogRebuilder
{
    /// <summary>The computer a manifest without one was made on (the server's own).</summary>
    public const string LocalComputer = "local";

    public static async Task<CatalogRebuildReport> RebuildAsync(StoragePool pool, string poolName, Func<CatalogContext> open, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(open);
        var (manifests, damaged) = await pool.ReadManifestsAsync(cancellationToken);
        await using var catalog = open();
        var computers = await catalog.Computers.ToDictionaryAsync(c => c.Name, cancellationToken);
        var dataSources = await catalog.DataSources.ToDictionaryAsync(d => (d.ComputerName, d.Id), cancellationToken);
        var known = (await catalog.RecoveryPoints.Select(p => p.Id).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        int addedPoints = 0, addedSources = 0, addedComputers = 0;
        foreach (var manifest in manifests)
        {
            var computer = manifest.Computer ?? LocalComputer;
            if (!computers.ContainsKey(computer))
            {
                computers[computer] = catalog.Computers.Add(new Computer { Name = computer, AttachedAt = manifest.CreatedAt }).Entity;
                addedComputers++;
            }

            if (!dataSources.ContainsKey((computer, manifest.DataSourceId)))
            {
                dataSources[(computer, manifest.DataSourceId)] = catalog.DataSources.Add(new DataSourceRecord
                {
                    Id = manifest.DataSourceId,
                    ComputerName = computer,
                    PluginId = manifest.PluginId ?? "",
                    Name = manifest.DataSourceName,
                    Replica = ReplicaState.Consistent,
                }).Entity;
                addedSources++;
            }

            if (known.Add(manifest.Id))
            {
                catalog.RecoveryPoints.Add(Record(manifest, computer, poolName));
                addedPoints++;
            }
        }

        await catalog.SaveChangesAsync(cancellationToken);
        return new CatalogRebuildReport(addedPoints, addedSources, addedComputers, damaged);
    }

    /// <summary>The catalog's row for a recovery point the pool holds, with its copy in that pool.</summary>
    public static RecoveryPointRecord Record(Dpm.Storage.Manifests.RecoveryPointManifest manifest, string computer, string poolName)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new RecoveryPointRecord
        {
            Id = manifest.Id,
            DataSourceId = manifest.DataSourceId,
            ComputerName = computer,
            CreatedAt = manifest.CreatedAt,
            Kind = manifest.Kind.ToString(),
            Consistency = manifest.Consistency.ToString(),
            Items = manifest.Stats.Items,
            Bytes = manifest.Stats.Bytes,
            StoredBytes = manifest.Stats.StoredBytes,
            BytesRead = manifest.Stats.BytesRead,
            NewBytes = manifest.Stats.NewBytes,
            Copies = [new RecoveryPointCopy { Location = CopyLocation.Disk, Target = poolName }],
        };
    }
}

using Dpm.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>What a pruning run removed, and what it could not.</summary>
/// <param name="RecoveryPoints">Recovery points removed from the storage pool (and their disk copies from the catalog).</param>
/// <param name="StoredBytes">What those points had added to the pool; the next garbage collections free it, unless other points share the chunks.</param>
/// <param name="DataSources">Data sources that lost at least one point.</param>
/// <param name="Problems">Points that could not be removed, with why (they stay in the catalog and are tried again next time).</param>
public sealed record PruneReport(int RecoveryPoints, long StoredBytes, int DataSources, IReadOnlyList<string> Problems);

/// <summary>
/// Short-term disk retention, as DPM prunes it: for every data source that is a member of a protection group,
/// the group's policy decides (through <see cref="RetentionPlanner"/>) which of its recovery points on disk have
/// expired: past the retention range (time with an inconsistent replica, taken from the data source's
/// ReplicaInconsistent alerts, does not count), or beyond the recovery point limit (file data sources have their
/// own, application data sources count express fulls). Each expired point leaves the storage pool first, then the
/// catalog. The newest point of a data source always stays; data sources in no group are left alone.
/// </summary>
public sealed class RecoveryPointPruner(Func<CatalogContext> open, TimeProvider time)
{
    /// <summary>The plugin whose data sources are file data sources (their limit is <see cref="ProtectionPolicy.MaxFileRecoveryPoints"/>).</summary>
    public const string FilesPlugin = "Dpm.Workloads.Files";

    /// <param name="pool">The storage pool the disk copies live in.</param>
    /// <param name="poolName">The name the catalog gives that pool in a disk copy's target.</param>
    /// <param name="cancellationToken">Stops between points; what was removed stays removed.</param>
    public async Task<PruneReport> PruneAsync(StoragePool pool, string poolName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentException.ThrowIfNullOrEmpty(poolName);
        var now = time.GetUtcNow();
        List<(DataSourceRecord DataSource, ProtectionPolicy Policy)> members;
        Dictionary<string, List<(DateTimeOffset From, DateTimeOffset? To)>> inconsistent;
        await using (var catalog = open())
        {
            var groups = await catalog.ProtectionGroups.AsNoTracking().Include(g => g.Members).ToListAsync(cancellationToken);
            members = [.. groups.SelectMany(g => g.Members.Select(m => (m, g.Policy)))];
            var alerts = await catalog.Alerts.AsNoTracking().Where(a => a.Type == AlertType.ReplicaInconsistent).ToListAsync(cancellationToken);
            inconsistent = alerts.GroupBy(a => a.Subject, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(a => (a.RaisedAt, a.IsActive ? null : a.ResolvedAt)).ToList(), StringComparer.Ordinal);
        }

        int removed = 0, dataSources = 0;
        long bytes = 0;
        var problems = new List<string>();
        foreach (var (dataSource, policy) in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (count, stored) = await PruneAsync(pool, poolName, dataSource, policy, inconsistent.GetValueOrDefault($"{dataSource.ComputerName}/{dataSource.Id}") ?? [], now, problems, cancellationToken);
            removed += count;
            bytes += stored;
            dataSources += count > 0 ? 1 : 0;
        }

        return new PruneReport(removed, bytes, dataSources, problems);
    }

    /// <summary>Prunes one data source; returns how many points went and what they had stored.</summary>
    private async Task<(int Count, long StoredBytes)> PruneAsync(
        StoragePool pool,
        string poolName,
        DataSourceRecord dataSource,
        ProtectionPolicy policy,
        IReadOnlyList<(DateTimeOffset From, DateTimeOffset? To)> inconsistent,
        DateTimeOffset now,
        List<string> problems,
        CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var onDisk = (await catalog.RecoveryPoints
                .Where(p => p.ComputerName == dataSource.ComputerName && p.DataSourceId == dataSource.Id)
                .ToListAsync(cancellationToken))
            .Where(p => p.Copies.Any(c => c.Location == CopyLocation.Disk && c.Target == poolName))
            .ToDictionary(p => p.Id, StringComparer.Ordinal);
        var limit = Math.Max(1, dataSource.PluginId == FilesPlugin ? policy.MaxFileRecoveryPoints : policy.MaxExpressFulls);
        var expired = RetentionPlanner.Expired(
            onDisk.Values.Select(p => (p.Id, p.CreatedAt)), TimeSpan.FromDays(policy.RetentionDays), limit, now, inconsistent);

        var count = 0;
        long stored = 0;
        foreach (var id in expired)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break; // what already left the pool still leaves the catalog below
            }

            var point = onDisk[id];
            try
            {
                // false: already gone from the pool (a point written without a computer is catalogued as the local one)
                _ = await pool.DeleteRecoveryPointAsync(point.ComputerName, point.DataSourceId, point.Id, CancellationToken.None)
                    || (point.ComputerName == CatalogRebuilder.LocalComputer && await pool.DeleteRecoveryPointAsync(null, point.DataSourceId, point.Id, CancellationToken.None));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add($"recovery point {id} of {dataSource.ComputerName}/{dataSource.Id} stays: the storage pool could not delete it: {ex.Message}");
                continue;
            }

            // The disk copy is gone; a point kept elsewhere too (tape, cloud) stays listed with its other copies.
            point.Copies.RemoveAll(c => c.Location == CopyLocation.Disk && c.Target == poolName);
            if (point.Copies.Count == 0)
            {
                catalog.RecoveryPoints.Remove(point);
            }

            count++;
            stored += point.StoredBytes;
        }

        try
        {
            await catalog.SaveChangesAsync(CancellationToken.None); // what left the pool leaves the catalog too
        }
        catch (DbUpdateConcurrencyException ex)
        {
            problems.Add($"the catalog rows of {dataSource.ComputerName}/{dataSource.Id} changed while they were pruned (another server pruning?); the next run settles them: {ex.Message}");
        }

        return (count, stored);
    }
}

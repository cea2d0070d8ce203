using Dpm.Catalog.Tests.Support;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Catalog.Tests;

/// <summary>
/// Retention pruning on a real storage pool with real recovery points and a clock the test sets: what goes leaves
/// the pool and the catalog alike, and the pool still verifies clean.
/// </summary>
public abstract class RecoveryPointPrunerTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    private const string PoolName = "disk-pool";
    private const string A = "folder:/srv/a";
    private const string B = "folder:/srv/b";

    private readonly FakeTimeProvider _clock = new(Day.AddDays(-30));

    [Fact]
    public async Task Prune_PointsPastTheRetentionRange_LeaveThePoolAndTheCatalog_AndThePoolVerifiesClean()
    {
        await using var pool = await TestPool.CreateAsync();
        var points = await BackupDailyAsync(pool, A, -10, -8, -6, -4, -2);
        await RebuildAsync(pool);
        await JoinGroupAsync(p => p.RetentionDays = 5, A);
        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        Assert.Equal((3, 1), (report.RecoveryPoints, report.DataSources));
        Assert.Equal(points.Take(3).Sum(p => p.Stats.StoredBytes), report.StoredBytes);
        Assert.Empty(report.Problems);
        string[] kept = [points[3].Id, points[4].Id];
        Assert.Equal(kept, await PoolIdsAsync(pool));
        Assert.Equal(kept, await CatalogIdsAsync());
        var verified = await pool.Pool.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);
        Assert.True(verified.IsHealthy, string.Join("; ", verified.Problems.Concat(verified.Damaged.SelectMany(d => d.Reasons))));
        Assert.Equal(2, verified.RecoveryPoints);
    }

    [Fact]
    public async Task Prune_TimeWithAnInconsistentReplica_DoesNotCountTowardTheRange()
    {
        await using var pool = await TestPool.CreateAsync();
        var points = await BackupDailyAsync(pool, A, -10, -7, -1);
        await RebuildAsync(pool);
        await JoinGroupAsync(p => p.RetentionDays = 5, A);
        var alerts = new AlertBook(Open, _clock);

        // Two days inconsistent, over; one more still going; another data source's (and computer's) don't count.
        await alerts.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs2/" + A, "another computer's replica", CancellationToken.None);
        _clock.SetUtcNow(Day.AddDays(-4));
        await alerts.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs1/" + A, "the change journal overflowed", CancellationToken.None);
        _clock.SetUtcNow(Day.AddDays(-2));
        await alerts.ResolveAsync(AlertType.ReplicaInconsistent, "fs1/" + A, "a consistency check repaired the replica", CancellationToken.None);
        _clock.SetUtcNow(Day.AddDays(-1));
        await alerts.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs1/" + A, "the agent restarted", CancellationToken.None);
        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        // The 7-day-old point counts 4 days (kept); the 10-day-old one counts 7 (gone).
        Assert.Equal(1, report.RecoveryPoints);
        Assert.Equal([points[1].Id, points[2].Id], await PoolIdsAsync(pool));
        Assert.Equal([points[1].Id, points[2].Id], await CatalogIdsAsync());
    }

    [Fact]
    public async Task Prune_MoreThanTheRecoveryPointLimit_TheOldestGo_FileAndApplicationDataSourcesEachByTheirOwnLimit()
    {
        await using var pool = await TestPool.CreateAsync();
        var files = await BackupDailyAsync(pool, A, -5, -4, -3, -2, -1);
        var database = new List<RecoveryPointManifest>();
        foreach (var day in new[] { -4, -3, -2, -1 })
        {
            database.Add(await pool.BackupAsync("sql:fs1/Payroll", "fs1", Day.AddDays(day), $"pages {day}", pluginId: "Dpm.Workloads.Sql"));
        }

        await RebuildAsync(pool);
        await JoinGroupAsync(
            p =>
            {
                p.RetentionDays = 30;
                p.MaxFileRecoveryPoints = 3;
                p.MaxExpressFulls = 2;
            },
            A,
            "sql:fs1/Payroll");
        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        Assert.Equal((4, 2), (report.RecoveryPoints, report.DataSources));
        string[] kept = [.. files.Skip(2).Concat(database.Skip(2)).Select(p => p.Id).Order(StringComparer.Ordinal)];
        Assert.Equal(kept, await PoolIdsAsync(pool));
        Assert.Equal(kept, await CatalogIdsAsync());
        Assert.True((await pool.Pool.VerifyAsync(new VerifyOptions(), null, CancellationToken.None)).IsHealthy);
    }

    [Fact]
    public async Task Prune_EvenTheNewestPointIsLongPastTheRange_TheLastGoodPointStays()
    {
        await using var pool = await TestPool.CreateAsync();
        var a = await BackupDailyAsync(pool, A, -400, -300);
        var b = await BackupDailyAsync(pool, B, -500);
        await RebuildAsync(pool);
        await JoinGroupAsync(
            p =>
            {
                p.RetentionDays = 1;
                p.MaxFileRecoveryPoints = 1;
            },
            A,
            B);
        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);
        var again = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        Assert.Equal(1, report.RecoveryPoints);
        Assert.Equal(0, again.RecoveryPoints);
        string[] kept = [a[1].Id, b[0].Id];
        Assert.Equal(kept.Order(StringComparer.Ordinal), await PoolIdsAsync(pool));
        Assert.Equal(kept.Order(StringComparer.Ordinal), await CatalogIdsAsync());
        Assert.Equal(a[1].Id, (await pool.Pool.ReadLatestManifestAsync("fs1", A, CancellationToken.None))!.Id); // the next synchronization still continues from it
    }

    [Fact]
    public async Task Prune_DataSourceInNoProtectionGroup_IsLeftAlone()
    {
        await using var pool = await TestPool.CreateAsync();
        var member = await BackupDailyAsync(pool, A, -20, -1);
        var outside = await BackupDailyAsync(pool, B, -300, -200, -100);
        await RebuildAsync(pool);
        await JoinGroupAsync(p => p.RetentionDays = 5, A);
        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        Assert.Equal(1, report.RecoveryPoints);
        string[] kept = [.. outside.Select(p => p.Id).Append(member[1].Id).Order(StringComparer.Ordinal)];
        Assert.Equal(kept, await PoolIdsAsync(pool));
        Assert.Equal(kept, await CatalogIdsAsync());
    }

    [Fact]
    public async Task Prune_ExpiredPointWithATapeCopyToo_LeavesThePool_AndStaysListedWithItsTapeCopy()
    {
        await using var pool = await TestPool.CreateAsync();
        var points = await BackupDailyAsync(pool, A, -10, -1);
        await RebuildAsync(pool);
        await JoinGroupAsync(p => p.RetentionDays = 5, A);
        await using (var catalog = Open())
        {
            var old = await catalog.RecoveryPoints.SingleAsync(p => p.Id == points[0].Id);
            old.Copies.Add(new RecoveryPointCopy { Location = CopyLocation.Tape, Target = "LTO-000123", ExpiresAt = Day.AddDays(365) });
            await catalog.SaveChangesAsync();
        }

        _clock.SetUtcNow(Day);

        var report = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);
        var again = await Pruner.PruneAsync(pool.Pool, PoolName, CancellationToken.None);

        Assert.Equal((1, 0), (report.RecoveryPoints, again.RecoveryPoints));
        Assert.Equal([points[1].Id], await PoolIdsAsync(pool));
        await using var after = Open();
        var tapeOnly = await after.RecoveryPoints.SingleAsync(p => p.Id == points[0].Id);
        Assert.Equal([(CopyLocation.Tape, "LTO-000123")], tapeOnly.Copies.Select(c => (c.Location, c.Target)));
    }

    private RecoveryPointPruner Pruner => new(Open, _clock);

    /// <summary>One recovery point of <paramref name="dataSource"/> on fs1 at each of the given days before <c>Day</c>, oldest first.</summary>
    private static async Task<List<RecoveryPointManifest>> BackupDailyAsync(TestPool pool, string dataSource, params int[] days)
    {
        var points = new List<RecoveryPointManifest>();
        foreach (var day in days)
        {
            points.Add(await pool.BackupAsync(dataSource, "fs1", Day.AddDays(day), $"{dataSource} on day {day}"));
        }

        return points;
    }

    private async Task RebuildAsync(TestPool pool) => await CatalogRebuilder.RebuildAsync(pool.Pool, PoolName, Open, CancellationToken.None);

    private async Task JoinGroupAsync(Action<ProtectionPolicy> policy, params string[] dataSources)
    {
        await using var catalog = Open();
        var group = new ProtectionGroup { Name = "Finance", CreatedAt = Day.AddDays(-1000) };
        policy(group.Policy);
        catalog.ProtectionGroups.Add(group);
        group.Members.AddRange(await catalog.DataSources.Where(d => dataSources.Contains(d.Id)).ToListAsync());
        Assert.Equal(dataSources.Length, group.Members.Count);
        await catalog.SaveChangesAsync();
    }

    private static async Task<string[]> PoolIdsAsync(TestPool pool) =>
        [.. (await pool.Pool.ListRecoveryPointIdsAsync(CancellationToken.None)).Select(p => p.RecoveryPointId).Order(StringComparer.Ordinal)];

    private async Task<string[]> CatalogIdsAsync()
    {
        await using var catalog = Open();
        return [.. (await catalog.RecoveryPoints.Select(p => p.Id).ToListAsync()).Order(StringComparer.Ordinal)];
    }
}

public sealed class SqliteRecoveryPointPrunerTests(SqliteCatalogs databases) : RecoveryPointPrunerTests<SqliteCatalogs>(databases);

public sealed class PostgresRecoveryPointPrunerTests(PostgresCatalogs databases) : RecoveryPointPrunerTests<PostgresCatalogs>(databases);

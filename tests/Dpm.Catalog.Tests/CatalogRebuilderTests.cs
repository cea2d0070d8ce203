using Dpm.Catalog.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog.Tests;

/// <summary>`dpm catalog rebuild`: the recovery points come back from the pool's manifests into an empty catalog.</summary>
public abstract class CatalogRebuilderTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    [Fact]
    public async Task Rebuild_EmptyCatalog_ListsEveryRecoveryPointAgain_AndASecondRebuildAddsNothing()
    {
        await using var pool = await TestPool.CreateAsync();
        var a1 = await pool.BackupAsync("folder:/srv/a", "fs1", Day, "one");
        var a2 = await pool.BackupAsync("folder:/srv/a", "fs1", Day.AddHours(1), "two");
        var b1 = await pool.BackupAsync("folder:/srv/b", null, Day.AddHours(2), "three");

        var report = await CatalogRebuilder.RebuildAsync(pool.Pool, "disk-pool", Open, CancellationToken.None);
        var again = await CatalogRebuilder.RebuildAsync(pool.Pool, "disk-pool", Open, CancellationToken.None);

        Assert.Equal((3, 2, 2), (report.RecoveryPoints, report.DataSources, report.Computers));
        Assert.Empty(report.Damaged);
        Assert.Equal((0, 0, 0), (again.RecoveryPoints, again.DataSources, again.Computers));
        await using var catalog = Open();
        var points = await catalog.RecoveryPoints.OrderBy(p => p.CreatedAt).ToListAsync();
        Assert.Equal([a1.Id, a2.Id, b1.Id], points.Select(p => p.Id));
        Assert.Equal(["fs1", "fs1", CatalogRebuilder.LocalComputer], points.Select(p => p.ComputerName));
        Assert.Equal(Day.AddHours(1), points[1].CreatedAt);
        Assert.Equal("three".Length, points[2].Bytes);
        Assert.All(points, p => Assert.Equal(new[] { (CopyLocation.Disk, "disk-pool") }, p.Copies.Select(c => (c.Location, c.Target))));
        Assert.Equal(["a", "b"], (await catalog.DataSources.ToListAsync()).Select(d => d.Name).Order());
    }

    [Fact]
    public async Task Rebuild_DamagedManifest_NamedAndTheOthersStillListed()
    {
        await using var pool = await TestPool.CreateAsync();
        var good = await pool.BackupAsync("folder:/srv/a", "fs1", Day, "one");
        var bad = await pool.BackupAsync("folder:/srv/a", "fs1", Day.AddHours(1), "two");
        var path = Path.Combine(pool.Folder, bad.ObjectName);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0xff;
        File.WriteAllBytes(path, bytes);

        var report = await CatalogRebuilder.RebuildAsync(pool.Pool, "disk-pool", Open, CancellationToken.None);

        Assert.Equal(1, report.RecoveryPoints);
        Assert.Equal(bad.ObjectName, Assert.Single(report.Damaged).ObjectName);
        await using var catalog = Open();
        Assert.Equal(good.Id, (await catalog.RecoveryPoints.SingleAsync()).Id);
    }
}

public sealed class SqliteCatalogRebuilderTests(SqliteCatalogs databases) : CatalogRebuilderTests<SqliteCatalogs>(databases);

public sealed class PostgresCatalogRebuilderTests(PostgresCatalogs databases) : CatalogRebuilderTests<PostgresCatalogs>(databases);

using Dpm.Catalog.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog.Tests;

/// <summary>The catalog's model on each provider: the same tests on a SQLite file and on a real PostgreSQL 15.</summary>
public abstract class CatalogContextTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    [Fact]
    public async Task Migrate_AgainOnAnUpToDateCatalog_ChangesNothing()
    {
        await Catalogs.MigrateAsync(Provider, ConnectionString, CancellationToken.None);

        await using var catalog = Open();
        Assert.Equal(catalog.Database.GetMigrations(), await catalog.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await catalog.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task ProtectionGroup_WithPolicyAndMembers_ReadsBackAsWritten()
    {
        await using (var catalog = Open())
        {
            catalog.Computers.Add(new Computer { Name = "fs1", AttachedAt = Day });
            catalog.ProtectionGroups.Add(new ProtectionGroup
            {
                Name = "Finance",
                CreatedAt = Day,
                Policy = new ProtectionPolicy { RetentionDays = 10, SynchronizationMinutes = null, RecoveryPointTimes = ["Mon 08:00", "Daily 20:00"], SlaHours = 12, CompressOnTheWire = true },
                Members =
                [
                    new DataSourceRecord { Id = "folder:/srv/finance", ComputerName = "fs1", PluginId = "Dpm.Workloads.Files", Name = "finance" },
                    new DataSourceRecord { Id = "folder:/srv/payroll", ComputerName = "fs1", PluginId = "Dpm.Workloads.Files", Name = "payroll", Replica = ReplicaState.Inconsistent, InconsistentSince = Day },
                ],
            });
            await catalog.SaveChangesAsync();
        }

        await using (var catalog = Open())
        {
            var group = await catalog.ProtectionGroups.Include(g => g.Members).SingleAsync(g => g.Name == "Finance");
            Assert.Equal(10, group.Policy.RetentionDays);
            Assert.Null(group.Policy.SynchronizationMinutes);
            Assert.Equal(["Mon 08:00", "Daily 20:00"], group.Policy.RecoveryPointTimes);
            Assert.True(group.Policy.CompressOnTheWire);
            Assert.Equal(["finance", "payroll"], group.Members.Select(m => m.Name).Order());
            Assert.Equal(Day, group.Members.Single(m => m.Name == "payroll").InconsistentSince);
        }

        await using (var catalog = Open())
        {
            catalog.ProtectionGroups.Add(new ProtectionGroup { Name = "Finance", CreatedAt = Day });
            await Assert.ThrowsAsync<DbUpdateException>(() => catalog.SaveChangesAsync()); // group names are unique
        }
    }

    [Fact]
    public async Task RecoveryPoints_WithTheirCopies_ListNewestFirstSinceATime()
    {
        await using (var catalog = Open())
        {
            catalog.Computers.Add(new Computer { Name = "fs2", AttachedAt = Day });
            catalog.DataSources.Add(new DataSourceRecord { Id = "folder:/data", ComputerName = "fs2", PluginId = "Dpm.Workloads.Files", Name = "data" });
            for (var hour = 0; hour < 5; hour++)
            {
                catalog.RecoveryPoints.Add(new RecoveryPointRecord
                {
                    Id = $"rp-{hour}",
                    DataSourceId = "folder:/data",
                    ComputerName = "fs2",
                    CreatedAt = Day.AddHours(hour),
                    Bytes = hour * 1000,
                    Copies = hour == 4
                        ? [new RecoveryPointCopy { Location = CopyLocation.Disk, Target = "pool" }, new RecoveryPointCopy { Location = CopyLocation.Cloud, Target = "s3://vault", ExpiresAt = Day.AddDays(365) }]
                        : [new RecoveryPointCopy { Location = CopyLocation.Disk, Target = "pool" }],
                });
            }

            await catalog.SaveChangesAsync();
        }

        await using (var catalog = Open())
        {
            var since = Day.AddHours(2);
            var points = await catalog.RecoveryPoints.Where(p => p.DataSourceId == "folder:/data" && p.CreatedAt >= since).OrderByDescending(p => p.CreatedAt).ToListAsync();

            Assert.Equal(["rp-4", "rp-3", "rp-2"], points.Select(p => p.Id));
            Assert.Equal([CopyLocation.Disk, CopyLocation.Cloud], points[0].Copies.Select(c => c.Location).Order());
            Assert.Equal(Day.AddDays(365), points[0].Copies.Single(c => c.Location == CopyLocation.Cloud).ExpiresAt);
            Assert.Equal(3000, await catalog.RecoveryPoints.Where(p => p.CreatedAt < since).SumAsync(p => p.Bytes) + 2000);
        }
    }

    [Fact]
    public async Task Alerts_OneActivePerTypeAndSubject_AResolvedOneDoesNotCount()
    {
        Alert Active() => new() { Type = AlertType.ReplicaInconsistent, Severity = AlertSeverity.Critical, Subject = "fs1/folder:/srv", Message = "replica inconsistent", RaisedAt = Day, LastSeenAt = Day };
        await using (var catalog = Open())
        {
            catalog.Alerts.Add(Active());
            await catalog.SaveChangesAsync();
        }

        await using (var catalog = Open())
        {
            catalog.Alerts.Add(Active());
            await Assert.ThrowsAsync<DbUpdateException>(() => catalog.SaveChangesAsync());
        }

        await using (var catalog = Open())
        {
            var alert = await catalog.Alerts.SingleAsync();
            alert.IsActive = false;
            alert.ResolvedAt = Day.AddHours(1);
            alert.Resolution = "consistency check repaired the replica";
            catalog.Alerts.Add(Active());
            await catalog.SaveChangesAsync();
        }

        await using (var catalog = Open())
        {
            Assert.Equal(1, await catalog.Alerts.CountAsync(a => a.IsActive));
            Assert.Equal("consistency check repaired the replica", (await catalog.Alerts.SingleAsync(a => !a.IsActive)).Resolution);
        }
    }

    [Fact]
    public async Task Jobs_StateAndProgress_QueryableByState()
    {
        await using (var catalog = Open())
        {
            catalog.Jobs.Add(new Job { Type = JobType.ExpressFull, State = JobState.Running, CreatedAt = Day, StartedAt = Day, BytesDone = 10, BytesTotal = 100, CurrentItem = "a/b" });
            catalog.Jobs.Add(new Job { Type = JobType.Verify, State = JobState.Succeeded, CreatedAt = Day, EndedAt = Day.AddMinutes(3) });
            await catalog.SaveChangesAsync();
        }

        await using (var catalog = Open())
        {
            var running = await catalog.Jobs.SingleAsync(j => j.State == JobState.Running);
            Assert.Equal(JobType.ExpressFull, running.Type);
            Assert.Equal("a/b", running.CurrentItem);
            Assert.Equal(100, running.BytesTotal);
        }
    }
}

public sealed class SqliteCatalogContextTests(SqliteCatalogs databases) : CatalogContextTests<SqliteCatalogs>(databases);

public sealed class PostgresCatalogContextTests(PostgresCatalogs databases) : CatalogContextTests<PostgresCatalogs>(databases);

using Dpm.Contracts.Workloads;
using Dpm.Storage.Manifests;
using Dpm.Workloads.Sql.Tests.Support;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>
/// The acceptance test of SQLite protection: synchronizations while an application keeps committing rows give
/// recovery points that each hold a whole database, with every row committed before the synchronization began.
/// </summary>
public sealed class SqliteBackupUnderWritesTests
{
    [Theory]
    [InlineData("wal")]
    [InlineData("delete")]
    public async Task SynchronizeAsync_WriterCommitsThroughout_EachRecoveryPointIsIntactAndHoldsEveryRowCommittedBeforeIt(string journalMode)
    {
        await using var host = await SqliteTestHost.StartAsync();
        var database = TestDatabase.Create(Path.Combine(host.NewFolder("data"), "orders.db"), journalMode);
        await using var writer = RowWriter.Start(database);
        await writer.WaitForAsync(50);

        var points = new List<(RecoveryPointManifest Point, long Before, long After)>();
        RecoveryPointManifest? previous = null;
        for (var i = 0; i < 3; i++)
        {
            var before = writer.Committed;
            var result = await host.SyncAsync(database, previous);
            var after = writer.Committed;
            points.Add((result.RecoveryPoint, before, after));
            previous = result.RecoveryPoint;
            Assert.Equal(SnapshotConsistency.ApplicationConsistent, result.RecoveryPoint.Consistency);
            Assert.Contains("backup", result.FreezeNotSupportedReason, StringComparison.Ordinal);
            await writer.WaitForAsync(after + 50); // the next point has rows this one hasn't
        }

        await writer.StopAsync();
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(host.StateDirectory, "sqlite-backups"))); // the backup copies are gone

        var recovered = host.NewFolder("recovered");
        long lastCount = 0;
        foreach (var (point, before, after) in points)
        {
            var file = Path.Combine(recovered, point.Id + ".db");
            var result = await host.RecoverAsync(point.Id, RecoveryTarget.Alternate(file));

            Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
            Assert.Equal("ok", TestDatabase.IntegrityCheck(file));
            var (count, problems) = TestDatabase.ReadRows(file);
            Assert.Empty(problems);
            Assert.True(count >= before, $"recovery point {point.Id} holds {count} rows, but {before} were committed before its synchronization began");
            Assert.True(count <= after + 1, $"recovery point {point.Id} holds {count} rows, more than the {after} committed when its synchronization ended");
            Assert.True(count > lastCount, $"recovery point {point.Id} holds no rows beyond the previous point's {lastCount}");
            lastCount = count;
        }
    }
}

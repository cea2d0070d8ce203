using Dpm.Contracts.Workloads;

namespace Dpm.Storage.Tests.Maintenance;

public sealed class GarbageCollectorTests
{
    private static readonly GcOptions NoGrace = new() { GracePeriod = TimeSpan.Zero };

    [Fact]
    public async Task Collect_PrunedPoint_CondemnedThenDeletedOnTheNextRunAndOthersRestore()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var keep = new Dictionary<string, byte[]> { ["keep.bin"] = TestPools.Data(2 << 20, seed: 31) };
        var drop = new Dictionary<string, byte[]> { ["drop.bin"] = TestPools.Data(3 << 20, seed: 32) };
        var kept = await TestPools.BackupAsync(pool, keep, "ds-keep");
        var dropped = await TestPools.BackupAsync(pool, drop, "ds-drop");
        var before = TestPools.FolderSize(Path.Combine(pools.PoolFolder, "data"));
        Assert.True(await pool.DeleteRecoveryPointAsync(dropped.Id, CancellationToken.None));

        var first = await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);
        var second = await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);

        Assert.True(first.PacksCondemned > 0);
        Assert.Equal(0, first.PacksDeleted);
        Assert.Equal(first.PacksCondemned, second.PacksDeleted);
        Assert.InRange(second.BytesFreed, 3 << 20, 4 << 20);
        Assert.InRange(TestPools.FolderSize(Path.Combine(pools.PoolFolder, "data")), 1, before - (3 << 20));
        Assert.Equal(keep["keep.bin"], (await TestPools.RestoreAsync(pool, kept.Id))["keep.bin"]);
        using var fresh = await pools.OpenAsync();
        Assert.True((await fresh.VerifyAsync(new VerifyOptions(), null, CancellationToken.None)).IsHealthy);
    }

    [Fact]
    public async Task Collect_MostlyDeadPack_RepackedAndLiveChunksStillRestore()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var small = new Dictionary<string, byte[]> { ["small.bin"] = TestPools.Data(100_000, seed: 33) };
        var big = new Dictionary<string, byte[]> { ["big.bin"] = TestPools.Data(700_000, seed: 34) };
        // One writer puts both files in one pack; a second point keeps only the small one.
        var both = await TestPools.BackupAsync(pool, small.Concat(big).ToDictionary());
        var onlySmall = await TestPools.BackupAsync(pool, small);
        await pool.DeleteRecoveryPointAsync(both.Id, CancellationToken.None);

        var first = await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);
        var second = await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);

        Assert.True(first.PacksRepacked >= 1);
        Assert.Equal(first.PacksCondemned, second.PacksDeleted);
        Assert.Equal(small["small.bin"], (await TestPools.RestoreAsync(pool, onlySmall.Id))["small.bin"]);
        Assert.InRange(TestPools.FolderSize(Path.Combine(pools.PoolFolder, "data")), 100_000, 300_000);
    }

    [Fact]
    public async Task Collect_WhileBackupRuns_BothSucceedAndTheNewPointRestores()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var shared = TestPools.Data(2 << 20, seed: 35);
        var old = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["shared.bin"] = shared });

        // A backup starts and dedups against the old point's chunks ...
        await using var writer = await pool.BeginRecoveryPointAsync(new RecoveryPointDraft { DataSourceId = "folder:/data", DataSourceName = "data" }, CancellationToken.None);
        var sharedChunks = await writer.StoreDataAsync(new MemoryStream(shared), false, CancellationToken.None);
        writer.Add(new ProtectedItem { Path = "shared.bin", Kind = ProtectedItemKind.File, Length = shared.Length }, sharedChunks);

        // ... then the old point is pruned and garbage collection runs, twice, while the backup goes on.
        await pool.DeleteRecoveryPointAsync(old.Id, CancellationToken.None);
        using var collector = await pools.OpenAsync();
        var first = await collector.CollectGarbageAsync(NoGrace, CancellationToken.None);
        var second = await collector.CollectGarbageAsync(NoGrace, CancellationToken.None);
        var fresh = TestPools.Data(1 << 20, seed: 36);
        writer.Add(new ProtectedItem { Path = "fresh.bin", Kind = ProtectedItemKind.File, Length = fresh.Length }, await writer.StoreDataAsync(new MemoryStream(fresh), false, CancellationToken.None));
        var point = await writer.CommitAsync(CancellationToken.None);

        Assert.True(first.PacksCondemned > 0);
        Assert.Equal(0, second.PacksDeleted);
        Assert.True(second.PacksDeferred > 0);
        Assert.Equal(1, second.ActiveWriters);
        var restored = await TestPools.RestoreAsync(pool, point.Id);
        Assert.Equal(shared, restored["shared.bin"]);
        Assert.Equal(fresh, restored["fresh.bin"]);
        var third = await collector.CollectGarbageAsync(NoGrace, CancellationToken.None);
        Assert.Equal(0, third.PacksDeleted);
        Assert.Equal(shared, (await TestPools.RestoreAsync(pool, point.Id))["shared.bin"]);
        Assert.True((await collector.VerifyAsync(new VerifyOptions(), null, CancellationToken.None)).IsHealthy);
    }

    [Fact]
    public async Task Collect_NewPointAfterCondemnation_DoesNotUseCondemnedChunks()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var data = new Dictionary<string, byte[]> { ["d.bin"] = TestPools.Data(1 << 20, seed: 37) };
        var old = await TestPools.BackupAsync(pool, data);
        await pool.DeleteRecoveryPointAsync(old.Id, CancellationToken.None);
        await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);

        var again = await TestPools.BackupAsync(pool, data);
        await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);

        Assert.Equal(1 << 20, again.Stats.NewBytes);
        Assert.Equal(data["d.bin"], (await TestPools.RestoreAsync(pool, again.Id))["d.bin"]);
    }

    [Fact]
    public async Task Collect_DamagedManifest_StopsWithoutDeleting()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var point = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["a"] = TestPools.Data(500_000, seed: 38) });
        File.WriteAllText(Path.Combine(pools.PoolFolder, point.ObjectName), "damaged");
        var packs = TestPools.Packs(pools.PoolFolder).Count();

        var report = await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);
        await pool.CollectGarbageAsync(NoGrace, CancellationToken.None);

        Assert.Contains("garbage collection stopped", Assert.Single(report.Problems), StringComparison.Ordinal);
        Assert.Equal(packs, TestPools.Packs(pools.PoolFolder).Count());
    }
}

using Dpm.Tests;

namespace Dpm.Storage.Tests;

/// <summary>A pool on a small, real ext4 file system that fills up.</summary>
public sealed class DiskFullTests
{
    [LoopMountFact]
    public async Task Backup_DiskFills_ClearErrorPoolConsistentLaterBackupWorks()
    {
        using var disk = LoopFileSystem.Create(48L << 20);
        await using var pools = new TestPools(disk.MountPoint);
        var pool = await pools.CreateAsync();
        var small = new Dictionary<string, byte[]> { ["small.bin"] = TestPools.Data(2 << 20, seed: 41) };
        var first = await TestPools.BackupAsync(pool, small);

        var error = await Assert.ThrowsAnyAsync<IOException>(() =>
            TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["huge.bin"] = TestPools.Data(80 << 20, seed: 42) }));

        Assert.Matches("disk .* is full|not enough space", error.Message);
        Assert.Single(await pool.ListRecoveryPointIdsAsync(CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(pools.PoolFolder, ".tmp~*", SearchOption.AllDirectories));
        using (var reopened = await pools.OpenAsync())
        {
            Assert.Empty((await reopened.VerifyAsync(new VerifyOptions(), null, CancellationToken.None)).Damaged);
            Assert.Equal(small["small.bin"], (await TestPools.RestoreAsync(reopened, first.Id))["small.bin"]);
        }

        // The abandoned backup's packs are garbage: collecting it makes room, and a later backup works.
        await pool.CollectGarbageAsync(new GcOptions { GracePeriod = TimeSpan.Zero }, CancellationToken.None);
        var collected = await pool.CollectGarbageAsync(new GcOptions { GracePeriod = TimeSpan.Zero }, CancellationToken.None);
        Assert.True(collected.BytesFreed > 8 << 20);
        var later = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["later.bin"] = TestPools.Data(4 << 20, seed: 43) });
        Assert.Equal(4 << 20, (await TestPools.RestoreAsync(pool, later.Id))["later.bin"].Length);
    }
}

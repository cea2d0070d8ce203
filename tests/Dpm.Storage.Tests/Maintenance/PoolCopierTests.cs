using Dpm.Storage.Crypto;

namespace Dpm.Storage.Tests.Maintenance;

/// <summary>Copies of recovery points to another store: the copy is a pool of its own that recovers without the source.</summary>
public sealed class PoolCopierTests
{
    [Fact]
    public async Task Copy_ChosenPoints_TheCopyOpensAloneWithTheSameKey_AndRecoversThemExactly()
    {
        await using var pools = new TestPools();
        var source = await pools.CreateAsync();
        var first = await TestPools.BackupAsync(source, new Dictionary<string, byte[]> { ["a.bin"] = TestPools.Data(900_000, 1), ["b.txt"] = TestPools.Data(40_000, 2, compressible: true) });
        var second = await TestPools.BackupAsync(source, new Dictionary<string, byte[]> { ["a.bin"] = TestPools.Data(900_000, 3), ["b.txt"] = TestPools.Data(40_000, 2, compressible: true) }, previous: first);
        var third = await TestPools.BackupAsync(source, new Dictionary<string, byte[]> { ["c.bin"] = TestPools.Data(300_000, 4) }, dataSource: "folder:/other");
        var cloudFolder = Path.Combine(pools.Root, "copy");
        var target = await pools.OpenStoreAsync(cloudFolder);

        var report = await PoolCopier.CopyAsync(source, target, [first, second], _ => null, null, CancellationToken.None);
        var again = await PoolCopier.CopyAsync(source, target, [first, second], _ => null, null, CancellationToken.None);

        Assert.Equal(2, report.RecoveryPoints);
        Assert.True(report.BytesCopied > 900_000);
        Assert.Equal(0, again.ObjectsCopied); // what is there already is left alone: a cut-off copy just goes on
        source.Dispose();
        Directory.Delete(pools.PoolFolder, recursive: true); // the source is gone

        using var copy = await StoragePool.OpenAsync(await pools.OpenStoreAsync(cloudFolder), PoolCredentials.FromPassphrase(TestPools.Passphrase), CancellationToken.None);
        Assert.Equal([first.Id, second.Id], (await copy.ListRecoveryPointIdsAsync(CancellationToken.None)).Select(p => p.RecoveryPointId).Order(StringComparer.Ordinal));
        Assert.Equal(TestPools.Data(900_000, 1), (await TestPools.RestoreAsync(copy, first.Id))["a.bin"]);
        Assert.Equal(TestPools.Data(900_000, 3), (await TestPools.RestoreAsync(copy, second.Id))["a.bin"]);
        var verify = await copy.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);
        Assert.Empty(verify.Damaged);
        Assert.DoesNotContain(third.Id, (await copy.ListRecoveryPointIdsAsync(CancellationToken.None)).Select(p => p.RecoveryPointId));
    }
}

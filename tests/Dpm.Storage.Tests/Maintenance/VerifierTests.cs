using Dpm.Storage.Manifests;

namespace Dpm.Storage.Tests.Maintenance;

/// <summary>Damage to the pool: verify names exactly the affected recovery points, and no restore returns wrong data.</summary>
public sealed class VerifierTests : IAsyncLifetime
{
    private readonly TestPools _pools = new();
    private StoragePool _pool = null!;
    private RecoveryPointManifest _onlyA = null!;
    private RecoveryPointManifest _onlyB = null!;
    private RecoveryPointManifest _both = null!;
    private readonly byte[] _a = TestPools.Data(3 << 20, seed: 21);
    private readonly byte[] _b = TestPools.Data(3 << 20, seed: 22);

    public async Task InitializeAsync()
    {
        // Separate data sources and separate writers, so A's and B's chunks land in different packs.
        _pool = await _pools.CreateAsync();
        _onlyA = await TestPools.BackupAsync(_pool, new Dictionary<string, byte[]> { ["a.bin"] = _a }, "ds-a");
        _onlyB = await TestPools.BackupAsync(_pool, new Dictionary<string, byte[]> { ["b.bin"] = _b }, "ds-b");
        _both = await TestPools.BackupAsync(_pool, new Dictionary<string, byte[]> { ["a.bin"] = _a, ["b.bin"] = _b }, "ds-both");
    }

    public async Task DisposeAsync() => await _pools.DisposeAsync();

    private string PackHolding(ChunkId chunk)
    {
        Assert.True(_pool.Index.TryGetAny(chunk, out var location));
        return Path.Combine(_pools.PoolFolder, location.Pack);
    }

    private async Task<VerifyReport> VerifyAsync()
    {
        using var fresh = await _pools.OpenAsync();
        return await fresh.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);
    }

    [Fact]
    public async Task Verify_HealthyPool_Healthy()
    {
        var report = await VerifyAsync();

        Assert.True(report.IsHealthy, string.Join("; ", report.Problems));
        Assert.Equal(3, report.RecoveryPoints);
    }

    [Fact]
    public async Task Verify_FlippedByteInPack_NamesExactlyThePointsUsingIt()
    {
        var chunk = _onlyA.Items.Single().Chunks[5];
        Assert.True(_pool.Index.TryGetAny(chunk, out var location));
        var pack = PackHolding(chunk);
        var bytes = File.ReadAllBytes(pack);
        bytes[location.Entry.Offset + 40] ^= 0x10;
        File.WriteAllBytes(pack, bytes);

        var report = await VerifyAsync();

        Assert.Equal([_onlyA.Id, _both.Id], report.Damaged.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Contains(report.Damaged.Single(d => d.Id == _onlyA.Id).Reasons, r => r.Contains(chunk.ToString(), StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<PoolDataException>(() => TestPools.RestoreAsync(_pool, _onlyA.Id));
        Assert.Contains("'a.bin' can't be read", error.Message, StringComparison.Ordinal);
        Assert.Equal(_b, (await TestPools.RestoreAsync(_pool, _onlyB.Id))["b.bin"]);
    }

    [Fact]
    public async Task Verify_DeletedPack_NamesExactlyThePointsUsingIt()
    {
        File.Delete(PackHolding(_onlyB.Items.Single().Chunks[0]));

        var report = await VerifyAsync();

        Assert.Equal([_onlyB.Id, _both.Id], report.Damaged.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Contains(report.Damaged.Single(d => d.Id == _onlyB.Id).Reasons, r => r.Contains("which is missing", StringComparison.Ordinal));
        await Assert.ThrowsAsync<PoolDataException>(() => TestPools.RestoreAsync(_pool, _onlyB.Id));
        Assert.Equal(_a, (await TestPools.RestoreAsync(_pool, _onlyA.Id))["a.bin"]);
    }

    [Fact]
    public async Task Verify_TruncatedIndex_ReportsTheIndexAndNoDamagedPointAndRestoresStillWork()
    {
        foreach (var segment in Directory.GetFiles(Path.Combine(_pools.PoolFolder, "index"), "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(segment);
            File.WriteAllBytes(segment, bytes[..(bytes.Length / 2)]);
        }

        var report = await VerifyAsync();

        Assert.Empty(report.Damaged);
        Assert.Contains(report.Problems, p => p.StartsWith("index:", StringComparison.Ordinal) && p.Contains("rebuild-index", StringComparison.Ordinal));
        using var reopened = await _pools.OpenAsync();
        Assert.Equal(_a, (await TestPools.RestoreAsync(reopened, _both.Id))["a.bin"]);
        var (packs, _, problems) = await reopened.RebuildIndexAsync(CancellationToken.None);
        Assert.True(packs > 0);
        Assert.Empty(problems);
        Assert.True((await VerifyAsync()).IsHealthy);
    }

    [Fact]
    public async Task Verify_DamagedManifest_NamesThatPointOnly()
    {
        var manifest = Path.Combine(_pools.PoolFolder, _onlyB.ObjectName);
        var bytes = File.ReadAllBytes(manifest);
        bytes[^5] ^= 0xff;
        File.WriteAllBytes(manifest, bytes);

        var report = await VerifyAsync();

        var damaged = Assert.Single(report.Damaged);
        Assert.Equal(_onlyB.Id, damaged.Id);
        Assert.Contains("authentication check failed", Assert.Single(damaged.Reasons), StringComparison.Ordinal);
        await Assert.ThrowsAsync<PoolDataException>(() => _pool.OpenRecoveryPointAsync(_onlyB.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LatestManifest_KeptInMemory_UntilVerifyFindsThePoolsCopyDamaged()
    {
        var second = await TestPools.BackupAsync(_pool, new Dictionary<string, byte[]> { ["b.bin"] = _a }, "ds-b", _onlyB);
        Assert.Same(await _pool.ReadLatestManifestAsync(null, "ds-b", CancellationToken.None), await _pool.ReadLatestManifestAsync(null, "ds-b", CancellationToken.None));
        var manifest = Path.Combine(_pools.PoolFolder, second.ObjectName);
        var bytes = File.ReadAllBytes(manifest);
        bytes[^5] ^= 0xff;
        File.WriteAllBytes(manifest, bytes);
        Assert.Equal(second.Id, (await _pool.ReadLatestManifestAsync(null, "ds-b", CancellationToken.None))!.Id); // what this pool wrote, from memory

        var report = await _pool.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);

        Assert.Equal(second.Id, Assert.Single(report.Damaged).Id);
        Assert.Equal(_onlyB.Id, (await _pool.ReadLatestManifestAsync(null, "ds-b", CancellationToken.None))!.Id); // the damaged one is no longer hidden
        await Assert.ThrowsAsync<PoolDataException>(() => _pool.OpenRecoveryPointAsync(second.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Verify_BlobSwappedBetweenTwoPositions_DetectedNotReturned()
    {
        // Two blobs exchanged inside a pack (same lengths not needed: the pack header still points at the old places).
        var chunk = _onlyA.Items.Single().Chunks[1];
        Assert.True(_pool.Index.TryGetAny(chunk, out var location));
        var pack = PackHolding(chunk);
        var bytes = File.ReadAllBytes(pack);
        var other = _pool.Index.Packs[location.Pack].First(e => e.Id != chunk);
        var length = (int)Math.Min(location.Entry.Length, other.Length);
        var copy = bytes.AsSpan((int)other.Offset, length).ToArray();
        copy.CopyTo(bytes.AsSpan((int)location.Entry.Offset));
        File.WriteAllBytes(pack, bytes);

        var report = await VerifyAsync();

        Assert.Contains(report.Damaged, d => d.Id == _onlyA.Id);
        await Assert.ThrowsAsync<PoolDataException>(() => TestPools.RestoreAsync(_pool, _onlyA.Id));
    }
}

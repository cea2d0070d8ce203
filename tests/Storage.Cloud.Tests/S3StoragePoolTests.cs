using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Crypto;

namespace Storage.Cloud.Tests;

/// <summary>A storage pool kept in an S3 bucket on a real s3rver, through the plugin's S3 store.</summary>
public sealed class S3StoragePoolTests(S3rverFixture s3) : IClassFixture<S3rverFixture>
{
    private const string Passphrase = "correct horse battery staple";

    [Fact]
    public async Task StoragePool_TwoRecoveryPointsInS3_ReadBackIdenticalAndVerifyClean()
    {
        var bucket = S3rverFixture.NewBucket();
        await using var store = await s3.OpenAsync(bucket, extra: [("Prefix", "pool/"), ("BlockBytes", $"{256 * 1024}")]);
        var first = new Dictionary<string, byte[]> { ["a.bin"] = Data(3 << 20, seed: 1), ["b.txt"] = Data(40_000, seed: 2) };
        var second = new Dictionary<string, byte[]> { ["a.bin"] = first["a.bin"], ["c.bin"] = Data(2 << 20, seed: 3) };

        string firstId, secondId;
        using (var pool = await StoragePool.CreateAsync(store, Options(), CancellationToken.None))
        {
            var one = await BackupAsync(pool, first, previous: null);
            firstId = one.Id;
            secondId = (await BackupAsync(pool, second, previous: one.Id)).Id;
        }

        await using var reopenedStore = await s3.OpenAsync(bucket, extra: ("Prefix", "pool/"));
        using var reopened = await StoragePool.OpenAsync(reopenedStore, PoolCredentials.FromPassphrase(Passphrase), CancellationToken.None);
        AssertSame(first, await RestoreAsync(reopened, firstId));
        AssertSame(second, await RestoreAsync(reopened, secondId));
        var report = await reopened.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);
        Assert.True(report.IsHealthy, string.Join("; ", report.Problems));
    }

    private static PoolCreateOptions Options() => new()
    {
        Credentials = PoolCredentials.FromPassphrase(Passphrase),
        ChunkMinSize = 16 << 10,
        ChunkAverageSize = 64 << 10,
        ChunkMaxSize = 256 << 10,
        FixedChunkSize = 64 << 10,
        PackSize = 1 << 20,
        Kdf = new KdfParameters("argon2id", 1024, 1, 1),
    };

    private static async Task<Dpm.Storage.Manifests.RecoveryPointManifest> BackupAsync(StoragePool pool, Dictionary<string, byte[]> files, string? previous)
    {
        await using var writer = await pool.BeginRecoveryPointAsync(new RecoveryPointDraft { DataSourceId = "folder:/data", DataSourceName = "folder:/data", ParentId = previous }, CancellationToken.None);
        foreach (var (path, content) in files)
        {
            var item = new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = content.Length };
            writer.Add(item, await writer.StoreDataAsync(new MemoryStream(content), fixedSize: false, CancellationToken.None));
        }

        return await writer.CommitAsync(CancellationToken.None);
    }

    private static async Task<Dictionary<string, byte[]>> RestoreAsync(StoragePool pool, string recoveryPointId)
    {
        var reader = await pool.OpenRecoveryPointAsync(recoveryPointId, CancellationToken.None) ?? throw new InvalidOperationException("no such recovery point");
        var files = new Dictionary<string, byte[]>();
        await foreach (var item in reader.EnumerateItemsAsync("", CancellationToken.None))
        {
            await using var stream = (await reader.OpenItemAsync(item.Path, CancellationToken.None))!;
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            files[item.Path] = copy.ToArray();
        }

        return files;
    }

    private static void AssertSame(Dictionary<string, byte[]> expected, Dictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, content) in expected)
        {
            Assert.True(content.AsSpan().SequenceEqual(actual[path]), $"{path} differs");
        }
    }

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}

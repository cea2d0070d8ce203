using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Dpm.Storage.Manifests;

namespace Storage.Cloud.Tests;

/// <summary>A storage pool kept in Azure Blob Storage (a real Azurite): written, read back and verified.</summary>
public sealed class AzureStoragePoolTests(AzureEmulatorFixture azure) : IClassFixture<AzureEmulatorFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static PoolCreateOptions SmallPacks() => new()
    {
        Credentials = PoolCredentials.FromPassphrase("correct horse battery staple"),
        ChunkMinSize = 16 << 10,
        ChunkAverageSize = 64 << 10,
        ChunkMaxSize = 256 << 10,
        FixedChunkSize = 64 << 10,
        PackSize = 1 << 20,
        Kdf = new KdfParameters("argon2id", 1024, 1, 1),
    };

    [Fact]
    public async Task RecoveryPoints_TwoOfChangingFiles_ReadBackTheSameBytesAndVerifyClean()
    {
        var store = await azure.OpenAsync(("Prefix", "pool/"), ("BlockBytes", $"{256 * 1024}"), ("Parallelism", "3"));
        var files = new Dictionary<string, byte[]>
        {
            ["/data/report.docx"] = AzureTestStream.Bytes(700_000, seed: 1),
            ["/data/ledger.db"] = AzureTestStream.Bytes(3_000_000, seed: 2),
            ["/data/empty.txt"] = [],
            ["/data/notes/readme.txt"] = AzureTestStream.Bytes(1_234, seed: 3),
        };
        RecoveryPointManifest first, second;
        Dictionary<string, byte[]> changed;
        using (var pool = await StoragePool.CreateAsync(store, SmallPacks(), None))
        {
            first = await BackupAsync(pool, files, previous: null);
            changed = new Dictionary<string, byte[]>(files) { ["/data/ledger.db"] = Changed(files["/data/ledger.db"]) };
            second = await BackupAsync(pool, changed, first);
        }

        using var reopened = await StoragePool.OpenAsync(store, SmallPacks().Credentials, None);

        Assert.Equal(files, await RestoreAsync(reopened, first.Id));
        Assert.Equal(changed, await RestoreAsync(reopened, second.Id));
        var report = await reopened.VerifyAsync(new VerifyOptions(), null, None);
        Assert.Equal(2, report.RecoveryPoints);
        Assert.True(report.PacksChecked > 0);
        Assert.Empty(report.Damaged);
    }

    /// <summary>The same bytes with one stretch in the middle rewritten, as an edited file would be.</summary>
    private static byte[] Changed(byte[] data)
    {
        var copy = data.ToArray();
        AzureTestStream.Bytes(50_000, seed: 99).CopyTo(copy.AsSpan(copy.Length / 2));
        return copy;
    }

    private static async Task<RecoveryPointManifest> BackupAsync(StoragePool pool, Dictionary<string, byte[]> files, RecoveryPointManifest? previous)
    {
        await using var writer = await pool.BeginRecoveryPointAsync(
            new RecoveryPointDraft { DataSourceId = "folder:/data", DataSourceName = "folder:/data", ParentId = previous?.Id }, None);
        foreach (var (path, content) in files)
        {
            var item = new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = content.Length };
            writer.Add(item, await writer.StoreDataAsync(new MemoryStream(content), fixedSize: false, None));
        }

        return await writer.CommitAsync(None);
    }

    private static async Task<Dictionary<string, byte[]>> RestoreAsync(StoragePool pool, string recoveryPointId)
    {
        var reader = await pool.OpenRecoveryPointAsync(recoveryPointId, None) ?? throw new InvalidOperationException("no such recovery point");
        var files = new Dictionary<string, byte[]>();
        await foreach (var item in reader.EnumerateItemsAsync("", None))
        {
            await using var stream = (await reader.OpenItemAsync(item.Path, None))!;
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            files[item.Path] = copy.ToArray();
        }

        return files;
    }
}

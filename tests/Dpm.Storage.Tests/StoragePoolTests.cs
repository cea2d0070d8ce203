using System.Text;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Crypto;

namespace Dpm.Storage.Tests;

public sealed class StoragePoolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RecoveryPoint_RandomFilesOfRandomSizes_RestoreByteIdentical(int seed)
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var random = new Random(seed);
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 25; i++)
        {
            var size = random.Next(4) switch { 0 => random.Next(0, 10), 1 => random.Next(10, 70_000), 2 => random.Next(70_000, 1 << 20), _ => random.Next(1 << 20, 3 << 20) };
            files[$"dir{i % 4}/file-{i}.bin"] = TestPools.Data(size, seed * 1000 + i, compressible: random.Next(2) == 0);
        }

        var point = await TestPools.BackupAsync(pool, files);
        using var reopened = await pools.OpenAsync();
        var restored = await TestPools.RestoreAsync(reopened, point.Id);

        Assert.Equal(files.Keys.Order(), restored.Keys.Order());
        Assert.All(files, f => Assert.True(f.Value.AsSpan().SequenceEqual(restored[f.Key]), $"{f.Key} differs"));
    }

    [Fact]
    public async Task RecoveryPoint_SameDataInTwoFiles_StoredOnce()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var data = TestPools.Data(4 << 20, seed: 7);

        var point = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["a.bin"] = data, ["copy/b.bin"] = data });

        Assert.Equal(8 << 20, point.Stats.Bytes);
        Assert.Equal(4 << 20, point.Stats.NewBytes);
        Assert.InRange(TestPools.Packs(pools.PoolFolder).Sum(p => new FileInfo(p).Length), 4 << 20, (4 << 20) + (256 << 10));
    }

    [Fact]
    public async Task RecoveryPoint_SecondPointOfSameData_AddsNoChunksAndNoPacks()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var files = new Dictionary<string, byte[]> { ["x.bin"] = TestPools.Data(3 << 20, seed: 8), ["y.txt"] = TestPools.Data(500_000, seed: 9, compressible: true) };
        var first = await TestPools.BackupAsync(pool, files);
        var packsAfterFirst = TestPools.Packs(pools.PoolFolder).Count();

        var second = await TestPools.BackupAsync(pool, files, previous: first);

        Assert.Equal(0, second.Stats.NewChunks);
        Assert.Equal(0, second.Stats.StoredBytes);
        Assert.Equal(packsAfterFirst, TestPools.Packs(pools.PoolFolder).Count());
        Assert.Equal(files["x.bin"], (await TestPools.RestoreAsync(pool, second.Id))["x.bin"]);
    }

    [Fact]
    public async Task RecoveryPoint_SmallEditInsideLargeFile_StoresOnlyChunksAroundTheEdit()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var data = TestPools.Data(8 << 20, seed: 10);
        var first = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["db.bin"] = data });
        var edited = (byte[])data.Clone();
        TestPools.Data(4096, seed: 11).CopyTo(edited, 5 << 20);

        var second = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["db.bin"] = edited }, previous: first);

        Assert.InRange(second.Stats.NewBytes, 1, 600 << 10);
        Assert.Equal(edited, (await TestPools.RestoreAsync(pool, second.Id))["db.bin"]);
        Assert.Equal(data, (await TestPools.RestoreAsync(pool, first.Id))["db.bin"]);
    }

    [Fact]
    public async Task Packs_EncryptedPool_HoldNoPlaintextOfTheData()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var secret = Encoding.ASCII.GetBytes("TOP-SECRET-PAYROLL-" + new string('Q', 64));
        var text = Enumerable.Repeat(secret, 2000).SelectMany(b => b).ToArray();
        var random = TestPools.Data(300_000, seed: 12);

        await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["payroll.txt"] = text, ["noise.bin"] = random });

        var everything = Directory.EnumerateFiles(pools.PoolFolder, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        Assert.DoesNotContain(everything, f => f.AsSpan().IndexOf(secret.AsSpan(0, 24)) >= 0);
        Assert.DoesNotContain(everything, f => f.AsSpan().IndexOf(random.AsSpan(100_000, 32)) >= 0);
        Assert.DoesNotContain(everything, f => f.AsSpan().IndexOf("payroll.txt"u8) >= 0);
    }

    [Fact]
    public async Task Packs_UnencryptedPoolAskedForExplicitly_HoldThePlaintext()
    {
        // The same search as above finds the data when encryption is off: the no-plaintext test can see plaintext.
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync(PoolCredentials.None);
        var random = TestPools.Data(300_000, seed: 13);

        await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["noise.bin"] = random });

        Assert.False(pool.Config.IsEncrypted);
        Assert.Contains(TestPools.Packs(pools.PoolFolder).Select(File.ReadAllBytes), f => f.AsSpan().IndexOf(random.AsSpan(100_000, 32)) >= 0);
    }

    [Fact]
    public async Task Open_WrongPassphrase_ClearErrorAndNothingChanges()
    {
        await using var pools = new TestPools();
        await pools.CreateAsync();
        var before = Directory.GetFiles(pools.PoolFolder, "*", SearchOption.AllDirectories).Length;

        var error = await Assert.ThrowsAsync<PoolAccessDeniedException>(() => pools.OpenAsync(PoolCredentials.FromPassphrase("wrong")));

        Assert.StartsWith("the passphrase does not open the pool at disk:", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(pools.PoolFolder, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Open_EncryptedPoolWithoutCredentials_ClearError()
    {
        await using var pools = new TestPools();
        await pools.CreateAsync();

        var error = await Assert.ThrowsAsync<PoolAccessDeniedException>(() => pools.OpenAsync(PoolCredentials.None));

        Assert.Contains("is encrypted: give its passphrase or key file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NoPoolInFolder_ClearError()
    {
        await using var pools = new TestPools();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pools.OpenAsync());

        Assert.Contains("there is no pool at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_AddKeyFileRemovePassphrase_DataStaysReadableWithoutRewriting()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var files = new Dictionary<string, byte[]> { ["a.bin"] = TestPools.Data(500_000, seed: 14) };
        var point = await TestPools.BackupAsync(pool, files);
        var packs = TestPools.Packs(pools.PoolFolder).ToDictionary(p => p, File.ReadAllBytes);
        var keyFile = PoolCredentials.KeyFile.Generate();
        var oldKey = Assert.Single(await pool.ListKeysAsync(CancellationToken.None)).Id;

        await pool.AddKeyAsync(PoolCredentials.FromKeyFile(keyFile), null, CancellationToken.None);
        await pool.RemoveKeyAsync(oldKey, CancellationToken.None);

        await Assert.ThrowsAsync<PoolAccessDeniedException>(() => pools.OpenAsync());
        using var reopened = await pools.OpenAsync(PoolCredentials.FromKeyFile(keyFile));
        Assert.Equal(files["a.bin"], (await TestPools.RestoreAsync(reopened, point.Id))["a.bin"]);
        Assert.All(packs, p => Assert.Equal(p.Value, File.ReadAllBytes(p.Key)));
    }

    [Fact]
    public async Task Keys_RemoveLastKey_Refused()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var only = Assert.Single(await pool.ListKeysAsync(CancellationToken.None)).Id;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.RemoveKeyAsync(only, CancellationToken.None));

        Assert.Contains("last key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_DamagedKeyFile_OtherKeyStillOpens()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var first = Assert.Single(await pool.ListKeysAsync(CancellationToken.None)).Id;
        await pool.AddKeyAsync(PoolCredentials.FromPassphrase("second"), TestPools.CheapKdf, CancellationToken.None);
        File.WriteAllText(Path.Combine(pools.PoolFolder, "keys", first), "{ damaged");

        using var opened = await pools.OpenAsync(PoolCredentials.FromPassphrase("second"));

        Assert.True(opened.Config.IsEncrypted);
    }

    [Fact]
    public async Task Commit_Crashed_WriterAbandoned_NoRecoveryPointVisible()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        await using (var writer = await pool.BeginRecoveryPointAsync(new RecoveryPointDraft { DataSourceId = "ds", DataSourceName = "ds" }, CancellationToken.None))
        {
            var chunks = await writer.StoreDataAsync(new MemoryStream(TestPools.Data(3 << 20, seed: 15)), false, CancellationToken.None);
            writer.Add(new ProtectedItem { Path = "a", Kind = ProtectedItemKind.File, Length = 3 << 20 }, chunks);
        }

        Assert.Empty(await pool.ListRecoveryPointIdsAsync(CancellationToken.None));
        Assert.Empty(Directory.GetFiles(Path.Combine(pools.PoolFolder, "leases")));
    }

    [Fact]
    public async Task Chunk_ReusedFromPreviousPoint_NotReadAgain()
    {
        await using var pools = new TestPools();
        var pool = await pools.CreateAsync();
        var first = await TestPools.BackupAsync(pool, new Dictionary<string, byte[]> { ["a"] = TestPools.Data(1 << 20, seed: 16) });
        var item = first.Items.Single();

        await using var writer = await pool.BeginRecoveryPointAsync(new RecoveryPointDraft { DataSourceId = "folder:/data", DataSourceName = "data" }, CancellationToken.None);
        Assert.True(writer.TryAddExisting(item.Item, item.Chunks));
        Assert.False(writer.TryAddExisting(item.Item with { Path = "b" }, [ChunkId.Compute("not in the pool"u8)]));
        var second = await writer.CommitAsync(CancellationToken.None);

        Assert.Equal(0, second.Stats.BytesRead);
        Assert.Equal(1 << 20, (await TestPools.RestoreAsync(pool, second.Id))["a"].Length);
    }
}

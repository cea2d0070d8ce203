using Dpm.Contracts.Storage;
using Dpm.Tests;

namespace Dpm.Storage.Disk.Tests;

/// <summary>On a real, small ext4 file system loop-mounted for the test (needs root and loop devices).</summary>
public sealed class DiskFullTests
{
    private const int MiB = 1024 * 1024;
    private static readonly CancellationToken None = CancellationToken.None;

    [LoopMountFact]
    public async Task PutAsync_UntilTheDiskIsFull_RefusesClearlyAndKeepsEverythingStoredBefore()
    {
        using var disk = LoopFileSystem.Create();
        await using var pool = await TestPool.OpenAsync(Path.Combine(disk.MountPoint, "pool"));
        var stored = new Dictionary<string, byte[]>();
        IOException? refusal = null;

        for (var i = 0; i < 100 && refusal is null; i++)
        {
            var name = $"data/{i:D3}";
            var data = RandomBytes(MiB, seed: i);
            try
            {
                Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync(name, TestStream.ForwardOnly(data), null, None));
                stored.Add(name, data);
            }
            catch (IOException e)
            {
                refusal = e;
            }
        }

        Assert.NotNull(refusal);
        Assert.StartsWith($"the disk holding {pool.Root} is full (file system mounted at {disk.MountPoint})", refusal.Message, StringComparison.Ordinal);
        Assert.InRange(stored.Count, 15, 32);
        Assert.Equal(stored.Keys.Order(StringComparer.Ordinal), pool.Files()); // no temp file, no partial object
        foreach (var (name, data) in stored)
        {
            Assert.Equal(data, await pool.ReadAsync(name));
        }

        foreach (var name in stored.Keys.Take(3))
        {
            Assert.True(await pool.Store.DeleteAsync(name, None));
        }

        var again = RandomBytes(MiB, seed: 1000);
        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("data/again", TestStream.ForwardOnly(again), null, None));
        Assert.Equal(again, await pool.ReadAsync("data/again"));
    }

    [LoopMountFact]
    public async Task PutAsync_KnownLengthBiggerThanTheFreeSpace_IsRefusedBeforeAnythingIsWritten()
    {
        using var disk = LoopFileSystem.Create();
        await using var pool = await TestPool.OpenAsync(Path.Combine(disk.MountPoint, "pool"));
        var free = (await pool.Store.GetSpaceAsync(None)).FreeBytes!.Value;
        var content = TestStream.Unreadable(free + 1);

        var e = await Assert.ThrowsAsync<IOException>(() => pool.Store.PutAsync("too/big", content, null, None).AsTask());

        Assert.Equal(
            $"not enough space on {pool.Root} (file system mounted at {disk.MountPoint}): need {free + 1} bytes, {free} free (reserve 0); 'too/big' was not stored",
            e.Message);
        Assert.Equal(0, content.ReadCalls);
        Assert.Empty(pool.Files());
        Assert.False(Directory.Exists(Path.Combine(pool.Root, "too")));
        Assert.Equal(free, (await pool.Store.GetSpaceAsync(None)).FreeBytes);
        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("fits", new MemoryStream(RandomBytes(MiB, seed: 1)), null, None));
    }

    [LoopMountFact]
    public async Task PutAsync_UnknownLengthStreamHitsTheFullDisk_FailsClearlyAndLeavesNothing()
    {
        using var disk = LoopFileSystem.Create();
        await using var pool = await TestPool.OpenAsync(Path.Combine(disk.MountPoint, "pool"));
        var keep = RandomBytes(100 * 1024, seed: 2);
        await pool.Store.PutAsync("keep", new MemoryStream(keep), null, None);
        var freeBefore = (await pool.Store.GetSpaceAsync(None)).FreeBytes!.Value;
        var endless = TestStream.Generated(64L * MiB);

        var e = await Assert.ThrowsAsync<IOException>(() => pool.Store.PutAsync("huge/stream", endless, null, None).AsTask());

        Assert.StartsWith($"the disk holding {pool.Root} is full (file system mounted at {disk.MountPoint}): 'huge/stream' was not stored", e.Message, StringComparison.Ordinal);
        Assert.True(endless.Position > freeBefore / 2, $"only {endless.Position} bytes were read before the failure");
        Assert.Equal(["keep"], pool.Files());
        Assert.Equal(keep, await pool.ReadAsync("keep"));
        Assert.InRange((await pool.Store.GetSpaceAsync(None)).FreeBytes!.Value, freeBefore - MiB, freeBefore + MiB);
        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("after", new MemoryStream(RandomBytes(MiB, seed: 3)), null, None));
    }

    [LoopMountFact]
    public async Task OpenStoreAsync_ReadOnlyFileSystem_FailsSayingTheFolderIsNotWritable()
    {
        using var disk = LoopFileSystem.Create(8L * MiB, readOnly: true);
        await using var plugin = await TestPool.StartPluginAsync();

        var e = await Assert.ThrowsAsync<IOException>(() => plugin.OpenStoreAsync(TestPool.Settings(("Path", disk.MountPoint)), None).AsTask());

        Assert.StartsWith($"the storage pool folder '{disk.MountPoint}' is not writable", e.Message, StringComparison.Ordinal);
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }
}

using System.Security.Cryptography;
using Dpm.Contracts.Workloads;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Dpm.Workloads.Files.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Files.Tests;

/// <summary>
/// The file workload with the real protection engine and a real disk pool: replica creation, changes, express
/// fulls, and recovery of every recovery point, compared with a copy of the tree taken at each point.
/// </summary>
[Collection(VolumesGroup.Name)]
public sealed class ExpressFullTests(TestVolumes volumes) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _cleanup = [];
    private StoragePool _pool = null!;
    private FilesWorkload _workload = null!;

    public static TheoryData<string> FileSystems => TestVolumes.FileSystems;

    public async Task InitializeAsync()
    {
        var pool = await TestPool.CreateAsync(volumes.NewOutsideFolder());
        _pool = pool.Pool;
        _workload = await TestHost.StartWorkloadAsync();
        _cleanup.Add(_workload);
        _cleanup.Add(pool);
    }

    public async Task DisposeAsync()
    {
        foreach (var item in _cleanup)
        {
            await item.DisposeAsync();
        }
    }

    private async Task<SynchronizationResult> SyncAsync(string source, RecoveryPointManifest? previous) =>
        await new ProtectionEngine(_pool, NullLogger<ProtectionEngine>.Instance).SynchronizeAsync(
            _workload,
            new SynchronizationRequest { PluginId = "Dpm.Workloads.Files", DataSource = TestHost.Folder(source), Previous = previous },
            null,
            CancellationToken.None);

    private async Task AssertRecoversAsync(RecoveryPointManifest point, string expected, string fileSystem)
    {
        var target = volumes.NewFolder(fileSystem, "recovered-" + point.Id);
        var reader = (await _pool.OpenRecoveryPointAsync(point.Id, CancellationToken.None))!;
        var result = await _workload.RecoverAsync(reader, new RecoveryRequest { Target = RecoveryTarget.Alternate(target) }, null, CancellationToken.None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        var differences = TreeComparer.Compare(expected, target, new TreeCompareOptions { RootMetadata = false });
        Assert.True(differences.Count == 0, $"recovery point {point.Id}: {string.Join("; ", differences.Take(10))}");
    }

    /// <summary>
    /// A btrfs volume of the test's own: btrfs find-new reads the whole subvolume, and the shared volume holds
    /// paths longer than it can print (it then fails, and every changed file is read whole, which is correct
    /// but not what these tests measure).
    /// </summary>
    private LoopVolume OwnBtrfs()
    {
        Assert.True(TestVolumes.BtrfsAvailable, "mkfs.btrfs is not installed (the test command installs btrfs-progs)");
        var folder = Directory.CreateDirectory(Path.Combine(volumes.NewOutsideFolder(), "own")).FullName;
        var volume = LoopVolume.Create(folder, TestVolumes.Btrfs, 512L << 20, "-q");
        _cleanup.Add(new Disposer(volume));
        return volume;
    }

    private sealed class Disposer(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A copy of the tree as it is now, with its metadata, to compare a recovery with later.</summary>
    private string Keep(string source, string fileSystem)
    {
        var copy = volumes.NewFolder(fileSystem, "expected");
        Shell.Run("cp", "-a", source + "/.", copy);
        return copy;
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task ReplicaCreation_LargeFilesOfAnyLength_ReadPastThePageCacheAndRecoverExactly(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "source");
        // Large files (read in parallel blocks) whose lengths are not multiples of the 4 KiB direct-read alignment.
        int[] lengths = [(4 << 20) + 1, (9 << 20) + 12345, 6 << 20];
        for (var i = 0; i < lengths.Length; i++)
        {
            File.WriteAllBytes(Path.Combine(source, $"large-{i}.bin"), TreeBuilder.RandomBytes(lengths[i], seed: 40 + i));
        }

        var expected = Keep(source, fileSystem);
        foreach (var file in Directory.GetFiles(source))
        {
            Shell.Run("dd", "of=" + file, "oflag=nocache", "conv=notrunc,fdatasync", "count=0", "status=none"); // out of the page cache
        }

        var result = await SyncAsync(source, previous: null);

        Assert.Equal(lengths.Length, result.ItemsRead);
        foreach (var file in Directory.GetFiles(source))
        {
            // fincore prints the resident pages of the file: direct reads left none there (on btrfs the reads go
            // through the snapshot, whose pages are its own, so this holds there either way).
            Assert.Equal("0", Shell.Run("fincore", "--noheadings", "--output", "PAGES", file).Trim());
        }

        await AssertRecoversAsync(result.RecoveryPoint, expected, fileSystem);
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task ExpressFull_ManyRoundsOfChanges_EveryRecoveryPointRecoversExactly(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "source");
        TreeBuilder.BuildRichTree(source);
        Shell.Run("rm", "-rf", Path.Combine(source, "deep")); // longer than PATH_MAX: cp -a can't keep a copy of it (the round-trip tests cover it)
        File.WriteAllBytes(Path.Combine(source, "database.mdf"), TreeBuilder.RandomBytes(12 << 20, seed: 3));
        var random = new Random(5);
        var points = new List<(RecoveryPointManifest Point, string Expected)>();
        RecoveryPointManifest? previous = null;
        for (var round = 0; round < 5; round++)
        {
            if (round > 0)
            {
                using (var db = new FileStream(Path.Combine(source, "database.mdf"), FileMode.Open, FileAccess.Write))
                {
                    for (var page = 0; page < 6; page++)
                    {
                        db.Position = random.Next(0, (12 << 20) / 8192) * 8192L;
                        db.Write(TreeBuilder.RandomBytes(8192, seed: (round * 100) + page));
                    }
                }

                File.WriteAllText(Path.Combine(source, $"new-{round}.txt"), $"round {round}");
                File.AppendAllText(Path.Combine(source, "log.txt"), $"line {round}\n");
                if (round == 3)
                {
                    File.Delete(Path.Combine(source, "new-1.txt"));
                    Directory.Move(Path.Combine(source, "nested"), Path.Combine(source, "nested-moved"));
                }
            }

            var expected = Keep(source, fileSystem);
            var result = await SyncAsync(source, previous);
            Assert.Empty(result.ChangedWhileRead);
            if (round > 0)
            {
                // The change journal told what changed: no full comparison, only the changed paths listed.
                Assert.Null(result.FullEnumerationReason);
                Assert.InRange(result.ItemsListed, 1, result.RecoveryPoint.Items.Count / 4);
            }

            points.Add((result.RecoveryPoint, expected));
            previous = result.RecoveryPoint;
        }

        foreach (var (point, expected) in points)
        {
            await AssertRecoversAsync(point, expected, fileSystem);
        }
    }

    [Fact]
    public async Task ExpressFull_OnBtrfs_ReadsOnlyTheChangedRangesOfLargeFiles()
    {
        var own = OwnBtrfs();
        var source = Directory.CreateDirectory(Path.Combine(own.MountPoint, "source")).FullName;
        var large = Path.Combine(source, "vm-disk.img");
        File.WriteAllBytes(large, TreeBuilder.RandomBytes(48 << 20, seed: 11));
        File.WriteAllText(Path.Combine(source, "notes.txt"), "notes");
        var first = await SyncAsync(source, null);
        using (var disk = new FileStream(large, FileMode.Open, FileAccess.Write))
        {
            foreach (var page in new[] { 3, 1000, 2500, 4000 })
            {
                disk.Position = page * 8192L;
                disk.Write(TreeBuilder.RandomBytes(8192, seed: page));
            }

            disk.Position = disk.Length;
            disk.Write(TreeBuilder.RandomBytes(300_000, seed: 12)); // and it grows
        }

        var expected = Keep(source, TestVolumes.Btrfs);
        var second = await SyncAsync(source, first.RecoveryPoint);

        Assert.Equal(SnapshotConsistency.CrashConsistent, second.RecoveryPoint.Consistency);
        Assert.StartsWith("btrfs:", second.RecoveryPoint.ChangeToken, StringComparison.Ordinal);
        var total = second.RecoveryPoint.Stats.Bytes;
        var read = second.RecoveryPoint.Stats.BytesRead;
        Assert.True(read < total / 20, $"read {read} of {total} bytes");
        Assert.True(read >= (4 * 8192) + 300_000, $"read only {read} bytes");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(own.MountPoint, ".dpm-snapshots")));
        await AssertRecoversAsync(second.RecoveryPoint, expected, TestVolumes.Btrfs);
    }

    [Fact]
    public async Task ExpressFull_OnBtrfs_TruncatedPunchedAndRewrittenFilesStillRecoverExactly()
    {
        var own = OwnBtrfs();
        var source = Directory.CreateDirectory(Path.Combine(own.MountPoint, "source")).FullName;
        foreach (var name in new[] { "truncated.bin", "punched.bin", "rewritten.bin" })
        {
            File.WriteAllBytes(Path.Combine(source, name), TreeBuilder.RandomBytes(10 << 20, seed: name.Length));
        }

        var first = await SyncAsync(source, null);
        using (var truncated = new FileStream(Path.Combine(source, "truncated.bin"), FileMode.Open, FileAccess.Write))
        {
            truncated.SetLength(3_000_000);
        }

        Shell.Run("fallocate", "--punch-hole", "--keep-size", "--offset", "4194304", "--length", "1048576", Path.Combine(source, "punched.bin"));
        File.WriteAllBytes(Path.Combine(source, "rewritten.bin"), TreeBuilder.RandomBytes(10 << 20, seed: 99));
        var expected = Keep(source, TestVolumes.Btrfs);

        var second = await SyncAsync(source, first.RecoveryPoint);

        await AssertRecoversAsync(second.RecoveryPoint, expected, TestVolumes.Btrfs);
        var punched = second.RecoveryPoint.Items.Single(i => i.Item.Path == "punched.bin").Item;
        Assert.NotNull(punched.Metadata!.DataRanges);
    }

    [Fact]
    public async Task ExpressFull_OnBtrfs_FileWrittenDuringTheBackupIsCapturedAsOfTheSnapshot()
    {
        var own = OwnBtrfs();
        var source = Directory.CreateDirectory(Path.Combine(own.MountPoint, "source")).FullName;
        var busy = Path.Combine(source, "busy.log");
        File.WriteAllBytes(busy, TreeBuilder.RandomBytes(32 << 20, seed: 21));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                await using var file = new FileStream(busy, FileMode.Open, FileAccess.Write);
                file.Position = (i++ % 4000) * 8192L;
                await file.WriteAsync(TreeBuilder.RandomBytes(8192, seed: i));
            }
        });

        var result = await SyncAsync(source, null);
        await stop.CancelAsync();
        await writer;

        Assert.Empty(result.ChangedWhileRead);
        Assert.Equal(SnapshotConsistency.CrashConsistent, result.RecoveryPoint.Consistency);
        var reader = (await _pool.OpenRecoveryPointAsync(result.RecoveryPoint.Id, CancellationToken.None))!;
        await using var stored = (await reader.OpenItemAsync("busy.log", CancellationToken.None))!;
        await SHA256.HashDataAsync(stored);
        Assert.Equal(32 << 20, stored.Position);
    }
}

using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

[Collection(VolumesGroup.Name)]
public sealed class ProtectionTests(TestVolumes volumes)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task OpenProtectionSession_FolderDiscoveryNeverListed_IsAccepted()
    {
        var folder = volumes.NewFolder();
        var workload = await TestHost.StartWorkloadAsync();

        await using var session = await workload.OpenProtectionSessionAsync(
            new DataSource { Id = "folder:" + folder + "/", Name = "x", Kind = "Folder" }, new ProtectionSessionOptions(), None);

        Assert.Equal("folder:" + folder + "/", session.DataSource.Id);
    }

    [Fact]
    public async Task OpenProtectionSession_MissingPathFileOrForeignId_ThrowsArgumentExceptionThatSaysWhy()
    {
        var folder = volumes.NewFolder();
        File.WriteAllText(Path.Combine(folder, "file"), "");
        var workload = await TestHost.StartWorkloadAsync();

        var missing = await Assert.ThrowsAsync<ArgumentException>(() => workload.OpenProtectionSessionAsync(TestHost.Folder(folder + "/nope"), new(), None).AsTask());
        var file = await Assert.ThrowsAsync<ArgumentException>(() => workload.OpenProtectionSessionAsync(TestHost.Folder(folder + "/file"), new(), None).AsTask());
        var foreign = await Assert.ThrowsAsync<ArgumentException>(() => workload.OpenProtectionSessionAsync(new DataSource { Id = "sql:db", Name = "db", Kind = "Database" }, new(), None).AsTask());
        var relative = await Assert.ThrowsAsync<ArgumentException>(() => workload.OpenProtectionSessionAsync(new DataSource { Id = "folder:srv/data", Name = "x", Kind = "Folder" }, new(), None).AsTask());

        Assert.Contains(folder + "/nope", missing.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", missing.Message, StringComparison.Ordinal);
        Assert.Contains("is not a folder", file.Message, StringComparison.Ordinal);
        Assert.Contains("folder:<absolute path>", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("folder:<absolute path>", relative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_WithoutPointInTimeImageOrJournal_IsLiveWithTornReadDetectionAndFullEveryTime()
    {
        var folder = volumes.NewFolder();
        var (workload, _) = await TestHost.StartAsync(new Dictionary<string, string?> { ["ChangeJournal"] = "none" });
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), new(), None);
        await session.PrepareAsync(None);

        var freeze = await session.FreezeAsync(None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        await session.ThawAsync(None);
        var first = await snapshot.EnumerateChangesAsync(null, None);
        var next = await snapshot.EnumerateChangesAsync(snapshot.Token, None);

        Assert.Equal(FreezeStatus.NotSupported, freeze.Status);
        Assert.Contains("read live", freeze.Reason, StringComparison.Ordinal);
        Assert.Equal(SnapshotConsistency.LiveWithTornReadDetection, snapshot.Consistency);
        Assert.Equal("live:" + snapshot.TakenAt.UtcTicks, snapshot.Token.Value);
        Assert.True(first.IsFull);
        Assert.Null(first.FullEnumerationReason);
        Assert.True(next.IsFull);
        Assert.Equal("the change journal is turned off", next.FullEnumerationReason);
        Assert.Equal([""], await Paths(next));
    }

    [Fact]
    public async Task EnumerateChanges_Tree_ListsFoldersBeforeTheirContentsDepthFirstInOrdinalOrder()
    {
        var folder = volumes.NewFolder();
        Directory.CreateDirectory(Path.Combine(folder, "a", "x"));
        File.WriteAllText(Path.Combine(folder, "a", "x", "f"), "");
        File.WriteAllText(Path.Combine(folder, "a-b"), "");
        File.WriteAllText(Path.Combine(folder, "B"), "");
        File.WriteAllText(Path.Combine(folder, "a", "z"), "");

        var paths = await Paths(folder, new ProtectionSessionOptions());

        Assert.Equal(["", "B", "a", "a/x", "a/x/f", "a/z", "a-b"], paths);
    }

    [Fact]
    public async Task EnumerateChanges_RichTree_DescribesEachItemFaithfully()
    {
        var folder = volumes.NewFolder();
        TreeBuilder.BuildRichTree(folder);
        var items = (await Items(folder, new ProtectionSessionOptions())).ToDictionary(i => i.Path, StringComparer.Ordinal);

        var root = items[""];
        Assert.Equal(ProtectedItemKind.Directory, root.Kind);
        Assert.NotNull(root.Metadata!.Mode);

        var setuid = items["modes/setuid"];
        Assert.Equal(ProtectedItemKind.File, setuid.Kind);
        Assert.Equal(Convert.ToInt32("104751", 8), setuid.Metadata!.Mode);
        Assert.Equal(0, setuid.Metadata.OwnerId);
        Assert.Equal("root", setuid.Metadata.OwnerName);
        Assert.Equal("root", setuid.Metadata.GroupName);
        Assert.Null(setuid.Metadata.HardLinkKey);
        Assert.Null(setuid.Metadata.DataRanges);
        Assert.NotNull(setuid.Metadata.CreationTime);
        Assert.Equal(Convert.ToInt32("41777", 8), items["modes/sticky"].Metadata!.Mode);

        var owned = items["owned/file"].Metadata!;
        Assert.Equal((1234L, 5678L), (owned.OwnerId!.Value, owned.GroupId!.Value));
        Assert.Equal((1234L, 5678L), (items["owned/link"].Metadata!.OwnerId!.Value, items["owned/link"].Metadata!.GroupId!.Value));

        var plain = items["plain.txt"];
        var stat = TestPosix.Lstat(Path.Combine(folder, "plain.txt"));
        Assert.Equal(stat.Size, plain.Length);
        Assert.Equal(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero), plain.LastWriteTime);
        Assert.NotNull(plain.Metadata!.ChangeTime);
        Assert.NotNull(plain.Metadata.LastAccessTime);

        Assert.Equal(ProtectedItemKind.SymbolicLink, items["links/dangling"].Kind);
        Assert.Equal("nowhere/at/all", items["links/dangling"].Metadata!.LinkTarget);
        Assert.Equal("/etc/hostname", items["links/outside"].Metadata!.LinkTarget);
        Assert.Equal(0, items["links/to-folder"].Length);
        Assert.DoesNotContain(items.Keys, p => p.StartsWith("links/to-folder/", StringComparison.Ordinal));

        var hardLinkKeys = new[] { "hard/a.txt", "hard/b.txt", "hard/sub/c.txt" }.Select(p => items[p].Metadata!.HardLinkKey).Distinct().ToList();
        Assert.Single(hardLinkKeys);
        Assert.Matches("^[0-9]+:[0-9]+$", hardLinkKeys[0]);

        Assert.Equal("hello"u8.ToArray(), items["xattr.txt"].Metadata!.ExtendedAttributes!["user.comment"]);
        Assert.Equal(256, items["xattr.txt"].Metadata!.ExtendedAttributes!["user.binary"].Length);
        Assert.Null(items["plain.txt"].Metadata!.ExtendedAttributes);

        Assert.Contains(TreeBuilder.NewlineName, items.Keys);
        Assert.Contains(TreeBuilder.UnicodeName, items.Keys);
        Assert.Contains("back\\slash.txt", items.Keys);
        Assert.Contains("empty folder", items.Keys);
        Assert.Contains(items.Keys, p => p.Length > 4096 && p.EndsWith("/far away.txt", StringComparison.Ordinal));
        Assert.DoesNotContain("a fifo", items.Keys);
    }

    [Fact]
    public async Task EnumerateChanges_IncludeAndExcludePatterns_ExcludeWinsAndFoldersOfIncludedItemsAreKept()
    {
        var folder = volumes.NewFolder();
        foreach (var file in new[] { "docs/a.txt", "docs/b.tmp", "docs/sub/c.txt", "build/out.bin", "src/x.cs", "src/cache/y.cs", "src/deep/er/z.cs", "top.tmp", "readme" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, file))!);
            File.WriteAllText(Path.Combine(folder, file), file);
        }

        var included = await Paths(folder, new ProtectionSessionOptions { Include = ["docs", "src/**/*.cs"], Exclude = ["*.tmp", "src/cache"] });
        var excluded = await Paths(folder, new ProtectionSessionOptions { Exclude = ["/build/", "**/er", "read?e"] });
        var single = await Paths(folder, new ProtectionSessionOptions { Include = ["docs/?.txt"] });

        Assert.Equal(["", "docs", "docs/a.txt", "docs/sub", "docs/sub/c.txt", "src", "src/deep", "src/deep/er", "src/deep/er/z.cs", "src/x.cs"], included);
        Assert.Equal(["", "docs", "docs/a.txt", "docs/b.tmp", "docs/sub", "docs/sub/c.txt", "src", "src/cache", "src/cache/y.cs", "src/deep", "src/x.cs", "top.tmp"], excluded);
        Assert.Equal(["", "docs", "docs/a.txt"], single);
    }

    [Fact]
    public async Task EnumerateChanges_OtherFileSystemMountedInsideTheTree_IsNotCrossed()
    {
        var folder = volumes.NewFolder();
        File.WriteAllText(Path.Combine(folder, "kept.txt"), "");
        var mountPoint = Directory.CreateDirectory(Path.Combine(folder, "mnt")).FullName;
        Shell.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint);
        try
        {
            File.WriteAllText(Path.Combine(mountPoint, "on-tmpfs.txt"), "");
            var (workload, logs) = await TestHost.StartAsync();

            var paths = await Paths(folder, new ProtectionSessionOptions(), workload);

            Assert.Equal(["", "kept.txt"], paths);
            Assert.Contains(logs.Lines, line => line.Contains("Not crossing into the file system mounted at mnt", StringComparison.Ordinal));
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }
    }

    [Fact]
    public async Task EnumerateChanges_BindMountOfTheSameFileSystem_IsNotCrossed()
    {
        var folder = volumes.NewFolder();
        var elsewhere = volumes.NewFolder(name: "elsewhere");
        File.WriteAllText(Path.Combine(elsewhere, "not-here.txt"), "");
        var mountPoint = Directory.CreateDirectory(Path.Combine(folder, "bound")).FullName;
        Shell.Run("mount", "--bind", elsewhere, mountPoint);
        try
        {
            Assert.Equal([""], await Paths(folder, new ProtectionSessionOptions()));
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }
    }

    [Fact]
    public async Task EnumerateChanges_BtrfsSubvolumeInsideTheTree_IsProtectedWithIt()
    {
        if (!TestVolumes.BtrfsAvailable)
        {
            return; // needs btrfs-progs; the ext4 tests cover the rest
        }

        var folder = volumes.NewFolder(TestVolumes.Btrfs);
        Shell.Run("btrfs", "subvolume", "create", Path.Combine(folder, "subvolume"));
        File.WriteAllText(Path.Combine(folder, "subvolume", "inside.txt"), "");

        Assert.Equal(["", "subvolume", "subvolume/inside.txt"], await Paths(folder, new ProtectionSessionOptions()));
    }

    [Fact]
    public async Task OpenItem_FileDeletedBeforeOpening_ReturnsNullAndConfirmSaysVanished()
    {
        var folder = volumes.NewFolder();
        File.WriteAllText(Path.Combine(folder, "gone.txt"), "soon gone");
        var workload = await TestHost.StartWorkloadAsync();
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), new(), None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        var item = (await AllItems(snapshot)).Single(i => i.Path == "gone.txt");

        File.Delete(Path.Combine(folder, "gone.txt"));

        Assert.Null(await snapshot.OpenItemAsync(item, None));
        Assert.Equal(ItemReadCheck.Vanished, await snapshot.ConfirmUnchangedAsync(item, None));
    }

    [Fact]
    public async Task OpenItem_FileReplacedBySymbolicLink_IsNotFollowed()
    {
        var folder = volumes.NewFolder();
        var outside = volumes.NewOutsideFolder();
        File.WriteAllText(Path.Combine(outside, "secret"), "not part of the data source");
        File.WriteAllText(Path.Combine(folder, "f.txt"), "file");
        var workload = await TestHost.StartWorkloadAsync();
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), new(), None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        var item = (await AllItems(snapshot)).Single(i => i.Path == "f.txt");

        File.Delete(Path.Combine(folder, "f.txt"));
        File.CreateSymbolicLink(Path.Combine(folder, "f.txt"), Path.Combine(outside, "secret"));

        Assert.Null(await snapshot.OpenItemAsync(item, None));
        Assert.Equal(ItemReadCheck.Vanished, await snapshot.ConfirmUnchangedAsync(item, None));
    }

    [Fact]
    public async Task ConfirmUnchanged_FileRewrittenWhileItIsRead_ReportsChangedWhileRead()
    {
        var folder = volumes.NewFolder();
        var path = Path.Combine(folder, "busy.bin");
        File.WriteAllBytes(path, TreeBuilder.RandomBytes(64 << 20, seed: 4));
        var workload = await TestHost.StartWorkloadAsync();
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), new(), None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        var item = (await AllItems(snapshot)).Single(i => i.Path == "busy.bin");
        await using var stream = await snapshot.OpenItemAsync(item, None);
        Assert.NotNull(stream);

        using var firstWrite = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            var chunk = TreeBuilder.RandomBytes(4096, seed: 5);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                file.Position = i % 2 == 0 ? (i * 4096L) % (32 << 20) : file.Length; // overwrite in place, then append
                file.Write(chunk);
                file.Flush(flushToDisk: false);
                firstWrite.Set();
                Thread.Sleep(1);
            }
        });
        writer.Start();
        var buffer = new byte[1 << 20];
        var waited = false;
        while (await stream.ReadAsync(buffer) > 0)
        {
            if (!waited)
            {
                waited = firstWrite.Wait(TimeSpan.FromSeconds(30)); // the writer is at work while the rest is read
                Assert.True(waited);
            }
        }

        await stop.CancelAsync();
        writer.Join();

        Assert.Equal(ItemReadCheck.ChangedWhileRead, await snapshot.ConfirmUnchangedAsync(item, None));
    }

    [Fact]
    public async Task ConfirmUnchanged_FileUntouchedWhileRead_ReportsUnchanged()
    {
        var folder = volumes.NewFolder();
        File.WriteAllBytes(Path.Combine(folder, "quiet.bin"), TreeBuilder.RandomBytes(1 << 20, seed: 6));
        var workload = await TestHost.StartWorkloadAsync();
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), new(), None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        var item = (await AllItems(snapshot)).Single(i => i.Path == "quiet.bin");

        await using (var stream = await snapshot.OpenItemAsync(item, None))
        {
            await stream!.CopyToAsync(Stream.Null);
        }

        Assert.Equal(ItemReadCheck.Unchanged, await snapshot.ConfirmUnchangedAsync(item, None));
    }

    private static async Task<List<ProtectedItem>> AllItems(IDataSourceSnapshot snapshot)
    {
        var items = new List<ProtectedItem>();
        await foreach (var change in (await snapshot.EnumerateChangesAsync(null, None)).Changes)
        {
            items.Add(change.Item);
        }

        return items;
    }

    private static async Task<List<string>> Paths(ChangeEnumeration changes)
    {
        var paths = new List<string>();
        await foreach (var change in changes.Changes)
        {
            paths.Add(change.Item.Path);
        }

        return paths;
    }

    private static async Task<List<ProtectedItem>> Items(string folder, ProtectionSessionOptions options, FilesWorkload? workload = null)
    {
        workload ??= await TestHost.StartWorkloadAsync();
        await using var session = await workload.OpenProtectionSessionAsync(TestHost.Folder(folder), options, None);
        await using var snapshot = await session.TakeSnapshotAsync(None);
        return await AllItems(snapshot);
    }

    private static async Task<List<string>> Paths(string folder, ProtectionSessionOptions options, FilesWorkload? workload = null) =>
        [.. (await Items(folder, options, workload)).Select(i => i.Path)];
}

using System.Globalization;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

[Collection(VolumesGroup.Name)]
public sealed class RecoveryTests(TestVolumes volumes)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RecoverAsync_OriginalLocationOverwrite_PutsBackChangedAndDeletedItemsByReplacingThem()
    {
        var (folder, workload, point) = await ProtectSmallTreeAsync();
        var reference = volumes.NewFolder(name: "reference");
        await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate(reference) }, null, None);
        var outsideLink = Path.Combine(volumes.NewFolder(name: "elsewhere"), "link-to-a"); // same volume, outside the data source
        File.WriteAllText(Path.Combine(folder, "a.txt"), "changed after the recovery point");
        TestPosix.HardLink(Path.Combine(folder, "a.txt"), outsideLink);
        File.Delete(Path.Combine(folder, "docs", "sub", "c.txt"));
        Directory.Delete(Path.Combine(folder, "docs", "empty"));
        File.WriteAllText(Path.Combine(folder, "new.txt"), "made after the recovery point");

        var result = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Original }, null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal(folder, result.RecoveredTo);
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(folder, "a.txt")));
        Assert.Equal("changed after the recovery point", File.ReadAllText(outsideLink)); // replaced, not written in place
        Assert.True(File.Exists(Path.Combine(folder, "new.txt"))); // an Overwrite recovery deletes nothing
        File.Delete(Path.Combine(folder, "new.txt"));
        Assert.Empty(TreeComparer.Compare(reference, folder, new TreeCompareOptions { RootMetadata = false }));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories), p => p.Contains(".dpm-recovering-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RecoverAsync_ExistingItemsSkip_LeavesExistingItemsAndCountsThem()
    {
        var (folder, workload, point) = await ProtectSmallTreeAsync();
        File.WriteAllText(Path.Combine(folder, "a.txt"), "mine now");
        File.Delete(Path.Combine(folder, "docs", "sub", "c.txt"));

        var result = await workload.RecoverAsync(point, Request(RecoveryTarget.Original, ExistingItemBehaviour.Skip), null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal("mine now", File.ReadAllText(Path.Combine(folder, "a.txt")));
        Assert.Equal("c", File.ReadAllText(Path.Combine(folder, "docs", "sub", "c.txt")));
        Assert.Equal(1, result.ItemsRecovered);
        Assert.Equal(point.Items.Count - 1, result.ItemsSkipped);
    }

    [Fact]
    public async Task RecoverAsync_ExistingItemsKeepBoth_RecoversBesideTheExistingItem()
    {
        var (folder, workload, point) = await ProtectSmallTreeAsync();
        File.WriteAllText(Path.Combine(folder, "a.txt"), "mine now");
        File.WriteAllText(Path.Combine(folder, "docs", "b"), "mine too");

        var result = await workload.RecoverAsync(point, Request(RecoveryTarget.Original, ExistingItemBehaviour.KeepBoth), null, None);

        var stamp = point.RecoveryPoint.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HHmmss", CultureInfo.InvariantCulture);
        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal("mine now", File.ReadAllText(Path.Combine(folder, "a.txt")));
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(folder, $"a (recovered {stamp}).txt")));
        Assert.Equal("mine too", File.ReadAllText(Path.Combine(folder, "docs", "b")));
        Assert.Equal("b", File.ReadAllText(Path.Combine(folder, "docs", $"b (recovered {stamp})")));
        Assert.Equal("c", File.ReadAllText(Path.Combine(folder, "docs", "sub", $"c (recovered {stamp}).txt"))); // a copy even when unchanged

        var again = await workload.RecoverAsync(point, Request(RecoveryTarget.Original, ExistingItemBehaviour.KeepBoth), null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, again.Outcome);
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(folder, $"a (recovered {stamp} 2).txt")));
    }

    [Fact]
    public async Task RecoverAsync_RestoreSecurityFalse_LeavesTheRestoringUserAsOwnerWithoutSetIdBitsOrAcls()
    {
        var folder = volumes.NewFolder(name: "source");
        var file = Path.Combine(folder, "owned");
        File.WriteAllText(file, "someone else's");
        File.SetUnixFileMode(file, UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        TestPosix.Lchown(file, 1234, 5678);
        TestPosix.SetXattr(file, "system.posix_acl_access", TestPosix.AclXattr((1, 7, uint.MaxValue), (2, 6, 4321), (4, 4, uint.MaxValue), (16, 6, uint.MaxValue), (32, 4, uint.MaxValue)));
        File.SetLastWriteTimeUtc(file, new DateTime(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var workload = await TestHost.StartWorkloadAsync();
        var point = await MemoryRecoverySource.ProtectAsync(workload, TestHost.Folder(folder));
        var target = volumes.NewFolder(name: "target");
        var me = TestPosix.Lstat(target);

        var result = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.CopyTo(target), Options = new RecoveryOptions { RestoreSecurity = false } }, null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        var recovered = TestPosix.Lstat(Path.Combine(target, "owned"));
        Assert.Equal((me.Uid, me.Gid), (recovered.Uid, recovered.Gid));
        Assert.Equal(0, recovered.Permissions & 0xE00); // no set-uid, set-gid or sticky bit
        Assert.Equal(new DateTime(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks, recovered.ModifyTicks);
        Assert.DoesNotContain("system.posix_acl_access", TestPosix.ListXattrs(Path.Combine(target, "owned")).Keys);
        Assert.Equal("someone else's", File.ReadAllText(Path.Combine(target, "owned")));
    }

    [Fact]
    public async Task RecoverItemsAsync_OneFile_RecoversItAndItsFoldersOnly()
    {
        var (_, workload, point) = await ProtectSmallTreeAsync();
        var target = volumes.NewFolder(name: "target");

        var result = await workload.RecoverItemsAsync(point, new ItemRecoveryRequest { Target = RecoveryTarget.Alternate(target), Items = ["docs/sub/c.txt"] }, null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal("c", File.ReadAllText(Path.Combine(target, "docs", "sub", "c.txt")));
        Assert.Equal(["docs", "docs/sub", "docs/sub/c.txt"], Scan(target));
    }

    [Fact]
    public async Task RecoverItemsAsync_Folder_RecoversEverythingBelowItWithItsMetadata()
    {
        var (folder, workload, point) = await ProtectSmallTreeAsync();
        var target = volumes.NewFolder(name: "target");

        var result = await workload.RecoverItemsAsync(point, new ItemRecoveryRequest { Target = RecoveryTarget.Alternate(target), Items = ["docs", "docs/b"] }, null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal(["docs", "docs/b", "docs/empty", "docs/sub", "docs/sub/c.txt"], Scan(target));
        Directory.Delete(Path.Combine(folder, "top"), recursive: true);
        File.Delete(Path.Combine(folder, "a.txt"));
        File.Delete(Path.Combine(folder, "link"));
        Assert.Empty(TreeComparer.Compare(folder, target, new TreeCompareOptions { RootMetadata = false }));
    }

    [Fact]
    public async Task RecoverItemsAsync_ItemNotInTheRecoveryPoint_FailsWithTheReason()
    {
        var (_, workload, point) = await ProtectSmallTreeAsync();
        var target = volumes.NewFolder(name: "target");

        var result = await workload.RecoverItemsAsync(point, new ItemRecoveryRequest { Target = RecoveryTarget.Alternate(target), Items = ["nope.txt", "a.txt"] }, null, None);

        Assert.Equal(RecoveryOutcome.PartiallySucceeded, result.Outcome);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("nope.txt", failure.Path);
        Assert.Contains("no item", failure.Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(target, "a.txt")));
    }

    [Fact]
    public async Task RecoverAsync_CopyToFolderOnAnotherFileSystem_CopiesTheTreeIntoIt()
    {
        var (folder, workload, point) = await ProtectSmallTreeAsync();
        var target = Path.Combine(volumes.NewOutsideFolder(), "not", "there", "yet");

        var result = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.CopyTo(target) }, null, None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Empty(TreeComparer.Compare(folder, target, new TreeCompareOptions { RootMetadata = false }));
    }

    [Fact]
    public async Task RecoverAsync_RelativeAlternatePathOrOtherComputer_FailsWithoutWriting()
    {
        var (_, workload, point) = await ProtectSmallTreeAsync();

        var relative = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate("relative/folder") }, null, None);
        var elsewhere = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate(volumes.NewFolder(), "other-computer") }, null, None);

        Assert.Equal(RecoveryOutcome.Failed, relative.Outcome);
        Assert.Contains("absolute", Assert.Single(relative.Failures).Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists("relative"));
        Assert.Equal(RecoveryOutcome.Failed, elsewhere.Outcome);
        Assert.Contains("other-computer", Assert.Single(elsewhere.Failures).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListRecoverableItems_Folders_ListsDirectChildrenWithKindsAndChildren()
    {
        var (_, workload, point) = await ProtectSmallTreeAsync();

        var top = await ToListAsync(workload.ListRecoverableItemsAsync(point, "", None));
        var docs = await ToListAsync(workload.ListRecoverableItemsAsync(point, "docs", None));
        await Assert.ThrowsAsync<ArgumentException>(() => ToListAsync(workload.ListRecoverableItemsAsync(point, "../etc", None)));

        Assert.Equal(["a.txt", "docs", "link", "top"], top.Select(i => i.Name));
        Assert.Equal(["docs/b", "docs/empty", "docs/sub"], docs.Select(i => i.Path));
        var a = top[0];
        Assert.Equal((ProtectedItemKind.File, 9L, false), (a.Kind, a.Length, a.HasChildren));
        Assert.NotNull(a.LastWriteTime);
        Assert.Equal((ProtectedItemKind.Directory, true), (top[1].Kind, top[1].HasChildren));
        Assert.Equal(ProtectedItemKind.SymbolicLink, top[2].Kind);
        Assert.False(docs[1].HasChildren);
        Assert.True(docs[2].HasChildren);
    }

    [Fact]
    public async Task RecoverAsync_CancelledToken_StopsWithOperationCanceled()
    {
        var (_, workload, point) = await ProtectSmallTreeAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate(volumes.NewFolder()) }, null, cancelled.Token).AsTask());
    }

    /// <summary>a.txt, docs/b, docs/empty/, docs/sub/c.txt, link -> docs, top/.</summary>
    private async Task<(string Folder, FilesWorkload Workload, MemoryRecoverySource Point)> ProtectSmallTreeAsync()
    {
        var folder = volumes.NewFolder(name: "source");
        File.WriteAllText(Path.Combine(folder, "a.txt"), "version 1");
        Directory.CreateDirectory(Path.Combine(folder, "docs", "sub"));
        Directory.CreateDirectory(Path.Combine(folder, "docs", "empty"));
        Directory.CreateDirectory(Path.Combine(folder, "top"));
        File.WriteAllText(Path.Combine(folder, "docs", "b"), "b");
        File.WriteAllText(Path.Combine(folder, "docs", "sub", "c.txt"), "c");
        File.CreateSymbolicLink(Path.Combine(folder, "link"), "docs");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "docs"), new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        var workload = await TestHost.StartWorkloadAsync();
        var point = await MemoryRecoverySource.ProtectAsync(workload, TestHost.Folder(folder));
        return (folder, workload, point);
    }

    private static RecoveryRequest Request(RecoveryTarget target, ExistingItemBehaviour existing) =>
        new() { Target = target, Options = new RecoveryOptions { ExistingItems = existing } };

    private static List<string> Scan(string root) =>
        [.. TreeComparer.Scan(root).Keys.Where(k => k.Length > 0).Order(StringComparer.Ordinal)];

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

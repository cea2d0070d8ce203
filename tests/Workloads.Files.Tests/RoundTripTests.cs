using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

[Collection(VolumesGroup.Name)]
public sealed class RoundTripTests(TestVolumes volumes)
{
    public static TheoryData<string> FileSystems => TestVolumes.FileSystems;

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task ProtectThenRecover_RichTreeToAlternateLocation_GivesAnIdenticalTree(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "source");
        TreeBuilder.BuildRichTree(source);
        var (workload, logs) = await TestHost.StartAsync();
        var point = await MemoryRecoverySource.ProtectAsync(workload, TestHost.Folder(source));
        var target = volumes.NewFolder(fileSystem, "target");
        var reports = new List<ProgressReport>();

        var result = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate(target) }, new SyncProgress<ProgressReport>(reports.Add), CancellationToken.None);

        Assert.Empty(result.Failures);
        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal(point.Items.Count, result.ItemsRecovered);
        Assert.Equal(target, result.RecoveredTo);
        Assert.Empty(TreeComparer.Compare(source, target));
        Assert.True(TestPosix.Lstat(Path.Combine(target, "sparse.img")).Blocks * 512 < 1 << 20, "the holes of the sparse file were written");
        Assert.False(File.Exists(Path.Combine(target, "a fifo")));
        Assert.Contains(logs.Lines, line => line.Contains("left out 1 sockets, FIFOs and devices, 0 other mounts, 0 unreadable items", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal) || line.StartsWith("Error", StringComparison.Ordinal));
        Assert.NotEmpty(reports);
        Assert.Equal(result.BytesRecovered, reports[^1].BytesDone);

        // what the recovery point holds, as the engine would store it
        var acl = Assert.Single(point.Items, i => i.Path == "acl.txt");
        Assert.Contains("system.posix_acl_access", acl.Metadata!.ExtendedAttributes!.Keys);
        Assert.Contains("system.posix_acl_default", Assert.Single(point.Items, i => i.Path == "acl folder").Metadata!.ExtendedAttributes!.Keys);
        var hardLinked = point.Items.Where(i => i.Path.StartsWith("hard/", StringComparison.Ordinal) && i.Kind == ProtectedItemKind.File).ToList();
        Assert.Equal(3, hardLinked.Count);
        Assert.Single(hardLinked.Select(i => i.Metadata!.HardLinkKey).Distinct());
        Assert.NotNull(hardLinked[0].Metadata!.HardLinkKey);
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task ProtectThenRecover_NonSeekableRecoveryStreams_KeepsSparseFilesSparse(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "source");
        TreeBuilder.MakeSparseFile(Path.Combine(source, "sparse.img"));
        File.WriteAllBytes(Path.Combine(source, "full.bin"), TreeBuilder.RandomBytes(5 << 20, seed: 9));
        var workload = await TestHost.StartWorkloadAsync();
        var point = await MemoryRecoverySource.ProtectAsync(workload, TestHost.Folder(source), nonSeekable: true);
        var sparse = Assert.Single(point.Items, i => i.Path == "sparse.img");
        Assert.Equal(TreeBuilder.SparseLength, sparse.Length);
        Assert.Equal([new ByteRange(0, 4096), new ByteRange(16L << 20, 8192)], sparse.Metadata!.DataRanges!);
        Assert.Null(Assert.Single(point.Items, i => i.Path == "full.bin").Metadata!.DataRanges);
        var target = volumes.NewFolder(fileSystem, "target");

        var result = await workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate(target) }, null, CancellationToken.None);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Empty(TreeComparer.Compare(source, target));
        Assert.Equal(4096 + 8192 + (5 << 20), result.BytesRecovered);
        var recovered = TestPosix.Lstat(Path.Combine(target, "sparse.img"));
        Assert.Equal(TreeBuilder.SparseLength, recovered.Size);
        Assert.True(recovered.Blocks * 512 <= 64 * 1024, $"{recovered.Blocks} blocks allocated");
    }
}

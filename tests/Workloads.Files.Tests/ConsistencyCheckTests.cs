using Dpm.Contracts.Workloads;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Dpm.Workloads.Files.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Files.Tests;

/// <summary>Light and heavy consistency checks of a replica against the real folder, and their repairs.</summary>
[Collection(VolumesGroup.Name)]
public sealed class ConsistencyCheckTests(TestVolumes volumes) : IAsyncLifetime
{
    private TestPool _testPool = null!;
    private FilesWorkload _workload = null!;

    private StoragePool _pool => _testPool.Pool;

    public async Task InitializeAsync()
    {
        _testPool = await TestPool.CreateAsync(volumes.NewOutsideFolder());
        _workload = await TestHost.StartWorkloadAsync();
    }

    public async Task DisposeAsync()
    {
        await _workload.DisposeAsync();
        await _testPool.DisposeAsync();
    }

    private ProtectionEngine Engine => new(_pool, NullLogger<ProtectionEngine>.Instance);

    private static SynchronizationRequest Request(string source, RecoveryPointManifest? previous) =>
        new() { PluginId = "Dpm.Workloads.Files", DataSource = TestHost.Folder(source), Previous = previous };

    private string Source()
    {
        var source = volumes.NewFolder(TestVolumes.Ext4, "source");
        File.WriteAllBytes(Path.Combine(source, "data.bin"), TreeBuilder.RandomBytes(3 << 20, seed: 1));
        File.WriteAllText(Path.Combine(source, "keep.txt"), "keep");
        File.WriteAllText(Path.Combine(source, "gone.txt"), "gone");
        return source;
    }

    [Fact]
    public async Task Check_UntouchedSource_ConsistentAndNoRepair()
    {
        var source = Source();
        var replica = (await Engine.SynchronizeAsync(_workload, Request(source, null), null, CancellationToken.None)).RecoveryPoint;

        var outcome = await Engine.CheckConsistencyAsync(_workload, Request(source, replica), ConsistencyCheckLevel.Heavy, null, CancellationToken.None);

        Assert.True(outcome.WasConsistent, string.Join("; ", outcome.Inconsistencies));
        Assert.Null(outcome.Repair);
        Assert.Equal(3 << 20, outcome.BytesCompared - "keep".Length - "gone".Length);
    }

    [Fact]
    public async Task Check_Light_FindsAddedRemovedAndChangedMetadataThenRepairs()
    {
        var source = Source();
        var replica = (await Engine.SynchronizeAsync(_workload, Request(source, null), null, CancellationToken.None)).RecoveryPoint;
        File.Delete(Path.Combine(source, "gone.txt"));
        File.WriteAllText(Path.Combine(source, "new.txt"), "new");
        File.SetUnixFileMode(Path.Combine(source, "keep.txt"), UnixFileMode.UserRead);

        var outcome = await Engine.CheckConsistencyAsync(_workload, Request(source, replica), ConsistencyCheckLevel.Light, null, CancellationToken.None);

        Assert.Equal(
            [": its last write time differs from the replica's", "gone.txt: in the replica but no longer in the data source", "keep.txt: its owner, mode or link target differs from the replica's", "new.txt: missing from the replica"],
            outcome.Inconsistencies.Select(i => $"{i.Path}: {i.Reason}").Order(StringComparer.Ordinal));
        var repaired = outcome.Repair!.RecoveryPoint;
        Assert.DoesNotContain(repaired.Items, i => i.Item.Path == "gone.txt");
        Assert.Contains(repaired.Items, i => i.Item.Path == "new.txt");
        var again = await Engine.CheckConsistencyAsync(_workload, Request(source, repaired), ConsistencyCheckLevel.Light, null, CancellationToken.None);
        Assert.True(again.WasConsistent, string.Join("; ", again.Inconsistencies));
    }

    [Fact]
    public async Task Check_Heavy_FindsDataChangedBehindTheMetadataAndTheRepairHoldsTheNewData()
    {
        var source = Source();
        var path = Path.Combine(source, "data.bin");
        var replica = (await Engine.SynchronizeAsync(_workload, Request(source, null), null, CancellationToken.None)).RecoveryPoint;

        // The data changes but size and write time say it didn't (a tool that restores times, a lost change journal).
        var written = File.GetLastWriteTimeUtc(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = 1 << 20;
            file.Write(TreeBuilder.RandomBytes(4096, seed: 2));
        }

        File.SetLastWriteTimeUtc(path, written);
        var light = await Engine.CheckConsistencyAsync(_workload, Request(source, replica), ConsistencyCheckLevel.Light, null, CancellationToken.None);
        var heavy = await Engine.CheckConsistencyAsync(_workload, Request(source, replica), ConsistencyCheckLevel.Heavy, null, CancellationToken.None);

        Assert.True(light.WasConsistent);
        var found = Assert.Single(heavy.Inconsistencies);
        Assert.Equal("data.bin", found.Path);
        Assert.StartsWith("its data differs from the replica at byte ", found.Reason, StringComparison.Ordinal);
        Assert.True(heavy.Repair!.ChangedWhileRead.Count == 0 && heavy.Repair.Vanished.Count == 0, $"torn {string.Join(",", heavy.Repair.ChangedWhileRead)} vanished {string.Join(",", heavy.Repair.Vanished)} items {string.Join(",", heavy.Repair.RecoveryPoint.Items.Select(i => i.Item.Path))}");
        var reader = (await _pool.OpenRecoveryPointAsync(heavy.Repair!.RecoveryPoint.Id, CancellationToken.None))!;
        await using var stored = (await reader.OpenItemAsync("data.bin", CancellationToken.None))!;
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(File.ReadAllBytes(path), copy.ToArray());
    }
}

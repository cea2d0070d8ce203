using Dpm.Protection;
using Dpm.Storage.Manifests;
using Dpm.Workloads.Files.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Files.Tests;

/// <summary>
/// The change journal (inotify) between synchronizations: what it lists, and the consistency-check path when it
/// overflows or the agent restarts. Real folders on loop volumes, the real engine and a real pool.
/// </summary>
[Collection(VolumesGroup.Name)]
public sealed class ChangeJournalTests(TestVolumes volumes) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _cleanup = [];
    private TestPool _pool = null!;

    public static TheoryData<string> FileSystems => TestVolumes.FileSystems;

    public async Task InitializeAsync() => _pool = await TestPool.CreateAsync(volumes.NewOutsideFolder());

    public async Task DisposeAsync()
    {
        foreach (var item in _cleanup)
        {
            await item.DisposeAsync();
        }

        await _pool.DisposeAsync();
    }

    private async Task<FilesWorkload> StartAsync(Dictionary<string, string?>? configuration = null)
    {
        var (workload, _) = await TestHost.StartAsync(configuration);
        _cleanup.Add(workload);
        return workload;
    }

    private async Task<SynchronizationResult> SyncAsync(FilesWorkload workload, string source, RecoveryPointManifest? previous) =>
        await new ProtectionEngine(_pool.Pool, NullLogger<ProtectionEngine>.Instance).SynchronizeAsync(
            workload,
            new SynchronizationRequest { PluginId = "Dpm.Workloads.Files", DataSource = TestHost.Folder(source), Previous = previous },
            null,
            CancellationToken.None);

    /// <summary>Recovers the point to a new folder and compares it with the source as it is now.</summary>
    private async Task AssertRecoversAsSourceAsync(FilesWorkload workload, RecoveryPointManifest point, string source, string fileSystem)
    {
        var target = volumes.NewFolder(fileSystem, "recovered");
        var reader = (await _pool.Pool.OpenRecoveryPointAsync(point.Id, CancellationToken.None))!;
        var result = await workload.RecoverAsync(reader, new Contracts.Workloads.RecoveryRequest { Target = Contracts.Workloads.RecoveryTarget.Alternate(target) }, null, CancellationToken.None);

        Assert.Equal(Contracts.Workloads.RecoveryOutcome.Succeeded, result.Outcome);
        var differences = TreeComparer.Compare(source, target, new TreeCompareOptions { RootMetadata = false });
        Assert.True(differences.Count == 0, string.Join("; ", differences.Take(10)));
    }

    private static void BuildTree(string source, int folders, int filesPerFolder)
    {
        for (var f = 0; f < folders; f++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(source, $"folder-{f:D2}", "inner")).FullName;
            for (var i = 0; i < filesPerFolder; i++)
            {
                File.WriteAllText(Path.Combine(folder, $"file-{i:D3}.txt"), $"folder {f} file {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task ExpressFull_FromTheJournal_ListsOnlyWhatChangedAndRecoversExactly(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "journal");
        BuildTree(source, folders: 10, filesPerFolder: 30);
        var workload = await StartAsync();
        var first = await SyncAsync(workload, source, null);

        // Every kind of change: data, mode, a new nested folder, a deleted folder, a moved folder, a link, a
        // file replaced by a folder, a folder moved out of the tree and one moved in from outside, a folder
        // replaced by another of the same name.
        File.AppendAllText(Path.Combine(source, "folder-00", "inner", "file-000.txt"), " and more");
        File.SetUnixFileMode(Path.Combine(source, "folder-01", "inner", "file-001.txt"), UnixFileMode.UserRead);
        Directory.CreateDirectory(Path.Combine(source, "folder-02", "new", "deeper"));
        File.WriteAllText(Path.Combine(source, "folder-02", "new", "deeper", "made.txt"), "new");
        Directory.Delete(Path.Combine(source, "folder-03"), recursive: true);
        Directory.Move(Path.Combine(source, "folder-04"), Path.Combine(source, "folder-04-renamed"));
        File.CreateSymbolicLink(Path.Combine(source, "folder-05", "link"), "inner/file-005.txt");
        File.Delete(Path.Combine(source, "folder-06", "inner", "file-006.txt"));
        Directory.CreateDirectory(Path.Combine(source, "folder-06", "inner", "file-006.txt"));
        var outside = volumes.NewFolder(fileSystem, "outside");
        Directory.Move(Path.Combine(source, "folder-07"), Path.Combine(outside, "away"));
        Directory.CreateDirectory(Path.Combine(outside, "incoming", "sub"));
        File.WriteAllText(Path.Combine(outside, "incoming", "sub", "arrived.txt"), "arrived");
        Directory.Move(Path.Combine(outside, "incoming"), Path.Combine(source, "folder-08", "incoming"));
        Directory.Delete(Path.Combine(source, "folder-09"), recursive: true);
        Directory.CreateDirectory(Path.Combine(source, "folder-09", "other"));

        var second = await SyncAsync(workload, source, first.RecoveryPoint);

        Assert.Null(first.FullEnumerationReason);
        Assert.Equal(first.RecoveryPoint.Items.Count, first.ItemsListed);
        Assert.Null(second.FullEnumerationReason);
        Assert.Null(second.ReplicaInconsistentReason);
        Assert.InRange(second.ItemsListed, 10, 80); // of about 330 items
        await AssertRecoversAsSourceAsync(workload, second.RecoveryPoint, source, fileSystem);

        // Changes inside the folders that arrived are seen too: they are watched now.
        File.WriteAllText(Path.Combine(source, "folder-08", "incoming", "sub", "arrived.txt"), "changed after it arrived");
        File.WriteAllText(Path.Combine(source, "folder-04-renamed", "inner", "file-010.txt"), "changed after the move");
        var third = await SyncAsync(workload, source, second.RecoveryPoint);

        Assert.Null(third.FullEnumerationReason);
        Assert.InRange(third.ItemsListed, 2, 10);
        await AssertRecoversAsSourceAsync(workload, third.RecoveryPoint, source, fileSystem);
    }

    [Fact]
    public async Task JournalOverflow_MoreChangesThanItsCapacity_TakesTheConsistencyCheckPath()
    {
        var source = volumes.NewFolder(TestVolumes.Ext4, "overflow");
        BuildTree(source, folders: 2, filesPerFolder: 5);
        var workload = await StartAsync(new() { ["ChangeJournalCapacity"] = "50" });
        var first = await SyncAsync(workload, source, null);
        for (var i = 0; i < 200; i++)
        {
            File.WriteAllText(Path.Combine(source, $"burst-{i:D3}.txt"), $"burst {i}");
        }

        var second = await SyncAsync(workload, source, first.RecoveryPoint);

        Assert.Contains("capacity", second.ReplicaInconsistentReason, StringComparison.Ordinal);
        Assert.NotNull(second.ConsistencyCheck);
        Assert.Equal(200, second.ConsistencyCheck.Inconsistencies.Count(i => i.Path.StartsWith("burst-", StringComparison.Ordinal)));
        Assert.All(second.ConsistencyCheck.Inconsistencies.Where(i => i.Path.StartsWith("burst-", StringComparison.Ordinal)), i => Assert.Equal("missing from the replica", i.Reason));
        await AssertRecoversAsSourceAsync(workload, second.RecoveryPoint, source, TestVolumes.Ext4);

        // A new journal runs from the repair on.
        File.WriteAllText(Path.Combine(source, "after.txt"), "after the overflow");
        var third = await SyncAsync(workload, source, second.RecoveryPoint);

        Assert.Null(third.FullEnumerationReason);
        Assert.Null(third.ConsistencyCheck);
        Assert.InRange(third.ItemsListed, 1, 3);
        await AssertRecoversAsSourceAsync(workload, third.RecoveryPoint, source, TestVolumes.Ext4);
    }

    [Fact]
    public async Task JournalOverflow_KernelEventQueueOverflows_TakesTheConsistencyCheckPath()
    {
        var source = volumes.NewFolder(TestVolumes.Ext4, "queue");
        BuildTree(source, folders: 1, filesPerFolder: 3);
        var workload = await StartAsync();
        const string queueSetting = "/proc/sys/fs/inotify/max_queued_events";
        var original = File.ReadAllText(queueSetting).Trim();
        SynchronizationResult first;
        File.WriteAllText(queueSetting, "16"); // the queue size is fixed when the journal's inotify instance starts
        try
        {
            first = await SyncAsync(workload, source, null);
        }
        finally
        {
            File.WriteAllText(queueSetting, original);
        }

        // The journal reads in batches; a burst of files overflows its 16-event queue between two reads.
        var previous = first.RecoveryPoint;
        SynchronizationResult? overflowed = null;
        for (var round = 0; round < 20 && overflowed is null; round++)
        {
            for (var i = 0; i < 500; i++)
            {
                File.WriteAllText(Path.Combine(source, $"r{round:D2}-{i:D3}.txt"), "x");
            }

            var result = await SyncAsync(workload, source, previous);
            previous = result.RecoveryPoint;
            overflowed = result.ReplicaInconsistentReason is not null ? result : null;
        }

        Assert.NotNull(overflowed);
        Assert.Contains("max_queued_events", overflowed.ReplicaInconsistentReason, StringComparison.Ordinal);
        Assert.NotNull(overflowed.ConsistencyCheck);
        Assert.NotEmpty(overflowed.ConsistencyCheck.Inconsistencies);
        await AssertRecoversAsSourceAsync(workload, overflowed.RecoveryPoint, source, TestVolumes.Ext4);
    }

    [Theory]
    [MemberData(nameof(FileSystems))]
    public async Task AgentRestart_ChangesWhileNoJournalRan_TakeTheConsistencyCheckPath(string fileSystem)
    {
        var source = volumes.NewFolder(fileSystem, "restart");
        BuildTree(source, folders: 3, filesPerFolder: 4);
        var before = await StartAsync();
        var first = await SyncAsync(before, source, null);
        await before.DisposeAsync();

        // Changed while the agent was down: nobody watched.
        File.WriteAllText(Path.Combine(source, "folder-00", "inner", "file-000.txt"), "changed while down");
        Directory.Delete(Path.Combine(source, "folder-01"), recursive: true);
        var after = await StartAsync();
        var second = await SyncAsync(after, source, first.RecoveryPoint);

        Assert.Contains("started afresh", second.ReplicaInconsistentReason, StringComparison.Ordinal);
        var found = second.ConsistencyCheck!.Inconsistencies.Select(i => i.Path).ToHashSet();
        Assert.Contains("folder-00/inner/file-000.txt", found);
        Assert.Contains("folder-01/inner/file-000.txt", found);
        Assert.Contains("folder-01", found);
        await AssertRecoversAsSourceAsync(after, second.RecoveryPoint, source, fileSystem);

        File.WriteAllText(Path.Combine(source, "folder-02", "inner", "file-001.txt"), "watched again");
        var third = await SyncAsync(after, source, second.RecoveryPoint);

        Assert.Null(third.ReplicaInconsistentReason);
        Assert.Null(third.FullEnumerationReason);
        await AssertRecoversAsSourceAsync(after, third.RecoveryPoint, source, fileSystem);
    }

    [Fact]
    public async Task HardLinkedFileChanged_FallsBackToAFullComparison()
    {
        var source = volumes.NewFolder(TestVolumes.Ext4, "hardlinks");
        BuildTree(source, folders: 1, filesPerFolder: 2);
        File.WriteAllText(Path.Combine(source, "one"), "shared data");
        Shell.Run("ln", Path.Combine(source, "one"), Path.Combine(source, "two"));
        var workload = await StartAsync();
        var first = await SyncAsync(workload, source, null);

        File.WriteAllText(Path.Combine(source, "one"), "changed through one name");
        var second = await SyncAsync(workload, source, first.RecoveryPoint);

        Assert.Contains("hard links", second.FullEnumerationReason, StringComparison.Ordinal);
        Assert.Null(second.ReplicaInconsistentReason);
        await AssertRecoversAsSourceAsync(workload, second.RecoveryPoint, source, TestVolumes.Ext4);
    }

    [Fact]
    public async Task IncludeRulesOrChangedExcludeRules_CompareEverything()
    {
        var source = volumes.NewFolder(TestVolumes.Ext4, "rules");
        BuildTree(source, folders: 2, filesPerFolder: 2);
        var workload = await StartAsync();
        var engine = new ProtectionEngine(_pool.Pool, NullLogger<ProtectionEngine>.Instance);
        SynchronizationRequest Request(RecoveryPointManifest? previous, string[] exclude, string[] include) => new()
        {
            PluginId = "Dpm.Workloads.Files",
            DataSource = TestHost.Folder(source),
            Previous = previous,
            Options = new Contracts.Workloads.ProtectionSessionOptions { Exclude = exclude, Include = include },
        };

        var first = await engine.SynchronizeAsync(workload, Request(null, [], []), null, CancellationToken.None);
        var excluded = await engine.SynchronizeAsync(workload, Request(first.RecoveryPoint, ["folder-01"], []), null, CancellationToken.None);
        var included = await engine.SynchronizeAsync(workload, Request(excluded.RecoveryPoint, [], ["folder-00"]), null, CancellationToken.None);

        Assert.Equal("the include and exclude rules changed", excluded.FullEnumerationReason);
        Assert.DoesNotContain(excluded.RecoveryPoint.Items, i => i.Item.Path.StartsWith("folder-01", StringComparison.Ordinal));
        Assert.Equal("include rules are applied by walking the whole tree", included.FullEnumerationReason);
    }
}

using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Discovery;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

[Collection(VolumesGroup.Name)]
public sealed class DiscoveryTests(TestVolumes volumes)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task DiscoverDataSources_TopLevel_ListsMountedDataVolumesAndNoPseudoFileSystems()
    {
        var workload = await TestHost.StartWorkloadAsync();

        var sources = await ToListAsync(workload.DiscoverDataSourcesAsync(null, None));

        var ext4 = Assert.Single(sources, s => s.Location == volumes[TestVolumes.Ext4].MountPoint);
        Assert.Equal("volume:" + volumes[TestVolumes.Ext4].MountPoint, ext4.Id);
        Assert.Equal("Volume", ext4.Kind);
        Assert.True(ext4.HasChildren);
        Assert.Equal("ext4", ext4.Facts["fileSystem"]);
        Assert.StartsWith("/dev/loop", ext4.Facts["device"], StringComparison.Ordinal);
        Assert.True(ext4.SizeBytes > 0);
        Assert.Contains(sources, s => s.Id == "volume:/");
        Assert.DoesNotContain(sources, s => s.Facts["fileSystem"] is "proc" or "sysfs" or "tmpfs" or "devtmpfs" or "cgroup" or "cgroup2" or "devpts");
        Assert.DoesNotContain(sources, s => s.Location!.StartsWith("/proc", StringComparison.Ordinal) || s.Location.StartsWith("/sys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DiscoverDataSources_ConfiguredRootsAndFileSystemTypes_AreListed()
    {
        var root = volumes.NewFolder(name: "configured");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        var tmpfs = Directory.CreateDirectory(Path.Combine(volumes.BaseFolder, "tmpfs-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        Shell.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tmpfs);
        try
        {
            var (workload, _) = await TestHost.StartAsync(new Dictionary<string, string?>
            {
                ["Roots:0"] = root,
                ["Roots:1"] = "/does/not/exist",
                ["FileSystemTypes:0"] = "tmpfs",
            });
            var (plain, _) = await TestHost.StartAsync();

            var sources = await ToListAsync(workload.DiscoverDataSourcesAsync(null, None));
            var plainSources = await ToListAsync(plain.DiscoverDataSourcesAsync(null, None));

            var configured = Assert.Single(sources, s => s.Id == "folder:" + root);
            Assert.Equal("Folder", configured.Kind);
            Assert.True(configured.HasChildren);
            Assert.DoesNotContain(sources, s => s.Id == "folder:/does/not/exist");
            Assert.Contains(sources, s => s.Id == "volume:" + tmpfs && s.Facts["fileSystem"] == "tmpfs");
            Assert.DoesNotContain(plainSources, s => s.Id == "volume:" + tmpfs);
        }
        finally
        {
            Shell.Run("umount", tmpfs);
        }
    }

    [Fact]
    public async Task InitializeAsync_RelativeRoot_FailsWithTheKeyInTheMessage()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestHost.StartAsync(new Dictionary<string, string?> { ["Roots:0"] = "relative/path" }));

        Assert.Contains("Roots:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiscoverDataSources_WithParent_ListsRealSubfoldersOneLevelDown()
    {
        var folder = volumes.NewFolder();
        Directory.CreateDirectory(Path.Combine(folder, "b", "inner"));
        Directory.CreateDirectory(Path.Combine(folder, "a b"));
        File.WriteAllText(Path.Combine(folder, "a b", "file"), "");
        File.WriteAllText(Path.Combine(folder, "file"), "");
        File.CreateSymbolicLink(Path.Combine(folder, "link"), Path.Combine(folder, "b"));
        var workload = await TestHost.StartWorkloadAsync();
        var parent = TestHost.Folder(folder);

        var children = await ToListAsync(workload.DiscoverDataSourcesAsync(parent, None));

        Assert.Equal(["a b", "b"], children.Select(c => c.Name));
        Assert.Equal("folder:" + folder + "/b", children[1].Id);
        Assert.Equal(folder + "/b", children[1].Location);
        Assert.Equal(parent.Id, children[1].ParentId);
        Assert.Equal("Folder", children[1].Kind);
        Assert.True(children[1].HasChildren);
        Assert.False(children[0].HasChildren);
    }

    [Fact]
    public void MountTable_EscapedAndStackedMounts_AreReadAsTheKernelMeansThem()
    {
        var mounts = MountTable.Parse(
        [
            @"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            @"40 27 7:1 / /srv/my\040data rw,relatime shared:5 master:1 - xfs /dev/loop1 rw",
            @"41 27 0:50 / /srv/stacked rw - ext4 /dev/loop2 rw",
            @"42 41 0:51 / /srv/stacked rw - btrfs /dev/loop3 rw",
            @"43 27 0:22 / /proc rw - proc proc rw",
            @"44 27 0:23 / /run/user/0 rw - ext4 /dev/loop4 rw",
            @"45 27 0:24 / /dev/shm rw - tmpfs tmpfs rw",
            "not a mountinfo line",
        ]);

        var volumes = MountTable.DataVolumes(mounts, new HashSet<string>());

        Assert.Equal(["/", "/srv/my data", "/srv/stacked"], volumes.Select(v => v.MountPoint));
        Assert.Equal("xfs", volumes[1].FileSystemType);
        Assert.Equal("/dev/loop1", volumes[1].Device);
        Assert.Equal("btrfs", volumes[2].FileSystemType);
    }

    private static async Task<List<DataSource>> ToListAsync(IAsyncEnumerable<DataSource> sources)
    {
        var list = new List<DataSource>();
        await foreach (var source in sources)
        {
            list.Add(source);
        }

        return list;
    }
}

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>A file system made in an image file and loop-mounted for the tests.</summary>
public sealed class LoopVolume : IDisposable
{
    private readonly string _image;

    private LoopVolume(string fileSystem, string image, string mountPoint)
    {
        FileSystem = fileSystem;
        _image = image;
        MountPoint = mountPoint;
    }

    public string FileSystem { get; }

    public string MountPoint { get; }

    public static LoopVolume Create(string baseFolder, string fileSystem, long sizeBytes, params string[] mkfsArgs)
    {
        var image = Path.Combine(baseFolder, fileSystem + ".img");
        var mountPoint = Path.Combine(baseFolder, fileSystem);
        Directory.CreateDirectory(mountPoint);
        using (var file = File.Create(image))
        {
            file.SetLength(sizeBytes);
        }

        Shell.Run("mkfs." + fileSystem, [.. mkfsArgs, image]);
        Shell.Run("mount", "-o", "loop", image, mountPoint);
        return new LoopVolume(fileSystem, image, mountPoint);
    }

    public void Dispose()
    {
        if (Shell.TryRun("umount", MountPoint).ExitCode != 0)
        {
            Shell.TryRun("umount", "-l", MountPoint);
        }

        File.Delete(_image);
    }
}

/// <summary>
/// The volumes every test works on: a real ext4 loop volume, and a btrfs one when mkfs.btrfs is installed.
/// Shared by all test classes (one collection), torn down when the tests end.
/// </summary>
public sealed class TestVolumes : IDisposable
{
    public const string Ext4 = "ext4";
    public const string Btrfs = "btrfs";
    private readonly Dictionary<string, LoopVolume> _volumes = new(StringComparer.Ordinal);

    public TestVolumes()
    {
        BaseFolder = Path.Combine(Path.GetTempPath(), "dpm-files-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(BaseFolder);
        try
        {
            _volumes[Ext4] = LoopVolume.Create(BaseFolder, Ext4, 768L << 20, "-q", "-F");
            if (BtrfsAvailable)
            {
                _volumes[Btrfs] = LoopVolume.Create(BaseFolder, Btrfs, 512L << 20, "-q", "-f");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The file systems to run the round trips on.</summary>
    public static TheoryData<string> FileSystems
    {
        get
        {
            var data = new TheoryData<string> { Ext4 };
            if (BtrfsAvailable)
            {
                data.Add(Btrfs);
            }

            return data;
        }
    }

    public static bool BtrfsAvailable => Shell.Exists("mkfs.btrfs");

    public string BaseFolder { get; }

    public LoopVolume this[string fileSystem] => _volumes[fileSystem];

    /// <summary>A new empty folder on the volume, for one test.</summary>
    public string NewFolder(string fileSystem = Ext4, string? name = null)
    {
        var path = Path.Combine(_volumes[fileSystem].MountPoint, (name ?? "t") + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A folder outside every test volume, to prove that nothing is written there.</summary>
    public string NewOutsideFolder()
    {
        var path = Path.Combine(BaseFolder, "outside-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var volume in _volumes.Values)
        {
            volume.Dispose();
        }

        _volumes.Clear();
        try
        {
            Directory.Delete(BaseFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class VolumesGroup : ICollectionFixture<TestVolumes>
{
    public const string Name = "loop volumes";
}

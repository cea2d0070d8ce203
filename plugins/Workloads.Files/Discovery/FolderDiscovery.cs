using System.Runtime.CompilerServices;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Dpm.Workloads.Files.Protection;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Discovery;

/// <summary>Finds the volumes and folders an operator can protect.</summary>
internal sealed class FolderDiscovery(FilesWorkloadOptions options, ILogger logger)
{
    /// <summary>The mounted volumes that hold data, then the configured roots.</summary>
    public async IAsyncEnumerable<DataSource> TopLevelAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var volume in MountTable.DataVolumes(MountTable.Read(), options.ExtraFileSystemTypes))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new DataSource
            {
                Id = DataSourcePaths.VolumeId(volume.MountPoint),
                Name = volume.MountPoint,
                Kind = "Volume",
                Location = volume.MountPoint,
                HasChildren = true,
                SizeBytes = UsedBytes(volume.MountPoint),
                Facts = new Dictionary<string, string>
                {
                    ["fileSystem"] = volume.FileSystemType,
                    ["device"] = volume.Device,
                },
            };
        }

        foreach (var root in options.Roots)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Posix.TryStatPath(root, followLinks: true, out var stat, out var errno) || !stat.IsDirectory)
            {
                FilesLog.RootUnavailable(logger, root, errno != 0 ? Posix.Describe(errno) : "it is not a folder");
                continue;
            }

            yield return new DataSource
            {
                Id = DataSourcePaths.FolderId(root),
                Name = root,
                Kind = "Folder",
                Location = root,
                HasChildren = HasSubfolder(root, null),
                Facts = new Dictionary<string, string> { ["configured"] = "true" },
            };
        }
    }

    /// <summary>The sub-folders of a volume or folder, one level down, in name order.</summary>
    public async IAsyncEnumerable<DataSource> ChildrenAsync(DataSource parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!DataSourcePaths.TryResolve(parent, out var path, out var error))
        {
            throw new ArgumentException(error, nameof(parent));
        }

        using var directory = Posix.TryOpenDirectory(path, out var errno);
        if (directory is null)
        {
            FilesLog.DiscoveryFailed(logger, path, Posix.Describe(errno));
            yield break;
        }

        var names = new List<string>();
        foreach (var entry in Posix.ReadDirectory(directory))
        {
            var name = TreeWalker.Decode(entry.Name);
            if (name is not null && (entry.Type is DirectoryEntry.TypeDirectory or DirectoryEntry.TypeUnknown))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Posix.TryStat(directory, name, out var stat, out _) || !stat.IsDirectory)
            {
                continue; // gone, or not a real folder (links to folders are not followed)
            }

            var childPath = path == "/" ? "/" + name : path + "/" + name;
            yield return new DataSource
            {
                Id = DataSourcePaths.FolderId(childPath),
                Name = name,
                Kind = "Folder",
                Location = childPath,
                ParentId = parent.Id,
                HasChildren = HasSubfolder(name, directory),
            };
        }
    }

    /// <summary>Whether a folder holds at least one real sub-folder.</summary>
    private static bool HasSubfolder(string path, Microsoft.Win32.SafeHandles.SafeFileHandle? parent)
    {
        using var directory = parent is null ? Posix.TryOpenDirectory(path, out _) : Posix.TryOpenDirectoryNoFollow(parent, path, out _);
        if (directory is null)
        {
            return false;
        }

        foreach (var entry in Posix.ReadDirectory(directory))
        {
            if (entry.Type == DirectoryEntry.TypeDirectory)
            {
                return true;
            }

            if (entry.Type == DirectoryEntry.TypeUnknown && TreeWalker.Decode(entry.Name) is { } name
                && Posix.TryStat(directory, name, out var stat, out _) && stat.IsDirectory)
            {
                return true;
            }
        }

        return false;
    }

    private static long? UsedBytes(string mountPoint)
    {
        try
        {
            var drive = new DriveInfo(mountPoint);
            return drive.TotalSize - drive.TotalFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}

using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Files;

/// <summary>
/// Data source ids: <c>volume:&lt;mount point&gt;</c> and <c>folder:&lt;absolute path&gt;</c>. Any absolute folder is
/// a valid data source, listed by discovery or not.
/// </summary>
internal static class DataSourcePaths
{
    public const string VolumePrefix = "volume:";
    public const string FolderPrefix = "folder:";

    public static string VolumeId(string mountPoint) => VolumePrefix + mountPoint;

    public static string FolderId(string path) => FolderPrefix + path;

    /// <summary>The folder a data source stands for, or why it stands for none.</summary>
    public static bool TryResolve(DataSource dataSource, out string path, out string error)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var id = dataSource.Id ?? "";
        var candidate = id.StartsWith(VolumePrefix, StringComparison.Ordinal) ? id[VolumePrefix.Length..]
            : id.StartsWith(FolderPrefix, StringComparison.Ordinal) ? id[FolderPrefix.Length..]
            : dataSource.Location;
        path = "";
        if (string.IsNullOrEmpty(candidate) || candidate.Contains('\0', StringComparison.Ordinal) || !Path.IsPathFullyQualified(candidate))
        {
            error = $"data source '{id}' is not a File workload data source: its id must be 'folder:<absolute path>' or 'volume:<mount point>'";
            return false;
        }

        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(candidate));
        error = "";
        return true;
    }
}

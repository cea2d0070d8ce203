using Dpm.Contracts.Workloads;

namespace Dpm.Protection;

/// <summary>What a data source id says by itself (<c>folder:/srv/data</c>, <c>volume:/</c>): its plugin, name and path.</summary>
public static class DataSourceIds
{
    public const string FilesPlugin = "Dpm.Workloads.Files";

    /// <summary>The workload plugin that protects a data source when none is named: the file workload for folders and volumes.</summary>
    public static string? DefaultPlugin(string dataSourceId) =>
        dataSourceId.StartsWith("folder:", StringComparison.Ordinal) || dataSourceId.StartsWith("volume:", StringComparison.Ordinal) ? FilesPlugin : null;

    /// <summary>A data source's display name: the last part of its path, or its id.</summary>
    public static string NameOf(string dataSourceId) =>
        PathOf(dataSourceId) is { } path ? Path.GetFileName(path.TrimEnd('/')) is { Length: > 0 } name ? name : path : dataSourceId;

    /// <summary>The absolute path a folder or volume data source names, or null.</summary>
    public static string? PathOf(string dataSourceId)
    {
        ArgumentNullException.ThrowIfNull(dataSourceId);
        var colon = dataSourceId.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && dataSourceId[(colon + 1)..].StartsWith('/') ? dataSourceId[(colon + 1)..] : null;
    }

    /// <summary>The data source an id names, as far as the id tells.</summary>
    public static DataSource ToDataSource(string dataSourceId) => new()
    {
        Id = dataSourceId,
        Name = NameOf(dataSourceId),
        Kind = dataSourceId.StartsWith("volume:", StringComparison.Ordinal) ? "Volume" : "Folder",
        Location = PathOf(dataSourceId),
    };
}

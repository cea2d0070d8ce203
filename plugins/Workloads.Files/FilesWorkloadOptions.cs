using Microsoft.Extensions.Configuration;

namespace Dpm.Workloads.Files;

/// <summary>
/// The plugin's configuration (section <c>Plugins:Dpm.Workloads.Files</c>), read by hand because the host
/// shares only the configuration abstractions:
/// <c>Roots:0</c>, <c>Roots:1</c>... extra folders to list as top-level data sources (absolute paths);
/// <c>FileSystemTypes:0</c>... file system types to list as volumes although they are skipped by default
/// (for example <c>tmpfs</c>); <c>Snapshots</c>: <c>auto</c> (default: a btrfs read-only snapshot where the
/// data source is on btrfs) or <c>none</c> (always read live).
/// </summary>
internal sealed record FilesWorkloadOptions
{
    public IReadOnlyList<string> Roots { get; init; } = [];

    public IReadOnlySet<string> ExtraFileSystemTypes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether to take btrfs snapshots where possible.</summary>
    public bool UseSnapshots { get; init; } = true;

    /// <summary>Reads and checks the options; a wrong value fails with a message that names the key.</summary>
    public static FilesWorkloadOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var roots = new List<string>();
        foreach (var (key, value) in ReadList(configuration, "Roots"))
        {
            if (!Path.IsPathFullyQualified(value))
            {
                throw new InvalidOperationException($"Configuration key {key} must be an absolute folder path, but is '{value}'.");
            }

            roots.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(value)));
        }

        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in ReadList(configuration, "FileSystemTypes"))
        {
            if (value.Length == 0 || value.Any(char.IsWhiteSpace))
            {
                throw new InvalidOperationException($"Configuration key {key} must be a file system type such as 'tmpfs', but is '{value}'.");
            }

            types.Add(value);
        }

        var snapshots = configuration["Snapshots"]?.Trim() ?? "auto";
        if (snapshots is not ("auto" or "none"))
        {
            throw new InvalidOperationException($"Configuration key Snapshots must be 'auto' or 'none', but is '{snapshots}'.");
        }

        return new FilesWorkloadOptions { Roots = roots, ExtraFileSystemTypes = types, UseSnapshots = snapshots == "auto" };
    }

    private static IEnumerable<(string Key, string Value)> ReadList(IConfiguration configuration, string name)
    {
        for (var i = 0; ; i++)
        {
            var key = $"{name}:{i}";
            var value = configuration[key];
            if (value is null)
            {
                yield break;
            }

            yield return (key, value.Trim());
        }
    }
}

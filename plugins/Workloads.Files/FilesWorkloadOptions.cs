using Microsoft.Extensions.Configuration;

namespace Dpm.Workloads.Files;

/// <summary>
/// The plugin's configuration (section <c>Plugins:Dpm.Workloads.Files</c>), read by hand because the host
/// shares only the configuration abstractions:
/// <c>Roots:0</c>, <c>Roots:1</c>... extra folders to list as top-level data sources (absolute paths);
/// <c>FileSystemTypes:0</c>... file system types to list as volumes although they are skipped by default
/// (for example <c>tmpfs</c>); <c>Snapshots</c>: <c>auto</c> (default: a btrfs read-only snapshot where the
/// data source is on btrfs) or <c>none</c> (always read live); <c>ChangeJournal</c>: <c>auto</c> (default: watch
/// each protected tree with inotify between synchronizations) or <c>none</c> (compare every item each time);
/// <c>ChangeJournalCapacity</c>: how many changed paths a journal remembers before it counts as overflowed
/// (default 1,000,000).
/// </summary>
internal sealed record FilesWorkloadOptions
{
    public IReadOnlyList<string> Roots { get; init; } = [];

    public IReadOnlySet<string> ExtraFileSystemTypes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether to take btrfs snapshots where possible.</summary>
    public bool UseSnapshots { get; init; } = true;

    /// <summary>Whether to keep a change journal of each protected tree.</summary>
    public bool UseChangeJournal { get; init; } = true;

    /// <summary>How many changed paths a journal remembers between synchronizations.</summary>
    public int ChangeJournalCapacity { get; init; } = 1_000_000;

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

        var journal = configuration["ChangeJournal"]?.Trim() ?? "auto";
        if (journal is not ("auto" or "none"))
        {
            throw new InvalidOperationException($"Configuration key ChangeJournal must be 'auto' or 'none', but is '{journal}'.");
        }

        var capacityText = configuration["ChangeJournalCapacity"]?.Trim();
        var capacity = 1_000_000;
        if (capacityText is not null && (!int.TryParse(capacityText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out capacity) || capacity < 1))
        {
            throw new InvalidOperationException($"Configuration key ChangeJournalCapacity must be a whole number of paths above 0, but is '{capacityText}'.");
        }

        return new FilesWorkloadOptions
        {
            Roots = roots,
            ExtraFileSystemTypes = types,
            UseSnapshots = snapshots == "auto",
            UseChangeJournal = journal == "auto",
            ChangeJournalCapacity = capacity,
        };
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

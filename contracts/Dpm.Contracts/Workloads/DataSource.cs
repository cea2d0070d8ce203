namespace Dpm.Contracts.Workloads;

/// <summary>
/// One protectable unit a workload plugin discovers: a volume, a folder, a database, a mail store, a virtual
/// machine. Data sources form a tree; <see cref="HasChildren"/> says whether the plugin can list more below.
/// </summary>
public sealed record DataSource
{
    /// <summary>Stable id, unique for this plugin on this computer (for example <c>folder:/srv/data</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Name shown to operators.</summary>
    public required string Name { get; init; }

    /// <summary>The workload's word for what this is (<c>Volume</c>, <c>Folder</c>, <c>Database</c>...).</summary>
    public required string Kind { get; init; }

    /// <summary>Where it lives: a path, an instance name, a connection target without credentials.</summary>
    public string? Location { get; init; }

    /// <summary>Id of the parent data source, or null at the top.</summary>
    public string? ParentId { get; init; }

    /// <summary>Whether discovery below this data source can find children.</summary>
    public bool HasChildren { get; init; }

    /// <summary>Whether it can be added to a protection group itself (a server instance may only group its databases).</summary>
    public bool IsProtectable { get; init; } = true;

    /// <summary>Size in bytes when the plugin knows it cheaply.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>Descriptive facts worth showing (file system type, engine version). Not options.</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();
}

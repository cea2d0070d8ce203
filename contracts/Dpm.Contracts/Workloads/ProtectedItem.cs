namespace Dpm.Contracts.Workloads;

/// <summary>What kind of item a data source holds.</summary>
public enum ProtectedItemKind
{
    /// <summary>A regular file or any other stream of bytes.</summary>
    File = 1,

    /// <summary>A folder.</summary>
    Directory = 2,

    /// <summary>A symbolic link; its target is in <see cref="ItemMetadata.LinkTarget"/>.</summary>
    SymbolicLink = 3,

    /// <summary>A log segment (transaction log, write-ahead log) shipped by an incremental synchronization.</summary>
    Log = 4,
}

/// <summary>An item inside a data source: a file, folder, database file, log segment.</summary>
public sealed record ProtectedItem
{
    /// <summary>Path inside the data source, '/'-separated, without a leading '/'; "" is the data source root.</summary>
    public required string Path { get; init; }

    /// <summary>What the item is.</summary>
    public required ProtectedItemKind Kind { get; init; }

    /// <summary>Length of the item's data in bytes (0 for folders and links).</summary>
    public long Length { get; init; }

    /// <summary>Last time the item's data was written.</summary>
    public DateTimeOffset? LastWriteTime { get; init; }

    /// <summary>Metadata to keep and restore with the item, when the workload has any.</summary>
    public ItemMetadata? Metadata { get; init; }
}

/// <summary>Metadata of an item, kept in the recovery point and restored with it.</summary>
public sealed record ItemMetadata
{
    /// <summary>POSIX permission bits and file type bits.</summary>
    public int? Mode { get; init; }

    /// <summary>Owner user id.</summary>
    public long? OwnerId { get; init; }

    /// <summary>Owner group id.</summary>
    public long? GroupId { get; init; }

    /// <summary>Owner user name, when it resolves.</summary>
    public string? OwnerName { get; init; }

    /// <summary>Owner group name, when it resolves.</summary>
    public string? GroupName { get; init; }

    /// <summary>Last access time.</summary>
    public DateTimeOffset? LastAccessTime { get; init; }

    /// <summary>Last status change time.</summary>
    public DateTimeOffset? ChangeTime { get; init; }

    /// <summary>Creation (birth) time.</summary>
    public DateTimeOffset? CreationTime { get; init; }

    /// <summary>Target of a symbolic link.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>Identity shared by hard links to the same data (device and inode), or null.</summary>
    public string? HardLinkKey { get; init; }

    /// <summary>Extended attributes (including POSIX ACLs as <c>system.posix_acl_*</c>), name → raw value.</summary>
    public IReadOnlyDictionary<string, byte[]>? ExtendedAttributes { get; init; }

    /// <summary>Ranges that hold data in a sparse item; null when the item is not sparse.</summary>
    public IReadOnlyList<ByteRange>? DataRanges { get; init; }
}

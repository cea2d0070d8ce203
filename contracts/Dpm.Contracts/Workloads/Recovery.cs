namespace Dpm.Contracts.Workloads;

/// <summary>What kind of synchronization made a recovery point.</summary>
public enum RecoveryPointKind
{
    /// <summary>A full point in time (replica creation or express full).</summary>
    ExpressFull = 1,

    /// <summary>Logs on top of an earlier express full.</summary>
    Incremental = 2,
}

/// <summary>Describes a recovery point a plugin recovers from.</summary>
/// <param name="Id">The recovery point's id in the storage pool.</param>
/// <param name="CreatedAt">The point in time the recovery point represents.</param>
/// <param name="Kind">Express full or incremental.</param>
/// <param name="Consistency">How consistent its data is.</param>
public sealed record RecoveryPointInfo(string Id, DateTimeOffset CreatedAt, RecoveryPointKind Kind, SnapshotConsistency Consistency);

/// <summary>
/// A recovery point as the host presents it to a plugin for browsing and recovery. Implemented by the host;
/// the items are the ones the plugin produced when it protected the data source.
/// </summary>
public interface IRecoverySource
{
    /// <summary>The protected data source.</summary>
    DataSource DataSource { get; }

    /// <summary>The recovery point being read. For point-in-time recovery it is the newest one needed.</summary>
    RecoveryPointInfo RecoveryPoint { get; }

    /// <summary>
    /// The earlier recovery points this one depends on, oldest first (for an incremental: the express full
    /// and the incrementals after it). Empty for an express full.
    /// </summary>
    IReadOnlyList<RecoveryPointInfo> Chain { get; }

    /// <summary>Lists the items whose path starts with <paramref name="pathPrefix"/> ("" for all), in path order.</summary>
    IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, CancellationToken cancellationToken);

    /// <summary>One item, or null when the recovery point has no item at <paramref name="path"/>.</summary>
    ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens an item's data for reading, or null when the recovery point has no such item.</summary>
    ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken);
}

/// <summary>An item an operator can pick for recovery.</summary>
/// <param name="Path">Path inside the data source.</param>
/// <param name="Name">Name shown to operators.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="HasChildren">Whether browsing can go below it.</param>
/// <param name="LastWriteTime">When it was last written before the recovery point, if known.</param>
public sealed record RecoverableItem(string Path, string Name, ProtectedItemKind Kind, long Length, bool HasChildren, DateTimeOffset? LastWriteTime);

/// <summary>Where recovered data goes.</summary>
public enum RecoveryDestination
{
    /// <summary>Back where it was protected from.</summary>
    OriginalLocation = 1,

    /// <summary>To another place where the workload can use it (another folder, instance or port).</summary>
    AlternateLocation = 2,

    /// <summary>As plain files into a folder, for an operator to take from there.</summary>
    CopyToFolder = 3,
}

/// <summary>The destination of a recovery.</summary>
/// <param name="Destination">Original, alternate or copy to folder.</param>
/// <param name="Path">The folder, data directory or instance for alternate and copy destinations.</param>
/// <param name="Computer">The computer to recover to, when it is not the one protected.</param>
public sealed record RecoveryTarget(RecoveryDestination Destination, string? Path = null, string? Computer = null)
{
    /// <summary>Recover to the original location.</summary>
    public static RecoveryTarget Original { get; } = new(RecoveryDestination.OriginalLocation);

    /// <summary>Recover to an alternate location.</summary>
    public static RecoveryTarget Alternate(string path, string? computer = null) => new(RecoveryDestination.AlternateLocation, path, computer);

    /// <summary>Copy the recovered files into a folder.</summary>
    public static RecoveryTarget CopyTo(string folder, string? computer = null) => new(RecoveryDestination.CopyToFolder, folder, computer);
}

/// <summary>What to do when a recovered item already exists at the destination.</summary>
public enum ExistingItemBehaviour
{
    /// <summary>Replace it.</summary>
    Overwrite = 1,

    /// <summary>Leave it and skip the recovered one.</summary>
    Skip = 2,

    /// <summary>Keep it and recover the item beside it under a new name.</summary>
    KeepBoth = 3,
}

/// <summary>Options of a recovery. Each workload says in its README which ones apply to it.</summary>
public sealed record RecoveryOptions
{
    /// <summary>What to do with items that already exist.</summary>
    public ExistingItemBehaviour ExistingItems { get; init; } = ExistingItemBehaviour.Overwrite;

    /// <summary>Restore owners, permissions, ACLs and extended attributes.</summary>
    public bool RestoreSecurity { get; init; } = true;

    /// <summary>For log-based workloads: recover to this time within the recovery point's logs.</summary>
    public DateTimeOffset? PointInTime { get; init; }

    /// <summary>For application workloads: leave the recovered application ready to apply more logs.</summary>
    public bool LeaveNonOperational { get; init; }
}

/// <summary>A recovery of a whole data source.</summary>
public record RecoveryRequest
{
    /// <summary>Where to recover to.</summary>
    public required RecoveryTarget Target { get; init; }

    /// <summary>How to recover.</summary>
    public RecoveryOptions Options { get; init; } = new();
}

/// <summary>A recovery of chosen items (see <see cref="Spi.IItemLevelRecovery"/>).</summary>
public sealed record ItemRecoveryRequest : RecoveryRequest
{
    /// <summary>Paths of the items to recover; a folder recovers everything below it.</summary>
    public required IReadOnlyList<string> Items { get; init; }
}

/// <summary>How a recovery ended.</summary>
public enum RecoveryOutcome
{
    /// <summary>Everything asked for was recovered.</summary>
    Succeeded = 1,

    /// <summary>Some items were recovered and some were not; see <see cref="RecoveryResult.Failures"/>.</summary>
    PartiallySucceeded = 2,

    /// <summary>Nothing was recovered.</summary>
    Failed = 3,
}

/// <summary>An item that was not recovered, and why.</summary>
/// <param name="Path">The item's path.</param>
/// <param name="Reason">Why, in words an operator can act on.</param>
public sealed record ItemFailure(string Path, string Reason);

/// <summary>The result of a recovery.</summary>
public sealed record RecoveryResult
{
    /// <summary>How it ended.</summary>
    public required RecoveryOutcome Outcome { get; init; }

    /// <summary>Items written.</summary>
    public long ItemsRecovered { get; init; }

    /// <summary>Items left alone because they existed (<see cref="ExistingItemBehaviour.Skip"/>).</summary>
    public long ItemsSkipped { get; init; }

    /// <summary>Bytes written.</summary>
    public long BytesRecovered { get; init; }

    /// <summary>Items that failed.</summary>
    public IReadOnlyList<ItemFailure> Failures { get; init; } = [];

    /// <summary>Where the data went, in words (a folder, a port).</summary>
    public string? RecoveredTo { get; init; }
}

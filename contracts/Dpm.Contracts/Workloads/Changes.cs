namespace Dpm.Contracts.Workloads;

/// <summary>
/// An opaque position in a data source's history that a plugin hands out with a snapshot and gets back at the
/// next synchronization: a btrfs generation, a journal cursor, a log sequence number. The host stores it and
/// never looks inside.
/// </summary>
/// <param name="Value">The plugin's encoding of the position.</param>
public sealed record ChangeToken(string Value);

/// <summary>How an item changed since the previous synchronization.</summary>
public enum ChangeKind
{
    /// <summary>The item is new, or the enumeration is full and lists every item.</summary>
    Added = 1,

    /// <summary>The item's data (and maybe its metadata) changed.</summary>
    Modified = 2,

    /// <summary>Only the item's metadata changed.</summary>
    MetadataChanged = 3,

    /// <summary>
    /// The item is gone, and with a folder everything below it, except what the same enumeration lists again
    /// after it (a folder replaced or moved is reported gone, then listed as it is now).
    /// </summary>
    Deleted = 4,
}

/// <summary>One item's change.</summary>
/// <param name="Item">The item as it is now (for <see cref="ChangeKind.Deleted"/>, as it was).</param>
/// <param name="Kind">How it changed.</param>
public sealed record ItemChange(ProtectedItem Item, ChangeKind Kind);

/// <summary>The changes in a snapshot since a change token.</summary>
public sealed record ChangeEnumeration
{
    /// <summary>
    /// True when the plugin lists every item (as <see cref="ChangeKind.Added"/>) instead of changes: the first
    /// synchronization, or a token it can no longer follow. The host then compares with the replica itself.
    /// </summary>
    public required bool IsFull { get; init; }

    /// <summary>Why the enumeration is full although a token was given (journal overflow, agent restart...).</summary>
    public string? FullEnumerationReason { get; init; }

    /// <summary>
    /// True when the plugin lost track of changes it should have seen (its journal overflowed, the agent
    /// restarted): the replica may be inconsistent in ways the metadata alone doesn't show, so the host runs a
    /// consistency check instead of a plain synchronization. Comes with <see cref="IsFull"/> and a reason.
    /// </summary>
    public bool ReplicaInconsistent { get; init; }

    /// <summary>The changes, or every item when <see cref="IsFull"/>.</summary>
    public required IAsyncEnumerable<ItemChange> Changes { get; init; }
}

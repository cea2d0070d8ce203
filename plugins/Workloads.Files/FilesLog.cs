using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files;

/// <summary>The File workload's log lines (event ids 3000-3099).</summary>
internal static partial class FilesLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "File workload ready: {RootCount} configured roots, extra file system types [{FileSystemTypes}]")]
    public static partial void Ready(ILogger logger, int rootCount, IEnumerable<string> fileSystemTypes);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Configured root {Root} is not listed: {Reason}")]
    public static partial void RootUnavailable(ILogger logger, string root, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Could not list the folders in {Folder}: {Reason}")]
    public static partial void DiscoveryFailed(ILogger logger, string folder, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Snapshot of {Root} at {TakenAt:o}: no point-in-time image here, items are read live with torn-read detection")]
    public static partial void LiveSnapshot(ILogger logger, string root, DateTimeOffset takenAt);

    [LoggerMessage(EventId = 3019, Level = LogLevel.Information, Message = "Snapshot of {Root}: btrfs read-only snapshot {Snapshot} at generation {Generation}")]
    public static partial void BtrfsSnapshot(ILogger logger, string root, string snapshot, long generation);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Enumerated {Items} items under {Root}; left out {Special} sockets, FIFOs and devices, {Mounts} other mounts, {Unreadable} unreadable items")]
    public static partial void Enumerated(ILogger logger, string root, long items, long special, long mounts, long unreadable);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Not crossing into the file system mounted at {Path}")]
    public static partial void OtherMount(ILogger logger, LogPath path);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Left out {Path}: {Reason}")]
    public static partial void Unreadable(ILogger logger, LogPath path, string reason);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "{Path} changed while it was read: {Detail}")]
    public static partial void ChangedWhileRead(ILogger logger, LogPath path, string detail);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Change journal {Epoch} of {Root} started: {Folders} folders watched")]
    public static partial void JournalStarted(ILogger logger, string root, int folders, string epoch);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning, Message = "Change journal of {Root} lost: {Reason}; the next synchronization compares everything and checks the replica's consistency")]
    public static partial void JournalLost(ILogger logger, string root, string reason);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Information, Message = "Changes in {Root} from the change journal: {Paths} changed paths, {Subtrees} of them whole folders")]
    public static partial void JournalChanges(ILogger logger, string root, int paths, int subtrees);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Recovery to {Target}: {Recovered} items recovered, {Skipped} skipped, {Failed} failed, {Bytes} bytes written")]
    public static partial void Recovered(ILogger logger, string target, long recovered, long skipped, int failed, long bytes);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "Item {Path} not recovered: {Reason}")]
    public static partial void ItemFailed(ILogger logger, LogPath path, string reason);
}

/// <summary>An item path in a log line, with control characters escaped when (and only when) the line is written.</summary>
internal readonly record struct LogPath(string Path)
{
    public override string ToString() => ItemPaths.Printable(Path);
}

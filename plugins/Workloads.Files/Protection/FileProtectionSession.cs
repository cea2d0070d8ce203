using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// Protecting work on one folder or volume. On btrfs the snapshot is a read-only btrfs snapshot of the
/// subvolume (crash-consistent, with changed extents); elsewhere it reads the live tree, checking every file
/// after it was read. File writers can't be frozen either way.
/// </summary>
internal sealed class FileProtectionSession(
    DataSource dataSource,
    string root,
    PathFilter filter,
    IReadOnlyList<string> exclude,
    bool useSnapshots,
    ChangeJournals? journals,
    AccountNames accounts,
    TimeProvider timeProvider,
    ILogger logger) : IProtectionSession
{
    private readonly bool _btrfs = useSnapshots && Btrfs.IsAvailable(root) && !Btrfs.HasNestedSubvolume(root);

    public DataSource DataSource { get; } = dataSource;

    public ValueTask PrepareAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(FreezeOutcome.NotSupported(_btrfs
            ? $"'{root}' is on btrfs: a read-only snapshot gives a crash-consistent point in time, but file writers can't be frozen"
            : $"'{root}' is read live: file writers can't be frozen and no snapshot of its file system is taken; every file is checked for changes after it is read"));

    public ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IDataSourceSnapshot>(_btrfs ? TakeBtrfsSnapshot() : TakeLiveSnapshot());
    }

    private BtrfsSnapshot TakeBtrfsSnapshot()
    {
        var subvolume = Btrfs.SubvolumeOf(root);
        var inSubvolume = Path.GetRelativePath(subvolume, root) is "." ? "" : Path.GetRelativePath(subvolume, root);
        var prefix = $"dpm-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(DataSource.Id)).AsSpan(0, 6))}-";
        Btrfs.DeleteLeftovers(subvolume, prefix);
        var (journal, noJournal) = CutJournal(inSubvolume.Length == 0 ? Btrfs.SnapshotFolder : null);
        var takenAt = timeProvider.GetUtcNow();
        var snapshot = Btrfs.Snapshot(subvolume, prefix + takenAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var generation = Btrfs.Generation(snapshot);
            var snapshotRoot = inSubvolume.Length == 0 ? snapshot : Path.Combine(snapshot, inSubvolume);
            var directory = Posix.TryOpenDirectory(snapshotRoot, out var errno)
                ?? throw new DirectoryNotFoundException($"The snapshot '{snapshotRoot}' of data source {DataSource.Id} can't be opened: {Posix.Describe(errno)}");

            // At the top of the subvolume, the snapshots' own folder is not data.
            var treeFilter = inSubvolume.Length == 0 ? new PathFilter(filter.IncludePatterns, [.. exclude, "/" + Btrfs.SnapshotFolder]) : filter;
            FilesLog.BtrfsSnapshot(logger, root, snapshot, generation);
            return new BtrfsSnapshot(new LiveSnapshot(snapshotRoot, directory, treeFilter, takenAt, accounts, logger, journal, noJournal), snapshot, inSubvolume, generation);
        }
        catch
        {
            Btrfs.Delete(snapshot);
            throw;
        }
    }

    private LiveSnapshot TakeLiveSnapshot()
    {
        var (journal, noJournal) = CutJournal(skipFolder: null);
        var directory = Posix.TryOpenDirectory(root, out var errno)
            ?? throw new DirectoryNotFoundException($"The folder '{root}' of data source {DataSource.Id} can't be opened: {Posix.Describe(errno)}");
        var takenAt = timeProvider.GetUtcNow();
        FilesLog.LiveSnapshot(logger, root, takenAt);
        return new LiveSnapshot(root, directory, filter, takenAt, accounts, logger, journal, noJournal);
    }

    /// <summary>
    /// Cuts the data source's change journal (starting it on the first synchronization) before the snapshot:
    /// what changes after the cut is in the next synchronization's changes, even if this snapshot saw it too.
    /// </summary>
    private (JournalCut? Cut, string? Problem) CutJournal(string? skipFolder)
    {
        if (journals is null)
        {
            return (null, "the change journal is turned off");
        }

        if (filter.HasIncludes)
        {
            return (null, "include rules are applied by walking the whole tree");
        }

        Func<string, bool> skip = skipFolder is null ? _ => false : path => path == skipFolder || path.StartsWith(skipFolder + "/", StringComparison.Ordinal);
        var rules = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join('\n', filter.IncludePatterns) + "\0" + string.Join('\n', exclude))).AsSpan(0, 6));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var journal = journals.Open(DataSource.Id, root, skip, out var problem);
            if (journal is null)
            {
                return (null, problem);
            }

            if (journal.Cut() is { } cut)
            {
                return (new JournalCut(journal, new JournalPosition(journal.Epoch, cut, rules), journals), null);
            }
        }

        return (null, "the change journal was lost again as soon as it started");
    }

    public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// Protecting work on one folder or volume. Where no point-in-time image can be taken (today: everywhere;
/// btrfs read-only snapshots will come), writers can't be frozen and the snapshot reads the live tree,
/// checking every file after it was read.
/// </summary>
internal sealed class FileProtectionSession(
    DataSource dataSource,
    string root,
    PathFilter filter,
    AccountNames accounts,
    TimeProvider timeProvider,
    ILogger logger) : IProtectionSession
{
    public DataSource DataSource { get; } = dataSource;

    public ValueTask PrepareAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(FreezeOutcome.NotSupported(
            $"'{root}' is read live: file writers can't be frozen and no snapshot of its file system is taken; every file is checked for changes after it is read"));

    public ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Posix.TryOpenDirectory(root, out var errno)
            ?? throw new DirectoryNotFoundException($"The folder '{root}' of data source {DataSource.Id} can't be opened: {Posix.Describe(errno)}");
        var takenAt = timeProvider.GetUtcNow();
        FilesLog.LiveSnapshot(logger, root, takenAt);
        return ValueTask.FromResult<IDataSourceSnapshot>(new LiveSnapshot(root, directory, filter, takenAt, accounts, logger));
    }

    public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Discovery;
using Dpm.Workloads.Files.Native;
using Dpm.Workloads.Files.Protection;
using Dpm.Workloads.Files.Recovery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Files;

/// <summary>
/// The File workload (S-DPML): protects Linux volumes and folders, and recovers them whole or item by item,
/// to their original place or elsewhere. See the plugin's README for what it keeps and how.
/// </summary>
[DpmPlugin("Dpm.Workloads.Files", PluginKind.Workload, RequiredTier = LicenceTier.Standard)]
public sealed class FilesWorkload : IWorkloadPlugin, IItemLevelRecovery
{
    private readonly AccountNames _accounts = new();
    private ILogger _logger = NullLogger.Instance;
    private FilesWorkloadOptions _options = new();
    private TimeProvider _timeProvider = TimeProvider.System;
    private string? _computerName;
    private ChangeJournals? _journals;

    /// <inheritdoc />
    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The File workload protects Linux volumes and folders and runs on Linux only.");
        }

        _options = FilesWorkloadOptions.Read(context.Configuration);
        _logger = context.LoggerFactory.CreateLogger("Dpm.Workloads.Files");
        _timeProvider = context.TimeProvider;
        _computerName = context.Computer.Name;
        _journals = _options.UseChangeJournal ? new ChangeJournals(_options.ChangeJournalCapacity, _logger) : null;
        FilesLog.Ready(_logger, _options.Roots.Count, _options.ExtraFileSystemTypes);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<DataSource> DiscoverDataSourcesAsync(DataSource? parent, CancellationToken cancellationToken)
    {
        var discovery = new FolderDiscovery(_options, _logger);
        return parent is null ? discovery.TopLevelAsync(cancellationToken) : discovery.ChildrenAsync(parent, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IProtectionSession> OpenProtectionSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        cancellationToken.ThrowIfCancellationRequested();
        if (!DataSourcePaths.TryResolve(dataSource, out var root, out var error))
        {
            throw new ArgumentException(error, nameof(dataSource));
        }

        if (!Posix.TryStatPath(root, followLinks: true, out var stat, out var errno))
        {
            throw new ArgumentException($"Data source '{dataSource.Id}': the folder '{root}' can't be protected: {Posix.Describe(errno)}.", nameof(dataSource));
        }

        if (!stat.IsDirectory)
        {
            throw new ArgumentException($"Data source '{dataSource.Id}': '{root}' is not a folder.", nameof(dataSource));
        }

        options ??= new ProtectionSessionOptions();
        var filter = new PathFilter(options.Include, options.Exclude);
        return ValueTask.FromResult<IProtectionSession>(
            new FileProtectionSession(dataSource, root, filter, options.Exclude, _options.UseSnapshots, _journals, _accounts, _timeProvider, _logger));
    }

    /// <inheritdoc />
    public IAsyncEnumerable<RecoverableItem> ListRecoverableItemsAsync(IRecoverySource source, string parentPath, CancellationToken cancellationToken) =>
        FileRecovery.ListAsync(source, parentPath, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken) =>
        FileRecovery.RecoverAsync(source, request, items: null, _computerName, progress, _logger, cancellationToken);

    /// <inheritdoc />
    public ValueTask<RecoveryResult> RecoverItemsAsync(IRecoverySource source, ItemRecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FileRecovery.RecoverAsync(source, request, request.Items ?? [], _computerName, progress, _logger, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _journals?.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Company.Workloads.Sample;

/// <summary>
/// The plugin's entry point: the host creates it with the parameterless constructor, calls
/// <see cref="InitializeAsync"/> once, and disposes of it before unloading. This sample protects the folders an
/// application keeps its data in (<c>Folders:0</c>, <c>Folders:1</c>... in the plugin's configuration). Replace the
/// folder reading with your application's API: discovery, a consistent snapshot, and recovery.
/// </summary>
[DpmPlugin("Company.Workloads.Sample", PluginKind.Workload, RequiredTier = LicenceTier.Standard)]
public sealed partial class SampleWorkload : IWorkloadPlugin, IItemLevelRecovery
{
    /// <summary>The prefix of this workload's data source ids.</summary>
    public const string IdPrefix = "sample:";

    private IReadOnlyList<string> _folders = [];
    private ILogger _logger = NullLogger.Instance;

    /// <summary>The data source of a folder, as discovery lists it.</summary>
    /// <param name="folder">An absolute path.</param>
    public static DataSource DataSourceOf(string folder) => new()
    {
        Id = IdPrefix + folder,
        Name = Path.GetFileName(folder.TrimEnd('/')) is { Length: > 0 } name ? name : folder,
        Kind = "Folder",
        Location = folder,
    };

    /// <inheritdoc />
    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folders = new List<string>();
        foreach (var entry in context.Configuration.GetSection("Folders").GetChildren())
        {
            // Wrong configuration fails here, with the setting's name: the host shows the plugin as failed with this reason.
            if (string.IsNullOrWhiteSpace(entry.Value) || !Path.IsPathFullyQualified(entry.Value))
            {
                throw new InvalidOperationException($"the setting Folders:{entry.Key} must be an absolute path, not '{entry.Value}'");
            }

            folders.Add(Path.TrimEndingDirectorySeparator(entry.Value));
        }

        _folders = folders;
        _logger = context.LoggerFactory.CreateLogger<SampleWorkload>();
        LogStarted(_logger, folders.Count);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<DataSource> DiscoverDataSourcesAsync(DataSource? parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        if (parent is not null)
        {
            yield break; // the sample's data sources have no children
        }

        foreach (var folder in _folders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(folder))
            {
                yield return DataSourceOf(folder);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<IProtectionSession> OpenProtectionSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var folder = FolderOf(dataSource);
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException($"the folder {folder} of the data source {dataSource.Id} does not exist");
        }

        return ValueTask.FromResult<IProtectionSession>(new SampleProtectionSession(dataSource, folder));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RecoverableItem> ListRecoverableItemsAsync(IRecoverySource source, string parentPath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var prefix = parentPath.Length == 0 ? "" : parentPath.TrimEnd('/') + "/";
        await foreach (var item in source.EnumerateItemsAsync(prefix, cancellationToken))
        {
            var rest = item.Path[prefix.Length..];
            if (rest.Length > 0 && !rest.Contains('/', StringComparison.Ordinal))
            {
                yield return new RecoverableItem(item.Path, rest, item.Kind, item.Length, item.Kind == ProtectedItemKind.Directory, item.LastWriteTime);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        return SampleRecovery.RecoverAsync(source, TargetFolder(source.DataSource, request.Target), request.Options, _ => true, progress, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<RecoveryResult> RecoverItemsAsync(IRecoverySource source, ItemRecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        var chosen = request.Items.Select(path => path.Trim('/')).ToList();
        return SampleRecovery.RecoverAsync(
            source,
            TargetFolder(source.DataSource, request.Target),
            request.Options,
            path => chosen.Any(c => c.Length == 0 || path == c || path.StartsWith(c + "/", StringComparison.Ordinal) || c.StartsWith(path + "/", StringComparison.Ordinal)),
            progress,
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string FolderOf(DataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (!dataSource.Id.StartsWith(IdPrefix, StringComparison.Ordinal) || dataSource.Location is not { } folder || !Path.IsPathFullyQualified(folder))
        {
            throw new ArgumentException($"the data source {dataSource.Id} is not a folder of this workload", nameof(dataSource));
        }

        return folder;
    }

    private static string TargetFolder(DataSource dataSource, RecoveryTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var folder = target.Destination == RecoveryDestination.OriginalLocation ? FolderOf(dataSource) : target.Path;
        if (string.IsNullOrWhiteSpace(folder) || !Path.IsPathFullyQualified(folder))
        {
            throw new ArgumentException($"the recovery target '{folder}' is not an absolute path", nameof(target));
        }

        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The sample workload protects {Count} configured folder(s)")]
    private static partial void LogStarted(ILogger logger, int count);
}

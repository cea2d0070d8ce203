using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Sql.PostgreSql;
using Dpm.Workloads.Sql.Sqlite;

namespace Dpm.Workloads.Sql;

/// <summary>
/// The SQL workload (E-DPML): PostgreSQL clusters protected with base backups (the non-exclusive API) and the WAL
/// shipped at every synchronization, recovered to any time; SQLite databases protected with the online backup
/// API. See the plugin's README.
/// </summary>
[DpmPlugin("Dpm.Workloads.Sql", PluginKind.Workload, RequiredTier = LicenceTier.Enterprise)]
public sealed class SqlWorkload : IWorkloadPlugin
{
    private List<ISqlEngine> _engines = [];

    /// <inheritdoc />
    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = SqlWorkloadOptions.Read(context.Configuration);
        var logger = context.LoggerFactory.CreateLogger("Dpm.Workloads.Sql");
        _engines =
        [
            new PostgreSqlEngine(options.Clusters, logger, context.TimeProvider),
            new SqliteEngine(options.Sqlite, context.DataDirectory, context.Computer.Name, logger, context.TimeProvider),
        ];
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<DataSource> DiscoverDataSourcesAsync(DataSource? parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested(); // also when nothing is configured
        foreach (var engine in parent is null ? _engines : _engines.Where(e => e.Owns(parent.Id))) // another workload's data source has no SQL children
        {
            await foreach (var found in engine.DiscoverAsync(parent, cancellationToken))
            {
                yield return found;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<IProtectionSession> OpenProtectionSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return EngineOf(dataSource.Id).OpenSessionAsync(dataSource, options ?? new ProtectionSessionOptions(), cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RecoverableItem> ListRecoverableItemsAsync(IRecoverySource source, string parentPath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var prefix = parentPath.Length == 0 ? "" : parentPath.TrimEnd('/') + "/";
        await foreach (var item in source.EnumerateItemsAsync(prefix, cancellationToken))
        {
            if (item.Path.Length > prefix.Length && !item.Path.AsSpan(prefix.Length).Contains('/'))
            {
                yield return new RecoverableItem(item.Path, item.Path[prefix.Length..], item.Kind, item.Length, item.Kind == ProtectedItemKind.Directory, item.LastWriteTime);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        return EngineOf(source.DataSource.Id).RecoverAsync(source, request, progress, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ISqlEngine EngineOf(string dataSourceId) =>
        _engines.FirstOrDefault(e => e.Owns(dataSourceId)) ?? throw new ArgumentException($"'{dataSourceId}' is not a SQL data source (pgsql:CLUSTER or sqlite:/path)", nameof(dataSourceId));
}

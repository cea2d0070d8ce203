using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>
/// PostgreSQL: each configured cluster is a data source (<c>pgsql:NAME</c>) protected whole, physically; its
/// databases are listed below it, protected with it.
/// </summary>
internal sealed class PostgreSqlEngine(IReadOnlyList<PostgreSqlCluster> clusters, ILogger logger, TimeProvider time) : ISqlEngine
{
    private const string Prefix = "pgsql:";

    public bool Owns(string dataSourceId) => dataSourceId.StartsWith(Prefix, StringComparison.Ordinal);

    public async IAsyncEnumerable<DataSource> DiscoverAsync(DataSource? parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (parent is null)
        {
            foreach (var cluster in clusters)
            {
                yield return await DescribeAsync(cluster, cancellationToken);
            }

            yield break;
        }

        var owner = ClusterOf(parent.Id);
        await using (var connection = await PgConnection.OpenAsync(owner, cancellationToken))
        await using (var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname", connection))
        await using (var rows = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await rows.ReadAsync(cancellationToken))
            {
                yield return new DataSource
                {
                    Id = $"{Prefix}{owner.Name}/{rows.GetString(0)}",
                    Name = rows.GetString(0),
                    Kind = "PostgreSqlDatabase",
                    ParentId = parent.Id,
                    IsProtectable = false,
                    Facts = new Dictionary<string, string> { ["protected with"] = $"its cluster {Prefix}{owner.Name}: a base backup and the WAL cover every database" },
                };
            }
        }
    }

    /// <summary>
    /// A configured cluster as discovery lists it. One that can't be reached is still listed, with the reason as its
    /// <c>problem</c> fact, so that one cluster down hides neither the others nor the plugin's SQLite databases.
    /// </summary>
    private static async Task<DataSource> DescribeAsync(PostgreSqlCluster cluster, CancellationToken cancellationToken)
    {
        var facts = new Dictionary<string, string> { ["archive"] = cluster.ArchiveDirectory };
        try
        {
            await using var connection = await PgConnection.OpenAsync(cluster, cancellationToken);
            facts["version"] = await connection.ScalarAsync<string>("SHOW server_version", cancellationToken);
        }
        catch (InvalidOperationException e) when (!cancellationToken.IsCancellationRequested)
        {
            facts["problem"] = e.Message;
        }

        return new DataSource
        {
            Id = Prefix + cluster.Name,
            Name = cluster.Name,
            Kind = "PostgreSqlCluster",
            Location = $"{cluster.Host}:{cluster.Port}",
            HasChildren = !facts.ContainsKey("problem"),
            Facts = facts,
        };
    }

    public ValueTask<IProtectionSession> OpenSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IProtectionSession>(new PgProtectionSession(ClusterOf(dataSource.Id), dataSource, time, logger));

    public ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken) =>
        new PgRecovery(ClusterOf(source.DataSource.Id), time, logger).RecoverAsync(source, request, progress, cancellationToken);

    private PostgreSqlCluster ClusterOf(string dataSourceId)
    {
        var name = dataSourceId[Prefix.Length..].Split('/')[0];
        if (dataSourceId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{dataSourceId}' is a database; a PostgreSQL cluster is protected whole: protect {Prefix}{name}");
        }

        return clusters.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"{dataSourceId}: no PostgreSQL cluster named '{name}' is configured on this computer (Plugins:Dpm.Workloads.Sql:PostgreSql)");
    }
}

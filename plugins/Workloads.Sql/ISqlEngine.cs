using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Sql;

/// <summary>One database engine the SQL workload protects: its data sources (by id prefix), their protection and recovery.</summary>
internal interface ISqlEngine
{
    /// <summary>Whether a data source id is this engine's.</summary>
    bool Owns(string dataSourceId);

    /// <summary>The engine's top-level data sources (parent null) or the children of one of them.</summary>
    IAsyncEnumerable<DataSource> DiscoverAsync(DataSource? parent, CancellationToken cancellationToken);

    ValueTask<IProtectionSession> OpenSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken);

    ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken);
}

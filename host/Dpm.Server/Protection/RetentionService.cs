using Dpm.Catalog;
using Dpm.Management;

namespace Dpm.Server.Protection;

/// <summary>
/// Prunes recovery points past their protection group's retention range or recovery point limit from the
/// server's storage pool and catalog (see <see cref="RecoveryPointPruner"/>). Each run is a Prune job of the
/// catalog, with how many points and how many stored bytes went. One run at a time: a run asked for while
/// another is going is refused.
/// </summary>
internal sealed partial class RetentionService(CatalogHost catalog, PoolHost pools, TimeProvider time, ILogger<RetentionService> logger)
{
    private int _running;

    public async Task<Outcome<PruneResult>> RunAsync(CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return Outcome.Fail<PruneResult>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return Outcome.Fail<PruneResult>(StatusCodes.Status409Conflict, "recovery points are being pruned already");
        }

        try
        {
            var job = await catalog.Jobs.StartAsync(JobType.Prune, null, catalog.ServerName, cancellationToken);
            PruneReport report;
            try
            {
                report = await new RecoveryPointPruner(catalog.Open, time).PruneAsync(pool, pools.Location, cancellationToken);
            }
            catch (Exception ex)
            {
                await catalog.Jobs.FinishAsync(job.Id, ex is OperationCanceledException ? JobState.Cancelled : JobState.Failed, 0, 0, ex.Message, CancellationToken.None);
                throw;
            }

            var problems = report.Problems.Count == 0 ? null : string.Join("; ", report.Problems);
            await catalog.Jobs.FinishAsync(job.Id, problems is null ? JobState.Succeeded : JobState.Failed, report.StoredBytes, report.RecoveryPoints, problems, CancellationToken.None);
            Pruned(logger, report.RecoveryPoints, report.DataSources, report.StoredBytes, report.Problems.Count);
            return Outcome.Ok(new PruneResult
            {
                JobId = job.Id,
                RecoveryPoints = report.RecoveryPoints,
                StoredBytes = report.StoredBytes,
                DataSources = report.DataSources,
                Problems = report.Problems,
            });
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Pruned {RecoveryPoints} recovery points of {DataSources} data sources ({StoredBytes} stored bytes); {Problems} could not be removed")]
    private static partial void Pruned(ILogger logger, int recoveryPoints, int dataSources, long storedBytes, int problems);
}

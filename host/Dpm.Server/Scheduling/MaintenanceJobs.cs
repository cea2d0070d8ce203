using Dpm.Server.Health;
using Dpm.Server.Protection;
using Dpm.Storage;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>
/// The nightly prune: recovery points past their group's retention range or limit leave the pool and the catalog;
/// then the pool's garbage collection condemns the packs no point uses any more and deletes those condemned a
/// grace period ago, which is when their disk space comes back.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class PruneJob(RetentionService retention, PoolHost pools, ILogger<PruneJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var outcome = await retention.RunAsync(cancellationToken);
        if (outcome.Problem is { } problem)
        {
            Failed(logger, problem);
            return;
        }

        if (pools.Pool is { } pool)
        {
            var gc = await pool.CollectGarbageAsync(new GcOptions(), cancellationToken);
            Collected(logger, gc.PacksCondemned, gc.PacksDeleted, gc.BytesFreed);
        }
    }

    [LoggerMessage(EventId = 45, Level = LogLevel.Information, Message = "Garbage collection after the prune: {Condemned} packs condemned, {Deleted} deleted, {Freed} bytes freed")]
    private static partial void Collected(ILogger logger, int condemned, int deleted, long freed);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "Scheduled prune failed: {Problem}")]
    private static partial void Failed(ILogger logger, string problem);
}

/// <summary>The scheduled health check: SLA, storage pool space, licence and agent alerts raised and resolved.</summary>
[DisallowConcurrentExecution]
internal sealed class HealthCheckJob(HealthMonitor health) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) => await health.RunAsync(cancellationToken);
}

/// <summary>The nightly long-term copy: recovery points not yet in the cloud copy go there.</summary>
[DisallowConcurrentExecution]
internal sealed partial class CloudCopyJob(CloudCopyService copy, ILogger<CloudCopyJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if ((await copy.RunAsync(cancellationToken)).Problem is { } problem)
        {
            Failed(logger, problem);
        }
    }

    [LoggerMessage(EventId = 46, Level = LogLevel.Warning, Message = "Scheduled cloud copy failed: {Problem}")]
    private static partial void Failed(ILogger logger, string problem);
}

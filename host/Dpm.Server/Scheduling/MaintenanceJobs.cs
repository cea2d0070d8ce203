using Dpm.Server.Health;
using Dpm.Server.Protection;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>The scheduled prune: recovery points past their group's retention range or limit leave the pool and the catalog.</summary>
[DisallowConcurrentExecution]
internal sealed partial class PruneJob(RetentionService retention, ILogger<PruneJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var outcome = await retention.RunAsync(cancellationToken);
        if (outcome.Problem is { } problem)
        {
            Failed(logger, problem);
        }
    }

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "Scheduled prune failed: {Problem}")]
    private static partial void Failed(ILogger logger, string problem);
}

/// <summary>The scheduled health check: SLA, storage pool space and licence alerts raised and resolved.</summary>
[DisallowConcurrentExecution]
internal sealed class HealthCheckJob(HealthMonitor health) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) => await health.RunAsync(cancellationToken);
}

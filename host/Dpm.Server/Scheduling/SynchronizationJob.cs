using Dpm.Management;
using Dpm.Server.Protection;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>
/// A scheduled fire for one data source (its ids in the job data): a synchronization with a recovery point,
/// or, from the consistency-check trigger, a consistency check. One runs at a time per data source, across a
/// cluster too.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class SynchronizationJob(ProtectionService protection, CatalogHost catalog, ILogger<SynchronizationJob> logger) : IJob
{
    public const string ComputerKey = "computer";
    public const string DataSourceKey = "dataSource";
    public const string PluginKey = "plugin";
    public const string GroupKey = "group";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var data = context.MergedJobDataMap;
        var computerName = data.GetString(ComputerKey)!;
        var dataSourceId = data.GetString(DataSourceKey)!;
        var attempt = 1;
        if (context.Recovering)
        {
            // The server that ran this fire died (or this one restarted): its job row is marked, and this is the retry.
            attempt = await catalog.Jobs.MarkInterruptedForRetryAsync(dataSourceId, catalog.ServerName, CancellationToken.None) + 1;
        }
        else if (await catalog.Jobs.LastSucceededStartAsync(dataSourceId, cancellationToken) is { } last && last >= context.ScheduledFireTimeUtc)
        {
            Covered(logger, dataSourceId, context.ScheduledFireTimeUtc, last);
            return;
        }

        var plugin = data.GetString(PluginKey);
        if (context.Trigger.Key.Name == ProtectionScheduler.ConsistencyCheckTrigger)
        {
            var check = await protection.CheckConsistencyAsync(new ConsistencyCheckRequestDto { DataSourceId = dataSourceId, PluginId = plugin, Heavy = true, Computer = computerName }, cancellationToken);
            Ran(logger, "consistency check", dataSourceId, check.Problem ?? "done");
            return;
        }

        var outcome = await protection.SynchronizeAsync(new SynchronizationRequestDto
            {
                DataSourceId = dataSourceId, PluginId = plugin, Computer = computerName,

                // The synchronization frequency ships logs (log-based workloads); recovery point times are express fulls.
                Incremental = context.Trigger.Key.Name == ProtectionScheduler.FrequencyTrigger,
            }, cancellationToken, attempt);
        if (outcome.Status == StatusCodes.Status400BadRequest)
        {
            // A member that can't be protected any more (its folder is gone, say): a failed recovery point, as in DPM.
            // (Failures of the work itself raise it already; a cancel or a run already going on is no failure.)
            await protection.RaiseRecoveryPointFailedAsync(computerName, dataSourceId, outcome.Problem!);
        }

        Ran(logger, "synchronization", dataSourceId, outcome.Problem ?? "recovery point " + outcome.Value!.RecoveryPoint.Id);
    }

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Scheduled {What} of {DataSource}: {Result}")]
    private static partial void Ran(ILogger logger, string what, string dataSource, string result);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "Skipped the fire of {ScheduledAt} for {DataSource}: a synchronization that started at {LastStart} already covers it")]
    private static partial void Covered(ILogger logger, string dataSource, DateTimeOffset? scheduledAt, DateTimeOffset lastStart);
}

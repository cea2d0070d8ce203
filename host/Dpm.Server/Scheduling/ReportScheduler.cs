using System.Globalization;
using Dpm.Catalog;
using Dpm.Reporting;
using Dpm.Server.Protection;
using Dpm.Server.Reporting;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>
/// Turns the report schedules of the catalog into Quartz jobs and keeps them in step: one durable job per schedule
/// (its id in the job data) with the trigger of its recurrence, in server time. A report made once keeps its job,
/// with no trigger left, so it is never made again.
/// </summary>
/// <remarks>Misfire policy: after downtime a missed report is made once at once, then the schedule goes on.</remarks>
internal sealed partial class ReportScheduler(IScheduler scheduler, CatalogHost catalog, TimeProvider time, ILogger<ReportScheduler> logger) : IHostedService, IDisposable
{
    public const string Group = "reports";

    private readonly SemaphoreSlim _planning = new(1, 1);

    public async Task StartAsync(CancellationToken cancellationToken) => await PlanAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _planning.Dispose();

    /// <summary>Brings the schedule in line with the catalog's report schedules.</summary>
    public async Task PlanAsync(CancellationToken cancellationToken)
    {
        await _planning.WaitAsync(cancellationToken);
        try
        {
            List<ReportSchedule> schedules;
            await using (var context = catalog.Open())
            {
                schedules = await context.ReportSchedules.AsNoTracking().ToListAsync(cancellationToken);
            }

            var wanted = new HashSet<JobKey>();
            foreach (var schedule in schedules)
            {
                var key = KeyOf(schedule.Id);
                wanted.Add(key);
                if (await scheduler.Exists(key, cancellationToken) || !ReportRecurrence.TryParse(schedule.Recurrence, out var recurrence, out _))
                {
                    continue;
                }

                var job = JobBuilder.Create<ReportJob>()
                    .WithIdentity(key)
                    .WithDescription($"{schedule.Report} report, {schedule.Recurrence}")
                    .UsingJobData(ReportJob.ScheduleKey, schedule.Id.ToString())
                    .StoreDurably()
                    .Build();
                await scheduler.ScheduleJob(job, [TriggerOf(recurrence, key, time.GetUtcNow(), time.LocalTimeZone)], new ScheduleJobOptions { Replace = true }, cancellationToken);
                Scheduled(logger, schedule.Report, schedule.Recurrence, schedule.Id);
            }

            foreach (var stale in (await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), cancellationToken)).Where(k => !wanted.Contains(k)))
            {
                await scheduler.DeleteJob(stale, cancellationToken);
            }
        }
        finally
        {
            _planning.Release();
        }
    }

    /// <summary>When a schedule's report is next made; null when it won't be (a report made once that was made).</summary>
    public async Task<DateTimeOffset?> NextRunAsync(Guid scheduleId, CancellationToken cancellationToken) =>
        (await scheduler.GetTriggersOfJob(KeyOf(scheduleId), cancellationToken)).Select(t => t.NextFireTimeUtc).Where(t => t is not null).Min();

    public static JobKey KeyOf(Guid scheduleId) => new(scheduleId.ToString("N"), Group);

    /// <summary>The trigger of a recurrence: a cron trigger in the server's time zone, or one fire for a report made once.</summary>
    internal static ITrigger TriggerOf(ReportRecurrence recurrence, JobKey key, DateTimeOffset now, TimeZoneInfo zone)
    {
        var trigger = TriggerBuilder.Create().WithIdentity("when", key.Name).WithDescription(recurrence.ToString()).ForJob(key);
        return recurrence.OnceAt(zone) is { } at
            ? trigger.StartAt(at).WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build()
            : trigger.StartAt(now) // the scheduler's clock, not TriggerBuilder's default (the system clock)
                .WithCronSchedule(CronOf(recurrence), c => c.InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .Build();
    }

    /// <summary>"Weekly Mon 08:00" → <c>0 0 8 ? * MON</c>; "Monthly last 18:00" → <c>0 0 18 L * ?</c>.</summary>
    internal static string CronOf(ReportRecurrence recurrence)
    {
        var at = string.Create(CultureInfo.InvariantCulture, $"0 {recurrence.At.Minute} {recurrence.At.Hour}");
        return recurrence.Kind switch
        {
            ReportRecurrenceKind.Weekly => $"{at} ? * {recurrence.Weekday?.ToString()[..3].ToUpperInvariant()}",
            ReportRecurrenceKind.Monthly => recurrence.DayOfMonth is { } day and not ReportRecurrence.LastDayOfMonth
                ? string.Create(CultureInfo.InvariantCulture, $"{at} {day} * ?")
                : $"{at} L * ?",
            _ => $"{at} ? * *",
        };
    }

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "Scheduled the {Report} report, {Recurrence} (schedule {Schedule})")]
    private static partial void Scheduled(ILogger logger, string report, string recurrence, Guid schedule);
}

/// <summary>A scheduled report's fire: the report is made over its period as of the time it was due.</summary>
[DisallowConcurrentExecution]
internal sealed class ReportJob(ReportDelivery delivery, TimeProvider time) : IJob
{
    public const string ScheduleKey = "schedule";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if (Guid.TryParse(context.MergedJobDataMap.GetString(ScheduleKey), out var id))
        {
            await delivery.RunAsync(id, context.ScheduledFireTimeUtc ?? time.GetUtcNow(), cancellationToken);
        }
    }
}

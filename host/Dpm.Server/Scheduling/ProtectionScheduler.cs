using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dpm.Catalog;
using Dpm.Server.Protection;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>
/// Turns the protection groups of the catalog into a Quartz schedule and keeps it in step with them: for every
/// member data source one job (its ids in the job data) with a trigger for the synchronization frequency, one
/// per recovery point time and one for the daily consistency-check window; a first replica is made at once.
/// </summary>
/// <remarks>
/// Misfire policy: after downtime each trigger fires once at once and then keeps its schedule, never once per
/// missed occurrence; and a fire whose time is already covered by a later successful synchronization of the
/// data source (another trigger's catch-up, a manual one) is skipped, so a restart after a long stop gives one
/// catch-up run per data source.
/// </remarks>
internal sealed partial class ProtectionScheduler(IScheduler scheduler, CatalogHost catalog, CloudCopyService cloudCopy, TimeProvider time, ILogger<ProtectionScheduler> logger) : IHostedService, IDisposable
{
    public const string SynchronizationGroup = "synchronization";
    public const string MaintenanceGroup = "maintenance";

    /// <summary>When the prune runs: daily at midnight, server time, as DPM prunes.</summary>
    public const string PruneSchedule = "0 0 0 ? * *";

    /// <summary>When the long-term cloud copy runs, if there is one: daily at 02:00, server time, after the prune.</summary>
    public const string CloudCopySchedule = "0 0 2 ? * *";

    /// <summary>How often SLA, pool space and licences are checked.</summary>
    public static readonly TimeSpan HealthInterval = TimeSpan.FromMinutes(15);
    private readonly SemaphoreSlim _planning = new(1, 1);

    public async Task StartAsync(CancellationToken cancellationToken) => await PlanAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _planning.Dispose();

    /// <summary>Brings the schedule in line with the protection groups; returns how many data sources are scheduled.</summary>
    public async Task<int> PlanAsync(CancellationToken cancellationToken)
    {
        await _planning.WaitAsync(cancellationToken);
        try
        {
            List<ProtectionGroup> groups;
            HashSet<(string, string)> withPoints;
            await using (var context = catalog.Open())
            {
                groups = await context.ProtectionGroups.Include(g => g.Members).AsNoTracking().ToListAsync(cancellationToken);
                withPoints = [.. (await context.RecoveryPoints.Select(p => new { p.ComputerName, p.DataSourceId }).Distinct().ToListAsync(cancellationToken))
                    .Select(p => (p.ComputerName, p.DataSourceId))];
            }

            var wanted = new HashSet<JobKey>();
            foreach (var group in groups)
            {
                foreach (var member in group.Members)
                {
                    var key = KeyOf(member.ComputerName, member.Id);
                    wanted.Add(key);
                    await EnsureAsync(scheduler, group, member, key, !withPoints.Contains((member.ComputerName, member.Id)), cancellationToken);
                }
            }

            await EnsureMaintenanceAsync(scheduler, cancellationToken);
            foreach (var stale in (await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(SynchronizationGroup), cancellationToken)).Where(k => !wanted.Contains(k)))
            {
                await scheduler.DeleteJob(stale, cancellationToken);
            }

            return wanted.Count;
        }
        finally
        {
            _planning.Release();
        }
    }

    /// <summary>The server-wide jobs: the daily prune, the cloud copy when there is one, and the health check (once each across a cluster).</summary>
    private async Task EnsureMaintenanceAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var prune = new JobKey("prune", MaintenanceGroup);
        if (!await scheduler.Exists(prune, cancellationToken))
        {
            await scheduler.ScheduleJob(
                JobBuilder.Create<PruneJob>().WithIdentity(prune).WithDescription("prune expired recovery points").Build(),
                [Cron("daily", prune, PruneSchedule, "daily at midnight", now)],
                new ScheduleJobOptions { Replace = true },
                cancellationToken);
        }

        var copy = new JobKey("cloud-copy", MaintenanceGroup);
        if (!cloudCopy.IsConfigured)
        {
            await scheduler.DeleteJob(copy, cancellationToken);
        }
        else if (!await scheduler.Exists(copy, cancellationToken))
        {
            await scheduler.ScheduleJob(
                JobBuilder.Create<CloudCopyJob>().WithIdentity(copy).WithDescription("copy recovery points to the long-term cloud copy").Build(),
                [Cron("daily", copy, CloudCopySchedule, "daily at 02:00", now)],
                new ScheduleJobOptions { Replace = true },
                cancellationToken);
        }

        var health = new JobKey("health", MaintenanceGroup);
        if (!await scheduler.Exists(health, cancellationToken))
        {
            var every = TriggerBuilder.Create()
                .WithIdentity("every", health.Name)
                .WithDescription($"every {HealthInterval.TotalMinutes} minutes")
                .ForJob(health)
                .StartAt(now)
                .WithSimpleSchedule(s => s.WithInterval(HealthInterval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount))
                .Build();
            await scheduler.ScheduleJob(
                JobBuilder.Create<HealthCheckJob>().WithIdentity(health).WithDescription("SLA, storage pool space and licence alerts").Build(), [every], new ScheduleJobOptions { Replace = true }, cancellationToken);
        }
    }

    /// <summary>Schedules one member's job, replacing its triggers only when the policy changed.</summary>
    private async Task EnsureAsync(IScheduler scheduler, ProtectionGroup group, DataSourceRecord member, JobKey key, bool needsReplica, CancellationToken cancellationToken)
    {
        var triggers = Triggers(group.Policy, key, time.GetUtcNow());
        var existing = await scheduler.GetTriggersOfJob(key, cancellationToken);
        var exists = await scheduler.Exists(key, cancellationToken);
        if (exists && Same(existing.Where(t => t.Key.Name != ReplicaTrigger), triggers))
        {
            return;
        }

        var job = JobBuilder.Create<SynchronizationJob>()
            .WithIdentity(key)
            .WithDescription($"{group.Name}: {member.ComputerName}/{member.Id}")
            .UsingJobData(SynchronizationJob.ComputerKey, member.ComputerName)
            .UsingJobData(SynchronizationJob.DataSourceKey, member.Id)
            .UsingJobData(SynchronizationJob.PluginKey, member.PluginId)
            .UsingJobData(SynchronizationJob.GroupKey, group.Name)
            .RequestRecovery() // a fire cut off by a dying server runs again (on another server of a cluster)
            .Build();
        if (!exists && needsReplica)
        {
            triggers.Add(TriggerBuilder.Create()
                .WithIdentity(ReplicaTrigger, key.Name)
                .WithDescription("replica creation, now")
                .ForJob(key)
                .StartAt(time.GetUtcNow())
                .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
                .Build());
        }

        await scheduler.ScheduleJob(job, triggers, new ScheduleJobOptions { Replace = true }, cancellationToken);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var plan = string.Join("; ", triggers.Select(t => t.Description));
            Scheduled(logger, member.ComputerName, member.Id, plan);
        }
    }

    private const string ReplicaTrigger = "replica";

    /// <summary>The recurring triggers a policy gives one data source's job.</summary>
    internal static List<ITrigger> Triggers(ProtectionPolicy policy, JobKey key, DateTimeOffset now)
    {
        var triggers = new List<ITrigger>();
        if (policy.SynchronizationMinutes is { } minutes)
        {
            // Auto-staggered: each data source starts at its own fixed offset within the interval, so a group's
            // members don't all synchronize at once.
            var interval = TimeSpan.FromMinutes(minutes);
            var offset = TimeSpan.FromSeconds(Stagger(key.Name) % (long)interval.TotalSeconds);
            triggers.Add(TriggerBuilder.Create()
                .WithIdentity(FrequencyTrigger, key.Name)
                .WithDescription($"synchronization every {minutes} minutes")
                .ForJob(key)
                .StartAt(now + offset)
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount))
                .Build());
        }

        foreach (var (entry, index) in policy.RecoveryPointTimes.Select((e, i) => (e, i)))
        {
            triggers.Add(Cron($"at-{index}", key, CronOf(entry), $"recovery point {entry}", now));
        }

        if (policy.ConsistencyCheckWindowStart is { } start)
        {
            triggers.Add(Cron(ConsistencyCheckTrigger, key, $"0 {start % 60} {start / 60} ? * *", $"consistency check daily at {start / 60:00}:{start % 60:00}", now));
        }

        return triggers;
    }

    /// <summary>The trigger of the synchronization frequency: for log-based workloads, its fires ship logs.</summary>
    public const string FrequencyTrigger = "every";

    /// <summary>The trigger whose fires are a consistency check rather than a synchronization.</summary>
    public const string ConsistencyCheckTrigger = "check";

    // Every trigger starts from the scheduler's clock (TriggerBuilder's own default is the system clock).
    private static ITrigger Cron(string name, JobKey key, string expression, string description, DateTimeOffset now) => TriggerBuilder.Create()
        .WithIdentity(name, key.Name)
        .WithDescription(description)
        .ForJob(key)
        .StartAt(now)
        .WithCronSchedule(expression, c => c.InTimeZone(TimeZoneInfo.Local).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
        .Build();

    /// <summary>"Daily 20:00" → a cron expression firing every day at 20:00; "Mon 20:00" → Mondays only.</summary>
    internal static string CronOf(string recoveryPointTime)
    {
        var parts = recoveryPointTime.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = TimeOnly.ParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture);
        var day = parts[0] == "Daily" ? "*" : parts[0].ToUpperInvariant();
        return $"0 {at.Minute} {at.Hour} ? * {day}";
    }

    private static bool Same(IEnumerable<ITrigger> existing, List<ITrigger> wanted) =>
        existing.Select(t => (t.Key.Name, t.Description)).OrderBy(t => t.Name, StringComparer.Ordinal)
            .SequenceEqual(wanted.Select(t => (t.Key.Name, t.Description)).OrderBy(t => t.Name, StringComparer.Ordinal));

    /// <summary>A data source's job key: a hash of its ids (which can be long), in the synchronization group.</summary>
    public static JobKey KeyOf(string computerName, string dataSourceId) =>
        new(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{computerName}/{dataSourceId}")))[..32], SynchronizationGroup);

    private static long Stagger(string keyName) => long.Parse(keyName[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Scheduled {Computer}/{DataSource}: {Triggers}")]
    private static partial void Scheduled(ILogger logger, string computer, string dataSource, string triggers);
}

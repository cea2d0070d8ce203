using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Quartz;

namespace Dpm.Server.Tests;

/// <summary>
/// The Quartz schedule made from protection groups, on an injected clock: the scheduler and the catalog run on a
/// fake clock that the test moves, so a 15-minute policy is tested without waiting 15 minutes.
/// </summary>
public sealed class SchedulerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task Group_With15MinuteSynchronization_MakesTheReplicaAtOnce_ThenOnePointEachInterval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "finance")).FullName;
        File.WriteAllText(Path.Combine(data, "ledger.txt"), "opening balance");
        var client = Client(server);

        var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(12), TimeZoneInfo.Local); // a recovery point time the test doesn't reach
        await CreateGroupAsync(client, "Finance", 15, $"Daily {farOff:HH:mm}", "folder:" + data);

        var jobs = await WaitForJobsAsync(client, 1, clock);
        Assert.Equal(("ReplicaCreation", "Succeeded"), (jobs[0].Type, jobs[0].State));

        File.AppendAllText(Path.Combine(data, "ledger.txt"), "\nfirst entry");
        clock.Advance(TimeSpan.FromMinutes(15));
        jobs = await WaitForJobsAsync(client, 2, clock);
        Assert.Equal(("ExpressFull", "Succeeded"), (jobs[0].Type, jobs[0].State));

        File.WriteAllText(Path.Combine(data, "invoice.txt"), "42");
        clock.Advance(TimeSpan.FromMinutes(15));
        jobs = await WaitForJobsAsync(client, 3, clock);
        Assert.Equal(("ExpressFull", "Succeeded"), (jobs[0].Type, jobs[0].State));
        await WaitUntilNothingIsDueAsync(server, clock);

        Assert.Equal(3, (await SynchronizationsAsync(client)).Count);
        var points = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
        Assert.Equal(3, points.Count);
        Assert.Equal(2, points[^1].Items - 1); // ledger.txt and invoice.txt, besides the folder itself
    }

    [Fact]
    public async Task Misfire_AfterHoursOfDowntime_OneCatchUpRun_NotABurst()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow); // it starts at the system time: a cron trigger computes its first fire from that
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "sales")).FullName;
        File.WriteAllText(Path.Combine(data, "orders.csv"), "1,2,3");
        var client = Client(server);

        // A recovery point time two hours on, so the downtime misses it as well as eight synchronizations.
        var twoHoursOn = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(2), TimeZoneInfo.Local);
        await CreateGroupAsync(client, "Sales", 15, $"Daily {twoHoursOn:HH:mm}", "folder:" + data);
        await WaitForJobsAsync(client, 1, clock);
        await WaitUntilNothingIsDueAsync(server, clock);

        await server.RestartAsync(() =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            clock.Advance(TimeSpan.FromHours(3)); // the server is down for three hours
        });
        client = Client(server);

        var jobs = await WaitForJobsAsync(client, 2, clock);
        await WaitUntilNothingIsDueAsync(server, clock);
        jobs = await SynchronizationsAsync(client);
        Assert.Equal(2, jobs.Count); // one catch-up, though twelve synchronizations and a recovery point time were missed
        Assert.Equal(("ExpressFull", "Succeeded"), (jobs[0].Type, jobs[0].State));

        clock.Advance(TimeSpan.FromMinutes(15)); // and then the schedule goes on as before
        jobs = await WaitForJobsAsync(client, 3, clock);
        await WaitUntilNothingIsDueAsync(server, clock);
        Assert.Equal(3, (await SynchronizationsAsync(client)).Count);
    }

    [Fact]
    public async Task Maintenance_TheHealthCheckRaisesAMissedSla_AndThePruneRunsAtMidnight()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "hr")).FullName;
        File.WriteAllText(Path.Combine(data, "staff.csv"), "ann,bo");
        var client = Client(server);
        var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(20), TimeZoneInfo.Local);
        await CreateGroupAsync(client, "HR", null, $"Daily {farOff:HH:mm}", "folder:" + data, slaHours: 1); // synchronized only at that time
        await WaitForJobsAsync(client, 1, clock);

        clock.Advance(TimeSpan.FromMinutes(75)); // no recovery point for more than the SLA's hour: the next health check sees it
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            while (!(await client.GetAlertsAsync(false, CancellationToken.None)).Value!.Any(a => a.Type == "SlaMissed"))
            {
                await TickAsync(clock, deadline.Token);
            }
        }

        var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), TimeZoneInfo.Local);
        clock.Advance(local.Date.AddDays(1) - local.DateTime + TimeSpan.FromMinutes(1)); // a minute past midnight
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            while (!(await client.GetJobsAsync(CancellationToken.None)).Value!.Any(j => j.Type == "Prune" && j.State == "Succeeded"))
            {
                await TickAsync(clock, deadline.Token);
            }
        }

        var alert = Assert.Single((await client.GetAlertsAsync(false, CancellationToken.None)).Value!, a => a.Type == "SlaMissed");
        Assert.Contains(data, alert.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduledSynchronization_ThatFails_RaisesRecoveryPointFailed_ResolvedByTheNextPointMade()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "legal")).FullName;
        File.WriteAllText(Path.Combine(data, "contract.txt"), "signed");
        var client = Client(server);
        var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(12), TimeZoneInfo.Local);
        await CreateGroupAsync(client, "Legal", 15, $"Daily {farOff:HH:mm}", "folder:" + data);
        await WaitForJobsAsync(client, 1, clock);

        Directory.Move(data, data + ".away"); // the folder is gone when the next synchronization comes
        clock.Advance(TimeSpan.FromMinutes(15));
        var jobs = await WaitForJobsAsync(client, 2, clock);
        Assert.Equal(("ExpressFull", "Failed"), (jobs[0].Type, jobs[0].State));
        var failed = Assert.Single((await client.GetAlertsAsync(false, CancellationToken.None)).Value!);
        Assert.Equal(("RecoveryPointFailed", "Critical", true), (failed.Type, failed.Severity, failed.IsActive));
        Assert.Contains(data, failed.Message, StringComparison.Ordinal);

        Directory.Move(data + ".away", data);
        clock.Advance(TimeSpan.FromMinutes(15));
        jobs = await WaitForJobsAsync(client, 3, clock);
        Assert.Equal(("ExpressFull", "Succeeded"), (jobs[0].Type, jobs[0].State));
        var resolved = Assert.Single((await client.GetAlertsAsync(true, CancellationToken.None)).Value!, a => a.Type == "RecoveryPointFailed");
        Assert.False(resolved.IsActive);
        Assert.Contains("was made", resolved.Resolution, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NightlyPrune_RemovesPointsBeyondTheLimit_AndGarbageCollectionGivesTheirSpaceBack()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "media")).FullName;
        var payload = new byte[8 << 20];
        Random.Shared.NextBytes(payload);
        File.WriteAllBytes(Path.Combine(data, "video.bin"), payload);
        var client = Client(server);
        var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(12), TimeZoneInfo.Local);
        Assert.Null((await client.CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = "Media", Policy = new ProtectionPolicyDto { SynchronizationMinutes = 15, RecoveryPointTimes = [$"Daily {farOff:HH:mm}"], MaxFileRecoveryPoints = 1 } },
            CancellationToken.None)).Problem);
        Assert.Null((await client.AddToProtectionGroupAsync("Media", new GroupMemberDto { DataSourceId = "folder:" + data }, CancellationToken.None)).Problem);
        await WaitForJobsAsync(client, 1, null);
        Random.Shared.NextBytes(payload);
        File.WriteAllBytes(Path.Combine(data, "video.bin"), payload); // the first point's 8 MiB are now its own
        clock.Advance(TimeSpan.FromMinutes(15));
        await WaitForJobsAsync(client, 2, clock); // ticking: a fire found late is picked up by the misfire scan, which sleeps on this clock
        var replica = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value![0];
        var pool = Path.Combine(server.DataDirectory, "pool");
        var before = SizeOf(pool);

        // Night one: the prune removes the older point (the limit is one), and garbage collection condemns its packs
        // once they are older than its grace period (an hour: a test that starts just before midnight needs one
        // more night for that); the night after, the condemned packs are past their grace period and go.
        foreach (var night in new[] { 1, 2, 3 })
        {
            var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), TimeZoneInfo.Local);
            clock.Advance(local.Date.AddDays(1) - local.DateTime + TimeSpan.FromMinutes(1));
            using var deadline = new CancellationTokenSource(Deadline);
            while ((await client.GetJobsAsync(CancellationToken.None)).Value!.Count(j => j.Type == "Prune" && j.State == "Succeeded") < night)
            {
                await Task.Delay(100, deadline.Token); // no ticking here: the test measures what exactly two nights do
            }

            await WaitUntilNothingIsDueAsync(server, clock);
        }

        // What is left: the newest point of the last prune, and perhaps the catch-up synchronization made after it.
        var points = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
        Assert.InRange(points.Count, 1, 2);
        Assert.DoesNotContain(points, p => p.Id == replica.Id);
        var freed = before - SizeOf(pool);
        Assert.True(freed >= 7 << 20, $"garbage collection freed {freed} bytes of the pruned replica's 8 MiB");
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal((points.Count, 0, 0), (verify.RecoveryPoints, verify.Damaged.Count, verify.Problems.Count));
    }

    [Fact]
    public async Task NightlyCloudCopy_CopiesTheDaysRecoveryPoints_At0200()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var copyFolder = Directory.CreateTempSubdirectory("dpm-copy-").FullName;
        try
        {
            await using var server = await RunningServer.StartAsync(
                clock, ["--Dpm:CloudCopy:Plugin=Dpm.Storage.Disk", $"--Dpm:CloudCopy:Settings:Path={copyFolder}"], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
            var data = Directory.CreateDirectory(Path.Combine(server.Root, "design")).FullName;
            File.WriteAllText(Path.Combine(data, "plan.txt"), "v1");
            var client = Client(server);
            var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(12), TimeZoneInfo.Local);
            await CreateGroupAsync(client, "Design", null, $"Daily {farOff:HH:mm}", "folder:" + data);
            await WaitForJobsAsync(client, 1, clock);
            Assert.Empty(Directory.EnumerateFiles(copyFolder, "*", SearchOption.AllDirectories));

            var local = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), TimeZoneInfo.Local);
            var next0200 = local.Date.AddHours(2) > local.DateTime ? local.Date.AddHours(2) : local.Date.AddDays(1).AddHours(2);
            clock.Advance(next0200 - local.DateTime + TimeSpan.FromMinutes(1));
            using (var deadline = new CancellationTokenSource(Deadline))
            {
                while (!(await client.GetJobsAsync(CancellationToken.None)).Value!.Any(j => j.Type == "CloudCopy" && j.State == "Succeeded"))
                {
                    await TickAsync(clock, deadline.Token);
                }
            }

            var point = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value![0];
            Assert.Contains(Directory.EnumerateFiles(Path.Combine(copyFolder, "manifests"), "*", SearchOption.AllDirectories), f => f.EndsWith(point.Id, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(copyFolder, recursive: true);
        }
    }

    private static long SizeOf(string folder) => new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>The synchronizations and checks among the jobs (not the prunes), newest first.</summary>
    private static async Task<List<JobInfo>> SynchronizationsAsync(DpmManagementClient client) =>
        [.. (await client.GetJobsAsync(CancellationToken.None)).Value!.Where(j => j.Type != "Prune")];

    private static async Task CreateGroupAsync(DpmManagementClient client, string name, int? syncMinutes, string recoveryPointTime, string dataSourceId, int slaHours = 24)
    {
        var created = await client.CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = name, Policy = new ProtectionPolicyDto { SynchronizationMinutes = syncMinutes, RecoveryPointTimes = [recoveryPointTime], SlaHours = slaHours } }, CancellationToken.None);
        Assert.Null(created.Problem);
        var added = await client.AddToProtectionGroupAsync(name, new GroupMemberDto { DataSourceId = dataSourceId }, CancellationToken.None);
        Assert.Null(added.Problem);
    }

    /// <summary>Waits (in real time, up to a deadline) until at least <paramref name="count"/> jobs have finished; the newest first.</summary>
    private static async Task<List<JobInfo>> WaitForJobsAsync(DpmManagementClient client, int count, FakeTimeProvider? clock)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var jobs = await SynchronizationsAsync(client);
            if (jobs.Count(j => j.State != "Running") >= count)
            {
                return jobs;
            }

            if (clock is null)
            {
                await Task.Delay(100, deadline.Token);
            }
            else
            {
                await TickAsync(clock, deadline.Token);
            }
        }
    }

    /// <summary>
    /// Waits a moment while the fake clock goes on a little (200 ms a tick): the scheduler's misfire scan sleeps on
    /// that clock, and a scan armed just after the test moved it would otherwise never wake.
    /// </summary>
    private static async Task TickAsync(FakeTimeProvider clock, CancellationToken cancellationToken)
    {
        await Task.Delay(100, cancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Waits until no trigger is due on the fake clock and no fire is running, so that nothing more happens until the clock moves.</summary>
    private static async Task WaitUntilNothingIsDueAsync(RunningServer server, TimeProvider clock)
    {
        var scheduler = server.App.Services.GetRequiredKeyedService<IScheduler>(server.SchedulerName);
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var keys = await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.AnyGroup());
            var due = false;
            foreach (var key in keys)
            {
                var next = (await scheduler.GetTrigger(key))?.NextFireTimeUtc;
                due |= next is { } at && at <= clock.GetUtcNow();
            }

            var firing = await scheduler.QueryFireInstances(new FireInstanceQuery());
            if (!due && firing.Items.Count == 0)
            {
                return;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}

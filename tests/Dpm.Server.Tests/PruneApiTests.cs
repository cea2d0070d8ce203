using Dpm.Management;
using Dpm.Server.Protection;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Server.Tests;

/// <summary>
/// Retention through the server: real synchronizations of a real folder over two weeks of a clock the test moves,
/// then a prune that removes what the protection group no longer keeps, from the pool and the catalog alike.
/// </summary>
public sealed class PruneApiTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task Prune_GroupMemberSynchronizedOverTwoWeeks_ExpiredPointsLeaveThePoolAndTheCatalog_AsAPruneJob()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-30));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        var member = Directory.CreateDirectory(Path.Combine(server.Root, "finance")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(server.Root, "scratch")).FullName;
        File.WriteAllText(Path.Combine(outside, "notes.txt"), "not protected by a group");
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Finance", Policy = new ProtectionPolicyDto { RetentionDays = 5 } }, CancellationToken.None);
        await client.AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:" + member }, CancellationToken.None);
        var outsidePoint = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + outside }, CancellationToken.None);
        var made = new List<RecoveryPointSummary>();
        for (var day = 0; day <= 12; day += 3)
        {
            File.WriteAllText(Path.Combine(member, $"day-{day}.txt"), $"ledger of day {day}");
            var sync = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + member }, CancellationToken.None);
            Assert.True(sync.Succeeded, sync.Problem?.Detail);
            made.Add(sync.Value!.RecoveryPoint);
            clock.Advance(TimeSpan.FromDays(3));
        }

        // Now day 15: the points of days 0, 3, 6 and 9 are past the 5-day range; the folder outside the group is older still.
        var pruned = await client.PruneAsync(CancellationToken.None);

        Assert.True(pruned.Succeeded, pruned.Problem?.Detail);
        Assert.Equal((4, 1), (pruned.Value!.RecoveryPoints, pruned.Value.DataSources));
        Assert.Empty(pruned.Value.Problems);
        Assert.Equal(made.Take(4).Sum(p => p.StoredBytes), pruned.Value.StoredBytes);
        var listed = (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!;
        string[] kept = [.. new[] { outsidePoint.Value!.RecoveryPoint.Id, made[4].Id }.Order(StringComparer.Ordinal)];
        Assert.Equal(kept, listed.Select(p => p.Id).Order(StringComparer.Ordinal));
        var pool = server.App.Services.GetRequiredService<PoolHost>().Pool!;
        Assert.Equal(kept, (await pool.ListRecoveryPointIdsAsync(CancellationToken.None)).Select(p => p.RecoveryPointId).Order(StringComparer.Ordinal));
        var verified = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.True(verified.IsHealthy);
        Assert.Equal(2, verified.RecoveryPoints);
        var job = (await client.GetJobsAsync(CancellationToken.None)).Value![0];
        Assert.Equal(("Prune", "Succeeded", 4L, pruned.Value.StoredBytes), (job.Type, job.State, job.ItemsDone, job.BytesDone));
        Assert.Equal(pruned.Value.JobId, job.Id);

        // Months without a synchronization: the last good point stays all the same, and the next synchronization continues from it.
        clock.Advance(TimeSpan.FromDays(150));
        var later = await client.PruneAsync(CancellationToken.None);
        Assert.Equal(0, later.Value!.RecoveryPoints);
        Assert.Equal(kept, (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!.Select(p => p.Id).Order(StringComparer.Ordinal));
        File.WriteAllText(Path.Combine(member, "after.txt"), "after the prune");
        var next = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + member }, CancellationToken.None);
        Assert.True(next.Succeeded, next.Problem?.Detail);
        Assert.Equal(3, (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!.Count);
    }

    [Fact]
    public async Task Prune_SecondPointWithinTheRange_NothingGoes_ButTheRunIsStillAJob()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-30));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        var member = Directory.CreateDirectory(Path.Combine(server.Root, "finance")).FullName;
        File.WriteAllText(Path.Combine(member, "ledger.txt"), "numbers");
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Finance", Policy = new ProtectionPolicyDto { RetentionDays = 5 } }, CancellationToken.None);
        await client.AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:" + member }, CancellationToken.None);
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + member }, CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(4));
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + member }, CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(1));

        var pruned = await client.PruneAsync(CancellationToken.None);

        Assert.Equal(0, pruned.Value!.RecoveryPoints);
        Assert.Equal(2, (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!.Count);
        var job = (await client.GetJobsAsync(CancellationToken.None)).Value![0];
        Assert.Equal(("Prune", "Succeeded", 0L), (job.Type, job.State, job.ItemsDone));
    }
}

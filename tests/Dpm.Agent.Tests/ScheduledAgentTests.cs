using System.Text;
using Dpm.Management;
using Dpm.Server.Agents;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Dpm.Agent.Tests;

/// <summary>
/// A data source of another computer in a protection group: the server's schedule has that computer's running
/// agent (<c>dpm-agent run</c>, a process) do the replica creation, and a synchronization asked through the
/// management API too, each a job of the server with the agent's progress; an agent that isn't running fails
/// the job with the reason and raises recovery-point-failed.
/// </summary>
public sealed class ScheduledAgentTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-scheduled-agent-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ScheduleFires_TheRunningAgentProtectsItsFolder_AndAStoppedAgentFailsTheJobWithTheReason()
    {
        var agents = new AgentFixture(_root);
        await using var server = await RunningServer.StartAsync([], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        await agents.AttachAsync(client, "branch9");
        var data = AgentFixture.RandomFolder(Path.Combine(_root, "ledgers"), files: 3, bytesEach: 1 << 20, seed: 9);
        var log = new StringBuilder();
        using var running = ProcessRunner.Start("dpm-agent.dll", agents.Environment("branch9"), log, "run");
        var dispatcher = server.App.Services.GetRequiredService<AgentDispatcher>();
        await WaitAsync(() => Task.FromResult(dispatcher.IsConnected("branch9")), "the running agent to take work", log);

        Assert.True((await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Branches" }, CancellationToken.None)).Succeeded);
        var added = await client.AddToProtectionGroupAsync("Branches", new GroupMemberDto { DataSourceId = "folder:" + data, Computer = "branch9" }, CancellationToken.None);
        Assert.True(added.Succeeded, added.Problem?.Detail);

        // The schedule makes the replica at once, on the agent.
        await WaitAsync(async () => (await client.GetJobsAsync(CancellationToken.None)).Value!.Any(j => j.Type == "ReplicaCreation" && j.State == "Succeeded"), "the scheduled replica creation", log);
        var points = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
        Assert.Equal("branch9", Assert.Single(points).Computer);

        File.WriteAllText(Path.Combine(data, "new.txt"), "a new ledger");
        var synchronized = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data, Computer = "branch9" }, CancellationToken.None);
        Assert.True(synchronized.Succeeded, synchronized.Problem?.Detail);
        Assert.Equal("branch9", synchronized.Value!.RecoveryPoint.Computer);
        Assert.Equal(1, synchronized.Value.ItemsRead); // the new file; the others are unchanged
        var express = (await client.GetJobsAsync(CancellationToken.None)).Value!.First(j => j.Type == "ExpressFull");
        Assert.Equal("Succeeded", express.State);

        // A cancel reaches the agent: a slow synchronization (the computer throttled to 64 KiB/s) stops, makes no point.
        Assert.True((await client.SetThrottleAsync("branch9", new AgentThrottle(64 << 10, 64 << 10, [], "09:00", "17:00"), CancellationToken.None)).Succeeded);
        AgentFixture.RandomFolder(Path.Combine(data, "more"), files: 1, bytesEach: 4 << 20, seed: 10);
        var slow = client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data, Computer = "branch9" }, CancellationToken.None);
        JobInfo? job = null;
        await WaitAsync(async () => (job = (await client.GetJobsAsync(CancellationToken.None)).Value!.FirstOrDefault(j => j.State == "Running")) is not null, "the slow synchronization to run", log);
        Assert.True((await client.CancelJobAsync(job!.Id, CancellationToken.None)).Succeeded);
        var cancelled = await slow;

        Assert.False(cancelled.Succeeded);
        Assert.Contains("was cancelled on request; no recovery point was made", cancelled.Problem!.Detail, StringComparison.Ordinal);
        Assert.Equal("Cancelled", (await client.GetJobAsync(job.Id, CancellationToken.None)).Value!.State);
        Assert.Equal(2, (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!.Count);

        running.Kill(entireProcessTree: true);
        await running.WaitForExitAsync();
        await WaitAsync(() => Task.FromResult(!dispatcher.IsConnected("branch9")), "the server to see the agent go", log);
        var refused = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data, Computer = "branch9" }, CancellationToken.None);

        Assert.False(refused.Succeeded);
        Assert.Contains("the agent of branch9 is not connected to this server (is 'dpm-agent run' running there?)", refused.Problem!.Detail, StringComparison.Ordinal);
        var alert = Assert.Single((await client.GetAlertsAsync(false, CancellationToken.None)).Value!, a => a.Type == "RecoveryPointFailed");
        Assert.Equal($"branch9/folder:{data}", alert.Subject);
        Assert.Equal("Failed", (await client.GetJobsAsync(CancellationToken.None)).Value![0].State);
    }

    private static async Task WaitAsync(Func<Task<bool>> done, string what, StringBuilder log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited too long for {what}; the agent wrote: {log}");
            await Task.Delay(100);
        }
    }
}

using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Shell.Tests;

/// <summary>
/// End to end through the shell, on a server on its embedded defaults (SQLite catalog, disk pool in its data
/// directory): a protection group with a 15-minute synchronization, recovery points made by the scheduler alone,
/// listed and recovered. The server's clock is injected, so 15 minutes pass when the test says so.
/// </summary>
public sealed class ScheduledProtectionTests
{
    [Fact]
    public async Task GroupWith15MinuteSynchronization_TheSchedulerMakesPoints_ListedAndRecoveredThroughTheShell()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "payroll")).FullName;
        File.WriteAllText(Path.Combine(data, "march.csv"), "alice,100\nbob,200\n");
        var dataSource = "folder:" + data;
        var farOff = TimeZoneInfo.ConvertTime(clock.GetUtcNow().AddHours(12), TimeZoneInfo.Local);

        var created = await Dpm("protection-group", "new", "Payroll", "--sync-minutes", "15", "--recovery-point-time", $"Daily {farOff:HH:mm}", "--retention-days", "10");
        var added = await Dpm("protection-group", "add-datasource", "Payroll", dataSource);
        Assert.Equal((0, 0), (created.ExitCode, added.ExitCode));

        await WaitForPointsAsync(server, clock, dataSource, 1); // replica creation, at once
        File.WriteAllText(Path.Combine(data, "march.csv"), "alice,100\nbob,250\n");
        clock.Advance(TimeSpan.FromMinutes(15));
        await WaitForPointsAsync(server, clock, dataSource, 2); // the first scheduled express full

        var listed = await Dpm("recovery-point", "get", "--datasource", dataSource);
        var points = JsonSerializer.Deserialize<List<RecoveryPointSummary>>((await Dpm("recovery-point", "get", "--datasource", dataSource, "--json")).Output, ManagementJson.Options)!;
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Contains(p.Id, listed.Output, StringComparison.Ordinal));
        var jobs = JsonSerializer.Deserialize<List<JobInfo>>((await Dpm("job", "get", "--json")).Output, ManagementJson.Options)!;
        Assert.Equal([("ExpressFull", "Succeeded"), ("ReplicaCreation", "Succeeded")], jobs.Where(j => j.Type != "Prune").Select(j => (j.Type, j.State)));

        var target = Path.Combine(server.Root, "recovered");
        var recovered = await Dpm("recover", "--recovery-point", points[0].Id, "--target", target);
        Assert.Equal(0, recovered.ExitCode);
        Assert.Equal("alice,100\nbob,200\n", File.ReadAllText(Path.Combine(target, "march.csv"))); // as it was before the change
        var recovery = Assert.Single(JsonSerializer.Deserialize<List<JobInfo>>((await Dpm("job", "get", "--json")).Output, ManagementJson.Options)!, j => j.Type == "Recovery"); // a recovery is a job too
        Assert.Equal(("Succeeded", dataSource), (recovery.State, recovery.DataSourceId));
        Assert.True(recovery.BytesDone >= "alice,100\nbob,200\n".Length);

        async Task<ProcessRunner.Result> Dpm(params string[] args) => await ShellRunner.RunAsync(["--server", server.Url, .. args]);
    }

    private static async Task WaitForPointsAsync(RunningServer server, FakeTimeProvider clock, string dataSource, int count)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        var management = new DpmManagementClient(client);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while ((await management.GetRecoveryPointsAsync(dataSource, CancellationToken.None)).Value!.Count < count)
        {
            await Task.Delay(100, deadline.Token);
            clock.Advance(TimeSpan.FromMilliseconds(200)); // time goes on a little: the scheduler's misfire scan sleeps on this clock
        }
    }
}

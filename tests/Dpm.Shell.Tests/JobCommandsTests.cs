using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary>'dpm job watch' and 'dpm job cancel' against a real server: jobs that ended, jobs that run, and ids that name no job.</summary>
public sealed class JobCommandsTests
{
    private const string Disk = "Dpm.Storage.Disk";
    private const string Files = "Dpm.Workloads.Files";

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task WatchAndCancel_EndedAndUnknownJobs_WatchShowsTheEnd_CancelRefused_UnknownIdsSaySo()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);
        var id = Assert.Single((await Client(server).GetJobsAsync(CancellationToken.None)).Value!).Id.ToString();
        var unknown = Guid.NewGuid().ToString();

        var list = await ShellRunner.RunAsync("--server", server.Url, "job", "get");
        var watch = await ShellRunner.RunAsync("--server", server.Url, "job", "watch", id);
        var watchJson = await ShellRunner.RunAsync("--server", server.Url, "job", "watch", id, "--json");
        var cancel = await ShellRunner.RunAsync("--server", server.Url, "job", "cancel", id);
        var watchUnknown = await ShellRunner.RunAsync("--server", server.Url, "job", "watch", unknown);
        var cancelUnknown = await ShellRunner.RunAsync("--server", server.Url, "job", "cancel", unknown, "--json");
        var notAnId = await ShellRunner.RunAsync("--server", server.Url, "job", "watch", "yesterday");

        Assert.Contains(id, list.Output, StringComparison.Ordinal);
        Assert.Equal(0, watch.ExitCode);
        Assert.Contains($"Job {id} Succeeded: ", watch.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Watching", watch.Output, StringComparison.Ordinal); // it had ended: nothing to follow
        Assert.Equal(0, watchJson.ExitCode);
        var job = JsonSerializer.Deserialize<JobInfo>(watchJson.Output, ManagementJson.Options)!;
        Assert.Equal((id, "Succeeded", "ReplicaCreation"), (job.Id.ToString(), job.State, job.Type));
        Assert.Equal(1, cancel.ExitCode);
        Assert.Contains($"job {id} already ended (Succeeded at ", cancel.Error, StringComparison.Ordinal);
        Assert.Contains("there is nothing to cancel", cancel.Error, StringComparison.Ordinal);
        Assert.Equal((1, $"dpm: there is no job {unknown}"), (watchUnknown.ExitCode, watchUnknown.Error.Trim()));
        Assert.Equal((1, $"dpm: there is no job {unknown}"), (cancelUnknown.ExitCode, cancelUnknown.Error.Trim()));
        Assert.Equal("", cancelUnknown.Output);
        Assert.Equal(2, notAnId.ExitCode);
        Assert.Contains("'yesterday' is not a job id", notAnId.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAndCancel_RunningJobs_CancelAsksForIt_WatchFollowsUntilCancelled_ThenExitsNonZero()
    {
        await using var server = await RunningServer.StartAsync(LongSynchronization.QuickJobSettings, Disk, Files);
        var client = Client(server);
        var first = Directory.CreateDirectory(Path.Combine(server.Root, "first")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(server.Root, "second")).FullName;
        LongSynchronization.AddRandomFiles(first, files: 96);
        LongSynchronization.AddRandomFiles(second, files: 96);
        var firstSync = LongSynchronization.Start(client, first);
        var secondSync = LongSynchronization.Start(client, second);
        var firstJob = (await firstSync.WaitForJobAsync(j => j is { State: "Running", BytesDone: > 0 }, "running with progress")).Id.ToString();
        var secondJob = (await secondSync.WaitForJobAsync(j => j is { State: "Running", BytesDone: > 0 }, "running with progress")).Id.ToString();

        using var watch = ShellRunner.Start("--server", server.Url, "job", "watch", firstJob);
        using var watchJson = ShellRunner.Start("--server", server.Url, "job", "watch", secondJob, "--json");
        await watch.WaitForOutputAsync($"Watching job {firstJob}: ReplicaCreation of folder:{first}");
        var cancels = await Task.WhenAll(
            ShellRunner.RunAsync("--server", server.Url, "job", "cancel", firstJob),
            ShellRunner.RunAsync("--server", server.Url, "job", "cancel", secondJob, "--json"));
        var (cancel, cancelJson) = (cancels[0], cancels[1]);
        var watched = await watch.WaitForExitAsync();
        var watchedJson = await watchJson.WaitForExitAsync();

        Assert.Equal(0, cancel.ExitCode);
        Assert.Contains($"Cancel requested for job {firstJob} (ReplicaCreation of folder:{first}", cancel.Output, StringComparison.Ordinal);
        Assert.Equal(0, cancelJson.ExitCode);
        var asked = JsonSerializer.Deserialize<JobInfo>(cancelJson.Output, ManagementJson.Options)!;
        Assert.Equal((secondJob, true), (asked.Id.ToString(), asked.CancelRequested));
        Assert.Equal(3, watched.ExitCode);
        Assert.Contains($"Job {firstJob} Cancelled (cancelled on request) after ", watched.Output, StringComparison.Ordinal);
        Assert.Equal(3, watchedJson.ExitCode);
        var ended = JsonSerializer.Deserialize<JobInfo>(watchedJson.Output, ManagementJson.Options)!;
        Assert.Equal((secondJob, "Cancelled", "cancelled on request"), (ended.Id.ToString(), ended.State, ended.Error));
        Assert.Equal(409, (await firstSync.Outcome).Problem?.Status);
        Assert.Equal(409, (await secondSync.Outcome).Problem?.Status);
    }
}

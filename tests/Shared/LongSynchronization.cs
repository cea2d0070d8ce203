using Dpm.Management;

namespace Dpm.Tests;

/// <summary>
/// A synchronization that takes a while — a folder of random files, a few hundred MiB — started in the background,
/// and a way to wait for its job to be seen in a state (asking the server again and again, for at most a minute).
/// </summary>
public sealed class LongSynchronization
{
    /// <summary>Settings that make a server write progress and look for cancels often, so that a test sees both early.</summary>
    public static readonly IReadOnlyList<string> QuickJobSettings = ["--Dpm:Jobs:ProgressInterval=00:00:00.100", "--Dpm:Jobs:CancelPollInterval=00:00:00.200"];

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);
    private readonly DpmManagementClient _watcher;

    private LongSynchronization(DpmManagementClient watcher, string dataSourceId, Task<ApiResult<SynchronizationOutcome>> outcome) =>
        (_watcher, DataSourceId, Outcome) = (watcher, dataSourceId, outcome);

    public string DataSourceId { get; }

    /// <summary>The answer to the synchronization request, when it ends.</summary>
    public Task<ApiResult<SynchronizationOutcome>> Outcome { get; }

    /// <summary>Writes <paramref name="files"/> files of 4 MiB of random bytes each into <paramref name="folder"/>.</summary>
    public static void AddRandomFiles(string folder, int files)
    {
        var buffer = new byte[4 << 20];
        for (var i = 0; i < files; i++)
        {
            Random.Shared.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(folder, $"random-{i:D4}.bin"), buffer);
        }
    }

    /// <summary>
    /// Starts synchronizing <paramref name="folder"/> through <paramref name="runner"/> without waiting for the end;
    /// its job is watched through <paramref name="watcher"/> (the same server, or another sharing its catalog).
    /// </summary>
    public static LongSynchronization Start(DpmManagementClient runner, string folder, DpmManagementClient? watcher = null)
    {
        var dataSourceId = "folder:" + folder;
        return new LongSynchronization(watcher ?? runner, dataSourceId, runner.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = dataSourceId }, CancellationToken.None));
    }

    /// <summary>The newest job of the data source once it satisfies <paramref name="condition"/>; fails when the synchronization ends first.</summary>
    public async Task<JobInfo> WaitForJobAsync(Func<JobInfo, bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var jobs = await _watcher.GetJobsAsync(CancellationToken.None);
            Assert.True(jobs.Succeeded, jobs.Problem?.Detail);
            if (jobs.Value!.FirstOrDefault(j => j.DataSourceId == DataSourceId) is { } job && condition(job))
            {
                return job;
            }

            if (Outcome.IsCompleted)
            {
                var outcome = await Outcome;
                Assert.Fail($"the synchronization ended before its job was {what}: {(outcome.Succeeded ? "it succeeded" : outcome.Problem!.Detail)}");
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"the job of {DataSourceId} was not {what} within {Patience.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}

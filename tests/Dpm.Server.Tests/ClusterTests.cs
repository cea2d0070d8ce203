using System.Globalization;
using Dpm.Catalog;
using Dpm.Management;
using Dpm.Tests;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Server.Tests;

/// <summary>
/// Two server processes sharing one schedule through a catalog on a real PostgreSQL (Quartz clustered) and one
/// storage pool: every fire runs once, and when the server running a job is killed the other one retries it and
/// keeps the schedule.
/// </summary>
public sealed class ClusterTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);
    private readonly Lazy<PostgresServer> _postgres = new(() => new PostgresServer());
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-cluster-").FullName;
    private readonly Dictionary<string, ServerProcess> _servers = [];

    [Fact]
    public async Task TwoServers_EachFireRunsOnce_AndAKilledServersJobIsRetriedByTheOther_PoolStaysConsistent()
    {
        var plugins = Path.Combine(_root, "plugins");
        FixturePlugins.CopyTo(plugins, "Dpm.Storage.Disk");
        FixturePlugins.CopyTo(plugins, "Dpm.Workloads.Files");
        await StartServerAsync("node-a", plugins, Postgres()); // the first one creates the pool; the second opens it
        await StartServerAsync("node-b", plugins, Postgres());
        var small = Enumerable.Range(1, 3).Select(i => Folder($"small-{i}", files: 20, bytes: 64 * 1024)).ToList();

        // A recovery point time at least 90 s on: the scheduled express fulls that both servers could fire.
        var at = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddSeconds(150), TimeZoneInfo.Local);
        var client = Client("node-a");
        Assert.Null((await client.CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = "Cluster", Policy = new ProtectionPolicyDto { SynchronizationMinutes = null, RecoveryPointTimes = [$"Daily {at:HH:mm}"] } },
            CancellationToken.None)).Problem);
        Assert.Null((await client.GetProtectionGroupsAsync(CancellationToken.None)).Value!.Single().Policy.SynchronizationMinutes); // just before each recovery point
        foreach (var folder in small)
        {
            Assert.Null((await client.AddToProtectionGroupAsync("Cluster", new GroupMemberDto { DataSourceId = "folder:" + folder }, CancellationToken.None)).Problem);
        }

        // Replica creation at once: one job per data source, on whichever server took the fire.
        var replicas = await WaitForJobsAsync(jobs => jobs.Count(j => j.State == JobState.Succeeded) >= small.Count);
        Assert.Equal(small.Select(f => "folder:" + f).Order(), replicas.Select(j => j.DataSourceId).Order());
        Assert.All(replicas, j => Assert.Equal(JobType.ReplicaCreation, j.Type));

        // A big data source: kill -9 the server that runs its replica creation.
        var big = Folder("big", files: 6, bytes: 64 * 1024 * 1024);
        Assert.Null((await client.AddToProtectionGroupAsync("Cluster", new GroupMemberDto { DataSourceId = "folder:" + big }, CancellationToken.None)).Problem);
        var running = (await WaitForJobsAsync(jobs => jobs.Any(j => j.DataSourceId == "folder:" + big && j.State == JobState.Running)))
            .First(j => j.DataSourceId == "folder:" + big && j.State == JobState.Running);
        var victim = running.Server!;
        var survivor = victim == "node-a" ? "node-b" : "node-a";
        await _servers[victim].KillAsync();

        var retried = await WaitForJobsAsync(jobs => jobs.Any(j => j.DataSourceId == "folder:" + big && j.State == JobState.Succeeded));
        var bigJobs = retried.Where(j => j.DataSourceId == "folder:" + big).OrderBy(j => j.CreatedAt).ToList();
        Assert.Equal(2, bigJobs.Count);
        Assert.Equal((JobState.Failed, victim, 1), (bigJobs[0].State, bigJobs[0].Server, bigJobs[0].Attempt));
        Assert.StartsWith(JobBook.Interrupted, bigJobs[0].Error, StringComparison.Ordinal);
        Assert.Equal((JobState.Succeeded, survivor, 2, JobType.ReplicaCreation), (bigJobs[1].State, bigJobs[1].Server, bigJobs[1].Attempt, bigJobs[1].Type));

        // The survivor keeps the whole schedule: at the recovery point time, one express full per data source.
        var all = await WaitForJobsAsync(jobs => jobs.Count(j => j.Type == JobType.ExpressFull && j.State == JobState.Succeeded) >= small.Count + 1);
        await Task.Delay(TimeSpan.FromSeconds(5)); // long enough for a duplicate fire to show up, if there were one
        all = await WaitForJobsAsync(_ => true);
        var fulls = all.Where(j => j.Type == JobType.ExpressFull).ToList();
        Assert.Equal(small.Select(f => "folder:" + f).Append("folder:" + big).Order(), fulls.Select(j => j.DataSourceId).Order());
        Assert.All(fulls, j => Assert.Equal((JobState.Succeeded, survivor), (j.State, j.Server)));

        // The pool is consistent: every recovery point reads back whole.
        var verify = (await Client(survivor).VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Empty(verify.Damaged);
        Assert.Empty(verify.Problems);
        Assert.Equal(small.Count * 2 + 2, verify.RecoveryPoints);
    }

    [Fact]
    public async Task LoneServer_KilledDuringAJob_MarksItInterruptedAndRetriesItWhenItStartsAgain()
    {
        var plugins = Path.Combine(_root, "plugins");
        FixturePlugins.CopyTo(plugins, "Dpm.Storage.Disk");
        FixturePlugins.CopyTo(plugins, "Dpm.Workloads.Files");
        await StartServerAsync("lone", plugins, []); // embedded defaults: the catalog and the schedule in one SQLite file
        var big = "folder:" + Folder("big", files: 6, bytes: 64 * 1024 * 1024);
        var at = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(12), TimeZoneInfo.Local);
        var client = Client("lone");
        Assert.Null((await client.CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = "Lone", Policy = new ProtectionPolicyDto { SynchronizationMinutes = null, RecoveryPointTimes = [$"Daily {at:HH:mm}"] } }, CancellationToken.None)).Problem);
        Assert.Null((await client.AddToProtectionGroupAsync("Lone", new GroupMemberDto { DataSourceId = big }, CancellationToken.None)).Problem);

        await WaitForAsync(client, jobs => jobs.Any(j => j.DataSourceId == big && j.State == "Running"));
        await _servers["lone"].KillAsync();
        await StartServerAsync("lone", plugins, []);

        var jobs = await WaitForAsync(Client("lone"), jobs => jobs.Any(j => j.State == "Succeeded"));
        Assert.Equal(2, jobs.Count);
        Assert.Equal(("ReplicaCreation", "Succeeded", 2), (jobs[0].Type, jobs[0].State, jobs[0].Attempt));
        Assert.Equal(("ReplicaCreation", "Failed", 1), (jobs[1].Type, jobs[1].State, jobs[1].Attempt));
        Assert.StartsWith(JobBook.Interrupted, jobs[1].Error, StringComparison.Ordinal);
        var verify = (await Client("lone").VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal((1, 0, 0), (verify.RecoveryPoints, verify.Damaged.Count, verify.Problems.Count));
    }

    private string[] Postgres() =>
        ["--Dpm:Catalog:Provider=Postgres", $"--Dpm:Catalog:ConnectionString={_postgres.Value.ConnectionString()}", "--Dpm:Scheduler:CheckinIntervalSeconds=2"];

    /// <summary>Asks a server for its jobs (newest first) until they satisfy <paramref name="done"/>.</summary>
    private static async Task<IReadOnlyList<JobInfo>> WaitForAsync(DpmManagementClient client, Func<IReadOnlyList<JobInfo>, bool> done)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var jobs = (await client.GetJobsAsync(CancellationToken.None)).Value!.Where(j => j.Type != "Prune").ToList();
            if (done(jobs))
            {
                return jobs;
            }

            Assert.True(DateTime.UtcNow < deadline, "waited too long; jobs: " + string.Join("; ", jobs.Select(j => $"{j.Type} {j.State} #{j.Attempt} {j.Error}")));
            await Task.Delay(200);
        }
    }

    private DpmManagementClient Client(string server) => new(new HttpClient { BaseAddress = new Uri(_servers[server].Url) });

    private string Folder(string name, int files, int bytes)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "data", name)).FullName;
        var buffer = new byte[bytes];
        for (var i = 0; i < files; i++)
        {
            Random.Shared.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(folder, $"file-{i}.bin"), buffer);
        }

        return folder;
    }

    private async Task StartServerAsync(string name, string plugins, string[] settings)
    {
        _servers[name] = await ServerProcess.StartAsync(Path.Combine(_root, name + ".log"),
        [
            $"--Dpm:DataDirectory={Path.Combine(_root, name)}", $"--Dpm:Plugins:Directory={plugins}",
            $"--Dpm:Pool:Path={Path.Combine(_root, "pool")}", $"--Dpm:Pool:KeyFile={Path.Combine(_root, "pool.key")}",
            $"--Dpm:Catalog:ServerName={name}", "--Dpm:Agents:Url=https://127.0.0.1:0", .. settings,
        ]);
    }

    /// <summary>Reads the shared catalog until the jobs satisfy <paramref name="done"/> (in real time, up to a deadline).</summary>
    private async Task<List<Job>> WaitForJobsAsync(Func<List<Job>, bool> done)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await using var catalog = Catalogs.Create(CatalogProvider.Postgres, _postgres.Value.ConnectionString());
            var jobs = await catalog.Jobs.AsNoTracking().ToListAsync();
            if (done(jobs))
            {
                return jobs;
            }

            Assert.True(DateTime.UtcNow < deadline, "waited too long; jobs: " + string.Join("; ", jobs.Select(j => string.Create(CultureInfo.InvariantCulture, $"{j.Type} {j.DataSourceId} {j.State} on {j.Server} #{j.Attempt} {j.Error}"))));
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        foreach (var server in _servers.Values)
        {
            server.Dispose();
        }

        if (_postgres.IsValueCreated)
        {
            _postgres.Value.Dispose();
        }

        if (Environment.GetEnvironmentVariable("DPM_KEEP_TEST_FILES") is null)
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

using Dpm.Catalog;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Server.Tests;

/// <summary>Jobs: each synchronization is a row with its result; a job cut off by a stop is marked failed at the next start.</summary>
public sealed class JobApiTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task Jobs_EachSynchronizationARow_AndOneCutOffByAStopMarkedFailed()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "a.txt"), "alpha");
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };
        await Client(server).SynchronizeAsync(request, CancellationToken.None);
        File.WriteAllText(Path.Combine(data, "b.txt"), "beta");
        await Client(server).SynchronizeAsync(request, CancellationToken.None);
        var catalogFile = $"Data Source={Path.Combine(server.DataDirectory, "catalog.db")};Pooling=False";
        var serverName = (await Client(server).GetJobsAsync(CancellationToken.None)).Value![0].Server!;

        // A job that was running when the server died (written as the server would have left it).
        await server.RestartAsync(() =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            using var catalog = Catalogs.Create(CatalogProvider.Sqlite, catalogFile);
            catalog.Jobs.Add(new Job { Type = JobType.ExpressFull, State = JobState.Running, DataSourceId = "folder:" + data, Server = serverName, CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow });
            catalog.SaveChanges();
        });
        var jobs = (await Client(server).GetJobsAsync(CancellationToken.None)).Value!;

        Assert.Equal(3, jobs.Count);
        var cut = jobs[0];
        Assert.Equal(("ExpressFull", "Failed"), (cut.Type, cut.State));
        Assert.Contains("interrupted", cut.Error, StringComparison.Ordinal);
        Assert.Equal([("ExpressFull", "Succeeded"), ("ReplicaCreation", "Succeeded")], jobs.Skip(1).Select(j => (j.Type, j.State)));
        Assert.Equal(1, jobs[1].ItemsDone - jobs[2].ItemsDone); // b.txt
        Assert.All(jobs.Skip(1), j => Assert.True(j.EndedAt >= j.StartedAt));
    }
}

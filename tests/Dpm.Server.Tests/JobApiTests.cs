using Dpm.Catalog;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Server.Tests;

/// <summary>
/// Jobs: each synchronization is a row with its result and its progress while it runs; a running one is cancelled on
/// request (through any server sharing the catalog) and makes no recovery point; a job cut off by a stop is marked
/// failed at the next start.
/// </summary>
public sealed class JobApiTests
{
    private const string Disk = "Dpm.Storage.Disk";
    private const string Files = "Dpm.Workloads.Files";

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

    [Fact]
    public async Task Cancel_RunningSynchronization_ProgressSeenGrowing_EndsCancelledWithNoRecoveryPoint_PoolVerifies_NextSynchronizationSucceeds()
    {
        await using var server = await RunningServer.StartAsync(LongSynchronization.QuickJobSettings, Disk, Files);
        var client = Client(server);
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "a.txt"), "alpha");
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };
        Assert.True((await client.SynchronizeAsync(request, CancellationToken.None)).Succeeded);
        LongSynchronization.AddRandomFiles(data, files: 64);

        var sync = LongSynchronization.Start(client, data);
        var running = await sync.WaitForJobAsync(j => j is { State: "Running", BytesDone: > 0 }, "running with progress");
        var further = await sync.WaitForJobAsync(j => j.Id == running.Id && j.BytesDone > running.BytesDone, "further on");
        var cancel = await client.CancelJobAsync(running.Id, CancellationToken.None);
        var outcome = await sync.Outcome;
        var ended = (await client.GetJobAsync(running.Id, CancellationToken.None)).Value!;
        var points = (await client.GetRecoveryPointsAsync(request.DataSourceId, CancellationToken.None)).Value!;
        var pool = (await client.GetPoolAsync(CancellationToken.None)).Value!;
        var verification = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        var alerts = (await client.GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!;

        Assert.Equal(("ExpressFull", 1), (running.Type, running.Attempt));
        Assert.StartsWith("random-", Path.GetFileName(further.CurrentItem), StringComparison.Ordinal);
        Assert.True(further.ItemsDone >= running.ItemsDone);
        Assert.True(cancel.Succeeded, cancel.Problem?.Detail);
        Assert.True(cancel.Value!.CancelRequested);
        Assert.Equal(409, outcome.Problem?.Status);
        Assert.Contains($"job {running.Id} (ExpressFull of '{request.DataSourceId}') was cancelled on request; no recovery point was made", outcome.Problem!.Detail, StringComparison.Ordinal);
        Assert.Equal(("Cancelled", true, "cancelled on request"), (ended.State, ended.CancelRequested, ended.Error));
        Assert.True(ended.BytesDone >= further.BytesDone);
        Assert.NotNull(ended.EndedAt);
        Assert.Single(points); // the first synchronization's
        Assert.Equal(1, pool.RecoveryPoints);
        Assert.Equal(1, verification.RecoveryPoints);
        Assert.Empty(verification.Damaged);
        Assert.Empty(verification.Problems);
        Assert.Empty(alerts); // a cancel is no failure

        var next = await client.SynchronizeAsync(request, CancellationToken.None);

        Assert.True(next.Succeeded, next.Problem?.Detail);
        Assert.Equal((64L, 1L), (next.Value!.ItemsRead, next.Value.ItemsReused)); // the random files read, a.txt unchanged
        Assert.Equal(2, (await client.GetRecoveryPointsAsync(request.DataSourceId, CancellationToken.None)).Value!.Count);
        var jobs = (await client.GetJobsAsync(CancellationToken.None)).Value!;
        Assert.Equal([("ExpressFull", "Succeeded"), ("Verify", "Succeeded"), ("ExpressFull", "Cancelled"), ("ReplicaCreation", "Succeeded")], jobs.Select(j => (j.Type, j.State)));
        Assert.Empty((await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!.Damaged);
    }

    [Fact]
    public async Task Cancel_GivenToAnotherServerSharingTheCatalog_StopsTheJobOnTheServerThatRunsIt()
    {
        var shared = Directory.CreateTempSubdirectory("dpm-shared-catalog-");
        string[] settings = [$"--Dpm:Catalog:ConnectionString=Data Source={Path.Combine(shared.FullName, "catalog.db")}", .. LongSynchronization.QuickJobSettings];
        try
        {
            await using var runner = await RunningServer.StartAsync(settings, Disk, Files);
            await using var other = await RunningServer.StartAsync([.. settings, "--Dpm:ComputerName=dpm-other"], Disk, Files);
            var data = Directory.CreateDirectory(Path.Combine(runner.Root, "protected")).FullName;
            LongSynchronization.AddRandomFiles(data, files: 64);

            var sync = LongSynchronization.Start(Client(runner), data, watcher: Client(other));
            var running = await sync.WaitForJobAsync(j => j is { State: "Running", BytesDone: > 0 }, "running with progress");
            var cancel = await Client(other).CancelJobAsync(running.Id, CancellationToken.None);
            var outcome = await sync.Outcome;
            var ended = (await Client(other).GetJobAsync(running.Id, CancellationToken.None)).Value!;

            Assert.True(cancel.Succeeded, cancel.Problem?.Detail);
            Assert.Equal(409, outcome.Problem?.Status);
            Assert.Contains("was cancelled on request", outcome.Problem!.Detail, StringComparison.Ordinal);
            Assert.Equal(("Cancelled", "ReplicaCreation"), (ended.State, ended.Type));
            Assert.NotEqual("dpm-other", ended.Server);
            Assert.Empty((await Client(runner).GetRecoveryPointsAsync(null, CancellationToken.None)).Value!);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            shared.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task GetAndCancel_UnknownOrEndedJob_RefusedWithTheReason()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "a.txt"), "alpha");
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None);
        var done = Assert.Single((await client.GetJobsAsync(CancellationToken.None)).Value!);
        var unknown = Guid.NewGuid();

        var got = await client.GetJobAsync(done.Id, CancellationToken.None);
        var cancelDone = await client.CancelJobAsync(done.Id, CancellationToken.None);
        var getUnknown = await client.GetJobAsync(unknown, CancellationToken.None);
        var cancelUnknown = await client.CancelJobAsync(unknown, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var notAnId = await http.GetAsync(new Uri("api/jobs/not-a-job", UriKind.Relative));

        Assert.Equal((done.Id, "Succeeded", false), (got.Value!.Id, got.Value.State, got.Value.CancelRequested));
        Assert.Equal(409, cancelDone.Problem?.Status);
        Assert.StartsWith($"job {done.Id} already ended (Succeeded at ", cancelDone.Problem!.Detail, StringComparison.Ordinal);
        Assert.EndsWith("): there is nothing to cancel", cancelDone.Problem.Detail, StringComparison.Ordinal);
        Assert.False((await client.GetJobAsync(done.Id, CancellationToken.None)).Value!.CancelRequested);
        Assert.Equal((404, $"there is no job {unknown}"), (getUnknown.Problem?.Status, getUnknown.Problem?.Detail));
        Assert.Equal((404, $"there is no job {unknown}"), (cancelUnknown.Problem?.Status, cancelUnknown.Problem?.Detail));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, notAnId.StatusCode);
        Assert.Contains("there is no job not-a-job", await notAnId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

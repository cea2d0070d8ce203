using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dpm.Contracts.Workloads;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Server.Tests;

/// <summary>The server protecting a real folder through the real file workload into a real disk pool.</summary>
public sealed class ProtectionApiTests
{
    private const string Disk = "Dpm.Storage.Disk";
    private const string Files = "Dpm.Workloads.Files";

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static string MakeFolder(string root)
    {
        var data = Directory.CreateDirectory(Path.Combine(root, "protected")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "docs"));
        File.WriteAllText(Path.Combine(data, "docs", "a.txt"), "alpha");
        File.WriteAllBytes(Path.Combine(data, "big.bin"), RandomNumberGenerator.GetBytes(3 << 20));
        return data;
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public async Task SyncChangeSyncRecover_FirstPointRecoversTheOriginalBytesAndSecondTheNew()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        var data = MakeFolder(server.Root);
        var original = Hashes(data);

        var first = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None);
        File.AppendAllText(Path.Combine(data, "docs", "a.txt"), " and beta");
        File.WriteAllText(Path.Combine(data, "docs", "new.txt"), "new");
        var second = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None);

        Assert.True(first.Succeeded, first.Problem?.Detail);
        Assert.True(second.Succeeded, second.Problem?.Detail);
        Assert.Equal(1, second.Value!.ItemsReused);
        Assert.Equal(2, second.Value.ItemsRead);
        var points = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
        Assert.Equal([first.Value!.RecoveryPoint.Id, second.Value.RecoveryPoint.Id], points.Select(p => p.Id));

        var target = Path.Combine(server.Root, "recovered");
        var recovered = await client.RecoverAsync(new RecoveryRequestDto { RecoveryPointId = points[0].Id, Destination = RecoveryDestination.AlternateLocation, Path = target }, CancellationToken.None);

        Assert.True(recovered.Succeeded, recovered.Problem?.Detail);
        Assert.Equal(RecoveryOutcome.Succeeded, recovered.Value!.Outcome);
        Assert.Equal(original, Hashes(target));
    }

    [Fact]
    public async Task Sync_AfterAServerRestart_RunsAConsistencyCheckThatFindsWhatChangedWhileDown()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var data = MakeFolder(server.Root);
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };
        await Client(server).SynchronizeAsync(request, CancellationToken.None);
        File.AppendAllText(Path.Combine(data, "docs", "a.txt"), " watched");
        var watched = await Client(server).SynchronizeAsync(request, CancellationToken.None);

        await server.RestartAsync();
        File.WriteAllText(Path.Combine(data, "docs", "while-down.txt"), "nobody watched");
        var afterRestart = await Client(server).SynchronizeAsync(request, CancellationToken.None);

        Assert.True(watched.Succeeded, watched.Problem?.Detail);
        Assert.Null(watched.Value!.FullEnumerationReason);
        Assert.InRange(watched.Value.ItemsListed, 1, 3); // the file and its folder, from the change journal
        Assert.True(afterRestart.Succeeded, afterRestart.Problem?.Detail);
        Assert.Contains("started afresh", afterRestart.Value!.ReplicaInconsistentReason, StringComparison.Ordinal);
        var check = afterRestart.Value.ConsistencyCheck!;
        Assert.Equal(ConsistencyCheckLevel.Light, check.Level);
        Assert.Contains(check.Inconsistencies, i => i.Path == "docs/while-down.txt" && i.Reason == "missing from the replica");
        var items = await Client(server).GetRecoverableItemsAsync(afterRestart.Value.RecoveryPoint.Id, "docs", null, CancellationToken.None);
        Assert.Contains(items.Value!, i => i.Path == "docs/while-down.txt");
        // The replica-inconsistent alert was raised, then resolved by the check's repair.
        Assert.Empty((await Client(server).GetAlertsAsync(includeInactive: false, CancellationToken.None)).Value!);
        var alert = Assert.Single((await Client(server).GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!);
        Assert.Equal(("ReplicaInconsistent", "Warning", false), (alert.Type, alert.Severity, alert.IsActive));
        Assert.EndsWith("/folder:" + data, alert.Subject, StringComparison.Ordinal);
        Assert.Contains("started afresh", alert.Message, StringComparison.Ordinal);
        Assert.Contains(afterRestart.Value.RecoveryPoint.Id + " repaired the replica", alert.Resolution, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CatalogRebuild_AfterTheCatalogFileIsDeleted_PutsEveryRecoveryPointBack()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var data = MakeFolder(server.Root);
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };
        var first = (await Client(server).SynchronizeAsync(request, CancellationToken.None)).Value!.RecoveryPoint.Id;
        File.WriteAllText(Path.Combine(data, "docs", "new.txt"), "new");
        var second = (await Client(server).SynchronizeAsync(request, CancellationToken.None)).Value!.RecoveryPoint.Id;
        var catalogFile = Path.Combine(server.DataDirectory, "catalog.db");
        Assert.Equal([first, second], RecoveryPointsIn(catalogFile));

        await server.RestartAsync(() =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // no pooled connection of the stopped server keeps the old file
            File.Delete(catalogFile);
        });
        Assert.Empty(RecoveryPointsIn(catalogFile)); // a new, empty catalog
        Assert.Empty((await Client(server).GetRecoveryPointsAsync(null, CancellationToken.None)).Value!);
        var rebuilt = await Client(server).RebuildCatalogAsync(CancellationToken.None);
        var listed = (await Client(server).GetRecoveryPointsAsync(request.DataSourceId, CancellationToken.None)).Value!;

        Assert.True(rebuilt.Succeeded, rebuilt.Problem?.Detail);
        Assert.Equal((2, 1, 1), (rebuilt.Value!.RecoveryPoints, rebuilt.Value.DataSources, rebuilt.Value.Computers));
        Assert.Empty(rebuilt.Value.Damaged);
        Assert.Equal([first, second], RecoveryPointsIn(catalogFile));
        Assert.Equal([first, second], listed.Select(p => p.Id)); // `dpm recoverypoint get` lists them again
        Assert.All(listed, p => Assert.Equal(Path.GetFileName(data), p.DataSourceName));
        Assert.True(listed[0].BytesRead > 0);
    }

    private static List<string> RecoveryPointsIn(string catalogFile)
    {
        using var catalog = Dpm.Catalog.Catalogs.Create(Dpm.Catalog.CatalogProvider.Sqlite, $"Data Source={catalogFile};Pooling=False");
        return [.. catalog.RecoveryPoints.OrderBy(p => p.Id).Select(p => p.Id)];
    }

    [Fact]
    public async Task RecoverableItems_BrowseSearchAndRecoverOneItem()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        var data = MakeFolder(server.Root);
        var point = (await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None)).Value!.RecoveryPoint;

        var top = (await client.GetRecoverableItemsAsync(point.Id, "", null, CancellationToken.None)).Value!;
        var found = (await client.GetRecoverableItemsAsync(point.Id, "", "a.t", CancellationToken.None)).Value!;
        var target = Path.Combine(server.Root, "one");
        var recovered = await client.RecoverAsync(new RecoveryRequestDto { RecoveryPointId = point.Id, Items = ["docs/a.txt"], Destination = RecoveryDestination.AlternateLocation, Path = target }, CancellationToken.None);

        Assert.Contains(top, i => i.Path == "docs" && i.HasChildren);
        Assert.Contains(top, i => i.Path == "big.bin");
        Assert.Equal("docs/a.txt", Assert.Single(found).Path);
        Assert.Equal(RecoveryOutcome.Succeeded, recovered.Value!.Outcome);
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(target, "docs", "a.txt")));
        Assert.False(File.Exists(Path.Combine(target, "big.bin")));
    }

    [Fact]
    public async Task Sync_LicenceDoesNotCoverFiles_RefusedWithTheReason()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        Assert.True((await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(1, 0, 0)), CancellationToken.None)).Succeeded);

        var result = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + MakeFolder(server.Root) }, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(409, result.Problem!.Status);
        Assert.Contains("Dpm.Workloads.Files", result.Problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_NoDiskPlugin_PoolUnavailableSaidPlainly()
    {
        await using var server = await RunningServer.StartAsync(Files);
        var client = Client(server);

        var result = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + MakeFolder(server.Root) }, CancellationToken.None);
        var pool = (await client.GetPoolAsync(CancellationToken.None)).Value!;

        Assert.Equal(503, result.Problem!.Status);
        Assert.Contains("there is no plugin 'Dpm.Storage.Disk'", result.Problem.Detail, StringComparison.Ordinal);
        Assert.False(pool.IsOpen);
    }

    [Fact]
    public async Task Sync_MissingFolder_ClearError()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);

        var result = await Client(server).SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:/no/such/folder" }, CancellationToken.None);

        Assert.Equal(400, result.Problem!.Status);
        Assert.Contains("/no/such/folder", result.Problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_UnknownPoint_NotFound()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.PostAsJsonAsync("/api/recover", new RecoveryRequestDto { RecoveryPointId = "nope", Path = "/tmp/x" }, ManagementJson.Options);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Pool_VerifyAfterBackup_Healthy()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + MakeFolder(server.Root) }, CancellationToken.None);

        var report = await client.VerifyPoolAsync(1.0, CancellationToken.None);
        var pool = (await client.GetPoolAsync(CancellationToken.None)).Value!;

        Assert.True(report.Value!.IsHealthy);
        Assert.Equal("aes-256-gcm", pool.Encryption);
        Assert.Equal(1, pool.RecoveryPoints);
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "pool.key")));
    }

    [Fact]
    public async Task Check_DeletedFileBehindTheReplica_FoundAndRepaired()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var client = Client(server);
        var data = MakeFolder(server.Root);
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None);
        File.Delete(Path.Combine(data, "docs", "a.txt"));

        var check = await client.CheckConsistencyAsync(new ConsistencyCheckRequestDto { DataSourceId = "folder:" + data, Heavy = true }, CancellationToken.None);
        var again = await client.CheckConsistencyAsync(new ConsistencyCheckRequestDto { DataSourceId = "folder:" + data, Heavy = true }, CancellationToken.None);

        Assert.True(check.Succeeded, check.Problem?.Detail);
        Assert.Contains(check.Value!.Inconsistencies, i => i.Path == "docs/a.txt" && i.Reason.Contains("no longer in the data source", StringComparison.Ordinal));
        Assert.NotNull(check.Value.Repair);
        Assert.Empty(again.Value!.Inconsistencies);
        Assert.Null(again.Value.Repair);
        Assert.True(again.Value.BytesCompared >= 3 << 20);
        // The repair is a recovery point of the catalog; the inconsistency was an alert that the repair resolved; both checks are jobs.
        var points = (await client.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
        Assert.Equal(check.Value.Repair!.RecoveryPoint.Id, points[^1].Id);
        var alert = Assert.Single((await client.GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!);
        Assert.Equal(("ReplicaInconsistent", false), (alert.Type, alert.IsActive));
        Assert.Matches("a heavy consistency check found [0-9]+ items? that differ \\(first: docs", alert.Message);
        Assert.Contains(points[^1].Id + " repaired the replica", alert.Resolution, StringComparison.Ordinal);
        var jobs = (await client.GetJobsAsync(CancellationToken.None)).Value!;
        Assert.Equal(["ConsistencyCheck", "ConsistencyCheck", "ReplicaCreation"], jobs.Select(j => j.Type));
        Assert.All(jobs, j => Assert.Equal("Succeeded", j.State));
    }
}

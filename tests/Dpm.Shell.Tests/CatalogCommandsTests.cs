using System.Text.Json;
using Dpm.Catalog;
using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Shell.Tests;

public sealed class CatalogCommandsTests
{
    [Fact]
    public async Task AlertGetAndCatalogRebuild_ThroughTheShell_ShowWhatTheCatalogHolds()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);

        var alerts = await ShellRunner.RunAsync("--server", server.Url, "alert", "get");
        var alertsJson = await ShellRunner.RunAsync("--server", server.Url, "alert", "get", "--all", "--json");
        var rebuild = await ShellRunner.RunAsync("--server", server.Url, "catalog", "rebuild");
        var rebuildJson = await ShellRunner.RunAsync("--server", server.Url, "catalog", "rebuild", "--json");
        var jobs = await ShellRunner.RunAsync("--server", server.Url, "job", "get");
        var jobsJson = await ShellRunner.RunAsync("--server", server.Url, "job", "get", "--json");

        Assert.Equal(0, alerts.ExitCode);
        Assert.Contains("No alerts.", alerts.Output, StringComparison.Ordinal);
        Assert.Empty(JsonSerializer.Deserialize<List<AlertInfo>>(alertsJson.Output, ManagementJson.Options)!);
        Assert.Equal(0, rebuild.ExitCode);
        // The synchronization already put its recovery point into the catalog: nothing to add.
        Assert.Contains("0 recovery points, 0 data sources, 0 computers added", rebuild.Output, StringComparison.Ordinal);
        Assert.Equal(0, JsonSerializer.Deserialize<CatalogRebuildResult>(rebuildJson.Output, ManagementJson.Options)!.RecoveryPoints);
        Assert.Equal(0, jobs.ExitCode);
        Assert.Contains("ReplicaCreation", jobs.Output, StringComparison.Ordinal);
        var job = Assert.Single(JsonSerializer.Deserialize<List<JobInfo>>(jobsJson.Output, ManagementJson.Options)!);
        Assert.Equal(("ReplicaCreation", "Succeeded", "folder:" + data), (job.Type, job.State, job.DataSourceId));
    }

    [Fact]
    public async Task ProtectionGroup_NewAddGet_ThroughTheShell()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");

        var created = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "new", "Finance", "--sync-minutes", "30", "--recovery-point-time", "Daily 08:00", "--recovery-point-time", "Fri 20:00");
        var added = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "add-datasource", "Finance", "folder:/srv/finance");
        var wrong = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "new", "Other", "--sync-minutes", "25");
        var listed = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "get", "--json");

        Assert.Equal(0, created.ExitCode);
        Assert.Contains("every 30 min", created.Output, StringComparison.Ordinal);
        Assert.Equal(0, added.ExitCode);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("synchronization frequency must be one of", wrong.Error + wrong.Output, StringComparison.Ordinal);
        var group = Assert.Single(JsonSerializer.Deserialize<List<ProtectionGroupInfo>>(listed.Output, ManagementJson.Options)!);
        Assert.Equal(["Daily 08:00", "Fri 20:00"], group.Policy.RecoveryPointTimes);
        Assert.EndsWith("/folder:/srv/finance", Assert.Single(group.Members), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertResolve_ThroughTheShell_ResolvesAnActiveAlert_AndSaysWhyItCannotResolveOthers()
    {
        // Unscheduled: the scheduled health check would resolve this made-up pool alert on its own.
        await using var server = await RunningServer.StartAsync(settings: [RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        // An alert raised in the server's catalog, as a server sharing it would.
        var catalog = new AlertBook(() => Catalogs.Create(CatalogProvider.Sqlite, $"Data Source={Path.Combine(server.DataDirectory, "catalog.db")};Pooling=False"), TimeProvider.System);
        var id = (await catalog.RaiseAsync(AlertType.PoolAlmostFull, AlertSeverity.Warning, "disk:/srv/pool", "the storage pool's disk is almost full", CancellationToken.None)).Id;

        var resolved = await ShellRunner.RunAsync("--server", server.Url, "alert", "resolve", id.ToString(), "--resolution", "old backups were moved to tape");
        var again = await ShellRunner.RunAsync("--server", server.Url, "alert", "resolve", id.ToString(), "--resolution", "again", "--json");
        var unknown = await ShellRunner.RunAsync("--server", server.Url, "alert", "resolve", Guid.NewGuid().ToString(), "--resolution", "nothing");
        var noResolution = await ShellRunner.RunAsync("--server", server.Url, "alert", "resolve", id.ToString());
        var all = JsonSerializer.Deserialize<List<AlertInfo>>((await ShellRunner.RunAsync("--server", server.Url, "alert", "get", "--all", "--json")).Output, ManagementJson.Options)!;

        Assert.Equal(0, resolved.ExitCode);
        Assert.Contains("resolved", resolved.Output, StringComparison.Ordinal);
        Assert.Contains("old backups were moved to tape", resolved.Output, StringComparison.Ordinal);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not active", again.Error, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("there is no alert", unknown.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, noResolution.ExitCode);
        Assert.Contains("--resolution", noResolution.Error, StringComparison.Ordinal);
        var alert = Assert.Single(all);
        Assert.Equal(("PoolAlmostFull", false, "old backups were moved to tape"), (alert.Type, alert.IsActive, alert.Resolution));
    }

    [Fact]
    public async Task ProtectionGroupSet_ThroughTheShell_ChangesOnlyTheGivenValues_AndRefusesBadOnesLeavingTheGroupAsItWas()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        await ShellRunner.RunAsync("--server", server.Url, "protection-group", "new", "Finance", "--sync-minutes", "30", "--retention-days", "10");

        var changed = await ShellRunner.RunAsync(
            "--server", server.Url, "protection-group", "set", "Finance", "--retention-days", "12", "--consistency-check-window", "21:00", "--consistency-check-hours", "3");
        var beforePoint = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Finance", "--sync-before-recovery-point", "--max-recovery-points", "32", "--json");
        var set = JsonSerializer.Deserialize<ProtectionGroupInfo>(beforePoint.Output, ManagementJson.Options)!.Policy;
        var outOfRange = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Finance", "--max-recovery-points", "65", "--retention-days", "20");
        var badTime = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Finance", "--recovery-point-time", "Someday 20:00");
        var both = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Finance", "--sync-minutes", "60", "--sync-before-recovery-point");
        var nothing = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Finance");
        var noGroup = await ShellRunner.RunAsync("--server", server.Url, "protection-group", "set", "Payroll", "--retention-days", "20");
        var after = Assert.Single(JsonSerializer.Deserialize<List<ProtectionGroupInfo>>((await ShellRunner.RunAsync("--server", server.Url, "protection-group", "get", "--json")).Output, ManagementJson.Options)!).Policy;

        Assert.Equal(0, changed.ExitCode);
        Assert.Contains("12 days", changed.Output, StringComparison.Ordinal);
        Assert.Contains("daily 21:00 for 3 h", changed.Output, StringComparison.Ordinal);
        Assert.Equal(0, beforePoint.ExitCode);
        Assert.Equal((12, (int?)null, 32, "21:00", 180), (set.RetentionDays, set.SynchronizationMinutes, set.MaxFileRecoveryPoints, set.ConsistencyCheckWindowStart, set.ConsistencyCheckWindowMinutes));
        Assert.Equal(1, outOfRange.ExitCode);
        Assert.Contains("a file data source keeps 1 to 64 recovery points (got 65)", outOfRange.Error, StringComparison.Ordinal);
        Assert.Equal(1, badTime.ExitCode);
        Assert.Contains("a recovery point time is 'Daily HH:MM'", badTime.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Error, StringComparison.Ordinal);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("say what to change", nothing.Error, StringComparison.Ordinal);
        Assert.Equal(1, noGroup.ExitCode);
        Assert.Contains("there is no protection group named 'Payroll'", noGroup.Error, StringComparison.Ordinal);
        Assert.Equal(set.RecoveryPointTimes, after.RecoveryPointTimes);
        Assert.Equal(set with { RecoveryPointTimes = after.RecoveryPointTimes }, after);
    }

    [Fact]
    public async Task RecoveryPointPrune_ThroughTheShell_RemovesWhatTheGroupNoLongerKeeps()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-30));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");
        await ShellRunner.RunAsync("--server", server.Url, "protection-group", "new", "Finance", "--retention-days", "5");
        await ShellRunner.RunAsync("--server", server.Url, "protection-group", "add-datasource", "Finance", "folder:" + data);
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);
        clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);

        var pruned = await ShellRunner.RunAsync("--server", server.Url, "recovery-point", "prune");
        var again = await ShellRunner.RunAsync("--server", server.Url, "recoverypoint", "prune", "--json");
        var points = JsonSerializer.Deserialize<List<RecoveryPointSummary>>((await ShellRunner.RunAsync("--server", server.Url, "recoverypoint", "get", "--json")).Output, ManagementJson.Options)!;

        Assert.Equal(0, pruned.ExitCode);
        Assert.Contains("Pruned 1 recovery points of 1 data sources", pruned.Output, StringComparison.Ordinal);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(0, JsonSerializer.Deserialize<PruneResult>(again.Output, ManagementJson.Options)!.RecoveryPoints);
        Assert.Equal(clock.GetUtcNow(), Assert.Single(points).CreatedAt); // the newer one
    }
}

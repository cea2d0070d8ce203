using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

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
}

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

        Assert.Equal(0, alerts.ExitCode);
        Assert.Contains("No alerts.", alerts.Output, StringComparison.Ordinal);
        Assert.Empty(JsonSerializer.Deserialize<List<AlertInfo>>(alertsJson.Output, ManagementJson.Options)!);
        Assert.Equal(0, rebuild.ExitCode);
        // The synchronization already put its recovery point into the catalog: nothing to add.
        Assert.Contains("0 recovery points, 0 data sources, 0 computers added", rebuild.Output, StringComparison.Ordinal);
        Assert.Equal(0, JsonSerializer.Deserialize<CatalogRebuildResult>(rebuildJson.Output, ManagementJson.Options)!.RecoveryPoints);
    }
}

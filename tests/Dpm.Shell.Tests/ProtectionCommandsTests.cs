using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

public sealed class ProtectionCommandsTests
{
    [Fact]
    public async Task SyncListBrowseRecover_ThroughTheShell_RecoversTheFolder()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");

        var sync = await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data);
        var points = await ShellRunner.RunAsync("--server", server.Url, "recoverypoint", "get", "--json");
        var id = JsonSerializer.Deserialize<List<RecoveryPointSummary>>(points.Output, ManagementJson.Options)!.Single().Id;
        var items = await ShellRunner.RunAsync("--server", server.Url, "recoverable-item", "get", "--recovery-point", id);
        var target = Path.Combine(server.Root, "back");
        var recover = await ShellRunner.RunAsync("--server", server.Url, "recover", "--recovery-point", id, "--target", target);
        var inquiry = await ShellRunner.RunAsync("--server", server.Url, "datasource", "get", "--inquire", "--parent", "folder:" + server.Root);

        Assert.Equal(0, sync.ExitCode);
        Assert.Contains($"Recovery point {id}", sync.Output, StringComparison.Ordinal);
        Assert.Contains("report.txt", items.Output, StringComparison.Ordinal);
        Assert.Equal(0, recover.ExitCode);
        Assert.StartsWith("Succeeded", recover.Output, StringComparison.Ordinal);
        Assert.Equal("quarterly numbers", File.ReadAllText(Path.Combine(target, "report.txt")));
        Assert.Contains("folder:" + data, inquiry.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_NeitherTargetNorOriginal_UsageErrorExitCode2()
    {
        var result = await ShellRunner.RunAsync("--server", "http://127.0.0.1:9", "recover", "--recovery-point", "x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("give either --target FOLDER or --original", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_UnknownPoint_SaysSoExitCode1()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");

        var result = await ShellRunner.RunAsync("--server", server.Url, "recover", "--recovery-point", "nope", "--target", "/tmp/nowhere");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("there is no recovery point 'nope'", result.Error, StringComparison.Ordinal);
    }
}

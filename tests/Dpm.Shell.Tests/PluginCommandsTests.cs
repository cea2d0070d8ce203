using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

public sealed class PluginCommandsTests
{
    private const string Standard = "Fixture.Workload.Standard";
    private const string Enterprise = "Fixture.Workload.Enterprise";

    [Fact]
    public async Task PluginList_StandardOnlyLicence_TableShowsEachPluginWithStatusAndReason()
    {
        await using var server = await RunningServer.StartAsync(Standard, Enterprise);
        var licence = Path.Combine(server.Root, "standard.lic");
        await File.WriteAllTextAsync(licence, server.IssueLicence(new ComputerCounts(0, 5, 0)));
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "licence", "install", licence)).ExitCode);

        var result = await ShellRunner.RunAsync("--server", server.Url, "plugin", "list");

        Assert.Equal(0, result.ExitCode);
        var standardRow = Assert.Single(result.Output.Split('\n'), l => l.Contains(Standard, StringComparison.Ordinal));
        Assert.Contains("Active", standardRow, StringComparison.Ordinal);
        Assert.Contains("S-DPML", standardRow, StringComparison.Ordinal);
        var enterpriseRow = Assert.Single(result.Output.Split('\n'), l => l.Contains(Enterprise, StringComparison.Ordinal));
        Assert.Contains("DisabledByLicence", enterpriseRow, StringComparison.Ordinal);
        Assert.Contains("needs E-DPML or higher, but the installed licences cover S-DPML only", enterpriseRow, StringComparison.Ordinal);
        Assert.Contains("1 of 2 plugins active.", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginList_Json_EqualsWhatTheServerHolds()
    {
        await using var server = await RunningServer.StartAsync(Standard, Enterprise);

        var result = await ShellRunner.RunAsync("--server", server.Url, "plugin", "list", "--json");

        Assert.Equal(0, result.ExitCode);
        var printed = JsonSerializer.Deserialize<List<PluginInfo>>(result.Output, ManagementJson.Options)!;
        Assert.Equal(server.Plugins.GetPlugins(), printed);
        Assert.Equal([PluginStatus.Active, PluginStatus.Active], printed.Select(p => p.Status));
    }

    [Fact]
    public async Task PluginScan_FoldersDroppedIntoARunningServer_LoadsTheNewOnesAndLeavesTheOthers()
    {
        await using var server = await RunningServer.StartAsync(Standard);
        var loadedBefore = Assert.Single(server.Plugins.GetPlugins());
        FixturePlugins.CopyTo(server.PluginsDirectory, Enterprise);
        var broken = Directory.CreateDirectory(Path.Combine(server.PluginsDirectory, "Contoso.Broken")).FullName;
        await File.WriteAllTextAsync(Path.Combine(broken, "plugin.json"), "{ not json");

        var result = await ShellRunner.RunAsync("--server", server.Url, "plugin", "scan", "--json");

        Assert.Equal(0, result.ExitCode);
        var printed = JsonSerializer.Deserialize<List<PluginInfo>>(result.Output, ManagementJson.Options)!;
        Assert.Equal(3, printed.Count);
        Assert.Equal(PluginStatus.Active, Assert.Single(printed, p => p.Id == Enterprise).Status);
        Assert.Equal(loadedBefore, Assert.Single(printed, p => p.Id == Standard));
        var failed = Assert.Single(printed, p => p.Folder == Path.GetFileName(broken));
        Assert.Equal(PluginStatus.Incompatible, failed.Status);
        Assert.Contains("plugin.json", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(server.Plugins.GetPlugins(), printed);
    }

    [Fact]
    public async Task PluginList_ServerNotRunning_ClearErrorExitCode2()
    {
        var result = await ShellRunner.RunAsync("--server", "http://127.0.0.1:9", "plugin", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("can't reach the server at http://127.0.0.1:9", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task PluginList_ServerUrlIsNotAUrl_ClearErrorExitCode2()
    {
        var result = await ShellRunner.RunAsync("--server", "ftp:nonsense", "plugin", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'ftp:nonsense' is not a server URL", result.Error, StringComparison.Ordinal);
    }
}

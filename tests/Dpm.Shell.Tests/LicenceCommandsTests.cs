using System.Text.Json;
using Dpm.Contracts;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

public sealed class LicenceCommandsTests
{
    [Fact]
    public async Task LicenceShow_NoLicence_TableSaysEvaluationPlainly()
    {
        await using var server = await RunningServer.StartAsync();

        var result = await ShellRunner.RunAsync("--server", server.Url, "licence", "show");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Mode: Evaluation", result.Output, StringComparison.Ordinal);
        Assert.Contains("Evaluation mode: every tier, up to 5 computers, until", result.Output, StringComparison.Ordinal);
        Assert.Contains("No licence installed.", result.Output, StringComparison.Ordinal);
        Assert.All(["C-DPML", "S-DPML", "E-DPML"], tier => Assert.Contains(tier, result.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LicenceShow_AfterInstall_TableAndJsonShowTheLicence()
    {
        await using var server = await RunningServer.StartAsync();
        var file = Path.Combine(server.Root, "fabrikam.lic");
        await File.WriteAllTextAsync(file, server.IssueLicence(new ComputerCounts(2, 3, 1), licensee: "Fabrikam"));

        var install = await ShellRunner.RunAsync("--server", server.Url, "licence", "install", file);
        var table = await ShellRunner.RunAsync("--server", server.Url, "licence", "show");
        var json = await ShellRunner.RunAsync("--server", server.Url, "licence", "show", "--json");

        Assert.Equal(0, install.ExitCode);
        Assert.Contains("for Fabrikam: valid until", install.Output, StringComparison.Ordinal);
        Assert.Contains("Mode: Licensed", table.Output, StringComparison.Ordinal);
        Assert.Contains("Fabrikam", table.Output, StringComparison.Ordinal);
        Assert.Contains("2/3/1", table.Output, StringComparison.Ordinal);
        var state = JsonSerializer.Deserialize<LicenceState>(json.Output, ManagementJson.Options)!;
        Assert.Equal(LicenceMode.Licensed, state.Mode);
        Assert.Equal(3, state.Tiers.Single(t => t.Tier == LicenceTier.Standard).Licensed);
        Assert.Equal(server.Licences.GetState().Summary, state.Summary);
        Assert.Equal("Fabrikam", Assert.Single(state.Licences).Licensee);
    }

    [Fact]
    public async Task LicenceInstall_TamperedFile_RefusedExitCode1AndNothingChanges()
    {
        await using var server = await RunningServer.StartAsync();
        var text = server.IssueLicence(new ComputerCounts(0, 100, 100));
        var file = Path.Combine(server.Root, "tampered.lic");
        await File.WriteAllTextAsync(file, text.Replace("\"signature\": \"", "\"signature\": \"AAAA", StringComparison.Ordinal)[..^6] + "\"\n}\n");

        var result = await ShellRunner.RunAsync("--server", server.Url, "licence", "install", file);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("dpm: licence refused:", result.Error, StringComparison.Ordinal);
        Assert.Equal(LicenceMode.Evaluation, server.Licences.GetState().Mode);
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataDirectory, "licences"), "*.lic"));
    }

    [Fact]
    public async Task LicenceInstall_MissingFile_ClearErrorExitCode1()
    {
        await using var server = await RunningServer.StartAsync();

        var result = await ShellRunner.RunAsync("--server", server.Url, "licence", "install", "/no/such/file.lic");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("licence file '/no/such/file.lic' does not exist", result.Error, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Dpm.Contracts;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary><c>dpm plugin validate FOLDER</c> against copies of real plugin folders, good and broken, with no server.</summary>
public sealed class PluginValidateTests : IDisposable
{
    private const string Standard = "Fixture.Workload.Standard";
    private const string Faulty = "Fixture.Faulty";
    private const string Disk = "Dpm.Storage.Disk";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dpm-validate-tests-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Validate_GoodWorkload_TableShowsEveryCheckPassedExit0()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Standard);

        var result = await ShellRunner.RunAsync("plugin", "validate", folder);

        Assert.Equal(0, result.ExitCode);
        foreach (var check in new[] { "manifest", "tier", "load", "contracts version", "dependencies", "entry point", "initialize", "discovery", "cancellation", "bad input" })
        {
            var row = Assert.Single(result.Output.Split('\n'), l => l.TrimStart('│', ' ').StartsWith(check + " ", StringComparison.Ordinal));
            Assert.Contains("Passed", row, StringComparison.Ordinal);
        }

        Assert.Contains("needs S-DPML or higher", result.Output, StringComparison.Ordinal);
        Assert.Contains("found 1 top-level data source(s)", result.Output, StringComparison.Ordinal);
        Assert.Contains("The plugin passed every check.", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dpm.Workloads.Files")]
    [InlineData("Dpm.Workloads.Sql")]
    public async Task Validate_WorkloadOfThisRepository_PassesEveryCheckExit0(string plugin)
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, plugin);

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 0);

        Assert.All(validation.Checks, c => Assert.True(c.Outcome == PluginCheckOutcome.Passed, $"{c.Check}: {c.Outcome} ({c.Detail})"));
        Assert.Equal(10, validation.Checks.Count);
    }

    [Fact]
    public async Task Validate_GoodStoragePlugin_PassesUpToInitializeAndSkipsDiscoveryExit0()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Disk);

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 0);

        Assert.Equal(PluginKind.Storage, validation.Kind);
        PluginCheck[] smoke = [PluginCheck.Discovery, PluginCheck.Cancellation, PluginCheck.BadInput];
        Assert.All(validation.Checks.Where(c => !smoke.Contains(c.Check)), c => Assert.Equal(PluginCheckOutcome.Passed, c.Outcome));
        Assert.Equal(smoke, validation.Checks.Where(c => c.Outcome == PluginCheckOutcome.Skipped).Select(c => c.Check));
    }

    [Theory]
    [InlineData("id", "Contoso.Other", "the manifest says id 'Contoso.Other', but Dpm.Fixtures.FixtureWorkload declares id 'Fixture.Workload.Standard'")]
    [InlineData("kind", "Storage", "the manifest says kind Storage, but Dpm.Fixtures.FixtureWorkload declares kind Workload")]
    [InlineData("requiredTier", "Enterprise", "the manifest says tier E-DPML, but Dpm.Fixtures.FixtureWorkload declares tier S-DPML")]
    public async Task Validate_LyingManifest_EntryPointFailsWithTheDifferenceExit1(string field, string value, string reason)
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Standard);
        var path = Path.Combine(folder, PluginManifest.FileName);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
        manifest[field] = value;
        await File.WriteAllTextAsync(path, manifest.ToJsonString());

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 1);

        AssertFailedAt(validation, PluginCheck.EntryPoint, reason);
    }

    [Fact]
    public async Task Validate_BrokenManifest_ManifestFailsWithWhereAndLaterChecksSkippedExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Standard);
        await File.WriteAllTextAsync(Path.Combine(folder, PluginManifest.FileName), "{ \"id\": \"Fixture.Workload.Standard\", ");

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 1);

        AssertFailedAt(validation, PluginCheck.Manifest, "plugin.json is not a valid manifest at line");
    }

    [Fact]
    public async Task Validate_MissingDependency_DiscoveryFailsNamingTheMissingAssemblyExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Standard);
        File.Delete(Path.Combine(folder, "Newtonsoft.Json.dll"));

        var result = await ShellRunner.RunAsync("plugin", "validate", folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("a dependency is missing from the plugin folder", result.Output, StringComparison.Ordinal);
        Assert.Contains("Newtonsoft.Json", result.Output, StringComparison.Ordinal);
        Assert.Contains("The plugin failed 1 check(s): discovery.", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_DiscoveryThrows_DiscoveryFailsWithTheExceptionExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Faulty);
        await File.WriteAllTextAsync(Path.Combine(folder, "fault.txt"), "throw-in-discovery");

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 1);

        AssertFailedAt(validation, PluginCheck.Discovery, "DiscoverDataSourcesAsync: threw InvalidOperationException: fixture fault: discovery");
    }

    [Fact]
    public async Task Validate_DiscoveryIgnoresCancellation_CancellationFailsSayingWhatItListedExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Faulty);
        await File.WriteAllTextAsync(Path.Combine(folder, "fault.txt"), "ignore-cancellation");

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 1);

        AssertFailedAt(validation, PluginCheck.Cancellation, "discovery with a cancelled token listed 1 data source(s) instead of ending in OperationCanceledException");
    }

    [Fact]
    public async Task Validate_WorkloadTakesAnotherWorkloadsDataSource_BadInputFailsExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Faulty);
        await File.WriteAllTextAsync(Path.Combine(folder, "fault.txt"), "accept-any-data-source");

        var result = await ShellRunner.RunAsync("plugin", "validate", folder);

        Assert.Equal(1, result.ExitCode);
        var row = Assert.Single(result.Output.Split('\n'), l => l.TrimStart('│', ' ').StartsWith("bad input ", StringComparison.Ordinal));
        Assert.Contains("Failed", row, StringComparison.Ordinal);
        Assert.Contains("took a snapshot of another workload's data source 'dpm-validate-foreign:", result.Output, StringComparison.Ordinal);
        Assert.Contains("The plugin failed 1 check(s): bad input.", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_InitializeThrows_InitializeFailsAndDiscoverySkippedExit1()
    {
        var folder = FixturePlugins.CopyTo(_root.FullName, Faulty);
        await File.WriteAllTextAsync(Path.Combine(folder, "fault.txt"), "throw-in-initialize");

        var validation = await ValidateJsonAsync(folder, expectedExitCode: 1);

        AssertFailedAt(validation, PluginCheck.Initialize, "InitializeAsync: threw InvalidOperationException: fixture fault: initialize");
    }

    [Fact]
    public async Task Validate_FolderMissing_ClearErrorExitCode2()
    {
        var missing = Path.Combine(_root.FullName, "no-such-plugin");

        var result = await ShellRunner.RunAsync("plugin", "validate", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"plugin folder '{missing}' does not exist", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    private static async Task<PluginValidation> ValidateJsonAsync(string folder, int expectedExitCode)
    {
        var result = await ShellRunner.RunAsync("plugin", "validate", folder, "--json");
        Assert.True(expectedExitCode == result.ExitCode, $"exit code {result.ExitCode}: {result.Output}{result.Error}");
        return JsonSerializer.Deserialize<PluginValidation>(result.Output, ManagementJson.Options)!;
    }

    /// <summary>The checks before <paramref name="failed"/> passed, it failed with <paramref name="reason"/>, and the rest were not run.</summary>
    private static void AssertFailedAt(PluginValidation validation, PluginCheck failed, string reason)
    {
        Assert.Equal(
            [PluginCheck.Manifest, PluginCheck.Tier, PluginCheck.Load, PluginCheck.ContractsVersion, PluginCheck.Dependencies, PluginCheck.EntryPoint, PluginCheck.Initialize, PluginCheck.Discovery, PluginCheck.Cancellation, PluginCheck.BadInput],
            validation.Checks.Select(c => c.Check));
        foreach (var check in validation.Checks)
        {
            var expected = check.Check < failed ? PluginCheckOutcome.Passed : check.Check == failed ? PluginCheckOutcome.Failed : PluginCheckOutcome.Skipped;
            Assert.True(expected == check.Outcome, $"{check.Check}: expected {expected}, was {check.Outcome} ({check.Detail})");
        }

        Assert.Contains(reason, Assert.Single(validation.Checks, c => c.Outcome == PluginCheckOutcome.Failed).Detail, StringComparison.Ordinal);
    }
}

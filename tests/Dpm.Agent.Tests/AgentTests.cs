using System.Text.Json;
using Dpm.Tests;

namespace Dpm.Agent.Tests;

public sealed class AgentTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dpm-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string?> Environment(string plugins) => new()
    {
        ["Dpm__DataDirectory"] = Path.Combine(_root, "data"),
        ["Dpm__Plugins__Directory"] = plugins,
        ["Dpm__ComputerName"] = "agent-test",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private string Plugins(params string[] fixtures)
    {
        var plugins = Path.Combine(_root, "plugins");
        foreach (var fixture in fixtures)
        {
            FixturePlugins.CopyTo(plugins, fixture);
        }

        return plugins;
    }

    [Fact]
    public async Task Discover_Json_ListsTheDataSourcesOfEveryWorkloadPlugin()
    {
        var result = await ProcessRunner.RunAsync("dpm-agent.dll", Environment(Plugins("Fixture.Workload.Standard")), "discover", "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Output);
        var found = Assert.Single(doc.RootElement.EnumerateArray().ToList());
        Assert.Equal("Fixture.Workload.Standard", found.GetProperty("pluginId").GetString());
        Assert.Equal("agent-test", found.GetProperty("dataSource").GetProperty("facts").GetProperty("computer").GetString());
    }

    [Fact]
    public async Task Discover_OnePluginThrows_OthersListedFailureReportedExitCode1()
    {
        var plugins = Plugins("Fixture.Workload.Standard", "Fixture.Faulty");
        File.WriteAllText(Path.Combine(plugins, "Fixture.Faulty", "fault.txt"), "throw-in-discovery");

        var result = await ProcessRunner.RunAsync("dpm-agent.dll", Environment(plugins), "discover");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Fixture.Workload.Standard\tFolder\tFixture data", result.Output, StringComparison.Ordinal);
        Assert.Contains("plugin 'Fixture.Faulty' malfunctioned in DiscoverDataSources: threw InvalidOperationException: fixture fault: discovery", result.Error, StringComparison.Ordinal);
    }
}

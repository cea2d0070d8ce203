using System.Text.Json.Nodes;
using Dpm.Contracts;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Core.Tests.Licensing;
using Dpm.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Core.Tests.Plugins;

/// <summary>
/// A plugins folder made from the fixture plugins built beside the tests, and a plugin manager over it with a
/// real licence service (evaluation mode unless a licence is installed).
/// </summary>
public sealed class PluginTestHost : IAsyncDisposable
{
    public const string Standard = "Fixture.Workload.Standard";
    public const string Enterprise = "Fixture.Workload.Enterprise";
    public const string Faulty = "Fixture.Faulty";

    private readonly TestDirectory _root = new();

    public PluginTestHost()
    {
        Licensing = new TestLicensing(_root.Combine("licences"));
        Directory.CreateDirectory(PluginsDirectory);
    }

    public string PluginsDirectory => _root.Combine("plugins");

    public TestLicensing Licensing { get; }

    public LicenceService? Licences { get; private set; }

    public PluginManager? Manager { get; private set; }

    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Copies a built fixture plugin into the plugins folder, as <paramref name="folder"/>.</summary>
    public string AddPlugin(string fixture, string? folder = null) => FixturePlugins.CopyTo(PluginsDirectory, fixture, folder);

    /// <summary>Copies a plugin and changes its manifest.</summary>
    public string AddPlugin(string fixture, Action<JsonObject> editManifest, string? folder = null)
    {
        var target = AddPlugin(fixture, folder);
        var path = Path.Combine(target, PluginManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        editManifest(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
        return target;
    }

    /// <summary>Makes the Faulty fixture misbehave in the given way.</summary>
    public string AddFaultyPlugin(string fault)
    {
        var target = AddPlugin(Faulty);
        File.WriteAllText(Path.Combine(target, "fault.txt"), fault);
        return target;
    }

    public async Task<PluginManager> StartAsync()
    {
        Licences = Licensing.CreateService();
        Manager = new PluginManager(
            new PluginManagerOptions
            {
                Directory = PluginsDirectory,
                StateDirectory = _root.Combine("plugin-state"),
                StartTimeLimit = TimeLimit,
                CallTimeLimit = TimeLimit,
                StopTimeLimit = TimeLimit,
            },
            new McMasterPluginLoader(),
            Licences,
            NullLoggerFactory.Instance,
            new ConfigurationBuilder().Build(),
            new ProtectedComputer("test-computer", "Linux"),
            Licensing.Time);
        await Manager.LoadAllAsync(CancellationToken.None);
        return Manager;
    }

    public async ValueTask DisposeAsync()
    {
        if (Manager is not null)
        {
            await Manager.DisposeAsync();
        }

        Licensing.Dispose();
        _root.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Plugins;
using Dpm.Management;

namespace Dpm.Core.Tests.Plugins;

public sealed class PluginManagerTests
{
    private static Task<PluginCallResult<IReadOnlyList<DataSource>>> DiscoverAsync(PluginManager manager, string id) =>
        manager.ListAsync<IWorkloadPlugin, DataSource>(id, "DiscoverDataSources", (p, ct) => p.DiscoverDataSourcesAsync(null, ct), CancellationToken.None);

    private static PluginInfo Plugin(PluginManager manager, string folder) => manager.GetPlugins().Single(p => p.Folder == folder);

    private static async Task AssertStandardStillWorksAsync(PluginManager manager)
    {
        Assert.Equal(PluginStatus.Active, Plugin(manager, PluginTestHost.Standard).Status);
        var sources = await DiscoverAsync(manager, PluginTestHost.Standard);
        Assert.True(sources.Succeeded, sources.Failure);
        Assert.Equal("fixture:data", Assert.Single(sources.Value!).Id);
    }

    [Fact]
    public async Task LoadAll_TwoPluginsUseDifferentMajorVersionsOfOneLibrary_BothActiveEachWithItsOwnVersion()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddPlugin(PluginTestHost.Enterprise);
        var manager = await host.StartAsync();

        Assert.All(manager.GetPlugins(), p => Assert.Equal(PluginStatus.Active, p.Status));
        var standard = Assert.Single((await DiscoverAsync(manager, PluginTestHost.Standard)).Value!);
        var enterprise = Assert.Single((await DiscoverAsync(manager, PluginTestHost.Enterprise)).Value!);
        Assert.Equal("12.0.0.0", standard.Facts["newtonsoft"]);
        Assert.Equal("13.0.0.0", enterprise.Facts["newtonsoft"]);
        Assert.Equal("""{"tier":"Standard"}""", standard.Facts["json"]);
        Assert.Equal("""{"tier":"Enterprise"}""", enterprise.Facts["json"]);
        Assert.Equal("test-computer", standard.Facts["computer"]);
    }

    public static TheoryData<string, Action<JsonObject>, string> LyingManifests => new()
    {
        { "wrong id", m => m["id"] = "Fixture.Impostor", "declares id 'Fixture.Workload.Enterprise'" },
        { "wrong kind", m => m["kind"] = "Storage", "declares kind Workload" },
        { "tier below the one declared", m => m["requiredTier"] = "Client", "declares tier E-DPML" },
        { "newer contracts", m => m["contractsVersion"] = "2.0", "targets contracts 2.0, but this host has contracts 1.0" },
        { "older major contracts", m => m["contractsVersion"] = "0.9", "targets contracts 0.9" },
        { "missing entry assembly", m => m["entryAssembly"] = "Missing.dll", "entry assembly 'Missing.dll' is not in the plugin folder" },
        { "entry assembly outside the folder", m => m["entryAssembly"] = "../Fixture.Workload.Standard/Fixture.Workload.Standard.dll", "must be the file name of a .dll inside the plugin folder" },
        { "entry assembly that is not a plugin", m => m["entryAssembly"] = "Newtonsoft.Json.dll", "does not reference Dpm.Contracts" },
        { "missing required field", m => m.Remove("entryAssembly"), "missing required properties including: 'entryAssembly'" },
        { "unknown kind", m => m["kind"] = "Toaster", "is not a valid manifest" },
        { "bad id", m => m["id"] = "../evil", "is not a dotted name" },
        { "unknown field", m => m["entryPoint"] = "X", "is not a valid manifest" },
    };

    [Theory]
    [MemberData(nameof(LyingManifests))]
    public async Task LoadAll_ManifestLies_IncompatibleWithReasonAndOthersKeepWorking(string lie, Action<JsonObject> edit, string expectedReason)
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddPlugin(PluginTestHost.Enterprise, edit);
        var manager = await host.StartAsync();

        var liar = Plugin(manager, PluginTestHost.Enterprise);
        Assert.True(liar.Status == PluginStatus.Incompatible, $"{lie}: {liar.Status} {liar.Reason}");
        Assert.Contains(expectedReason, liar.Reason, StringComparison.Ordinal);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task LoadAll_ManifestIsNotJson_IncompatibleWithLine()
    {
        await using var host = new PluginTestHost();
        var folder = host.AddPlugin(PluginTestHost.Enterprise);
        File.WriteAllText(Path.Combine(folder, "plugin.json"), "{\n  \"id\": \"x\",\n  oops\n}");
        var manager = await host.StartAsync();

        var plugin = Plugin(manager, PluginTestHost.Enterprise);
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains("at line 3", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAll_NoManifest_Incompatible()
    {
        await using var host = new PluginTestHost();
        var folder = host.AddPlugin(PluginTestHost.Enterprise);
        File.Delete(Path.Combine(folder, "plugin.json"));
        var manager = await host.StartAsync();

        Assert.Contains("plugin.json is missing", Plugin(manager, PluginTestHost.Enterprise).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAll_EntryAssemblyIsGarbage_IncompatibleAndHostKeepsWorking()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        var folder = host.AddPlugin(PluginTestHost.Enterprise);
        File.WriteAllBytes(Path.Combine(folder, "Fixture.Workload.Enterprise.dll"), [0x4d, 0x5a, 1, 2, 3]);
        var manager = await host.StartAsync();

        var plugin = Plugin(manager, PluginTestHost.Enterprise);
        Assert.Equal(PluginStatus.Incompatible, plugin.Status);
        Assert.Contains("can't be loaded", plugin.Reason, StringComparison.Ordinal);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task LoadAll_SameIdInTwoFolders_SecondIsIncompatible()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddPlugin(PluginTestHost.Standard, "z-copy");
        var manager = await host.StartAsync();

        var copy = Plugin(manager, "z-copy");
        Assert.Equal(PluginStatus.Incompatible, copy.Status);
        Assert.Contains("already used by the plugin in", copy.Reason, StringComparison.Ordinal);
        await AssertStandardStillWorksAsync(manager);
    }

    [Theory]
    [InlineData("throw-in-constructor", "constructor of Dpm.Fixtures.FixtureWorkload: threw InvalidOperationException: fixture fault: constructor")]
    [InlineData("throw-in-initialize", "InitializeAsync: threw InvalidOperationException: fixture fault: initialize")]
    public async Task LoadAll_PluginThrowsWhileStarting_MalfunctionedAndOthersKeepWorking(string fault, string expectedReason)
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddFaultyPlugin(fault);
        var manager = await host.StartAsync();

        var faulty = Plugin(manager, PluginTestHost.Faulty);
        Assert.Equal(PluginStatus.Malfunctioned, faulty.Status);
        Assert.Equal(expectedReason, faulty.Reason);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task Call_PluginThrowsInDiscovery_FailsWithReasonMarksMalfunctionedOthersKeepWorking()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddFaultyPlugin("throw-in-discovery");
        var manager = await host.StartAsync();
        Assert.Equal(PluginStatus.Active, Plugin(manager, PluginTestHost.Faulty).Status);

        var result = await DiscoverAsync(manager, PluginTestHost.Faulty);

        Assert.False(result.Succeeded);
        Assert.Contains("fixture fault: discovery", result.Failure, StringComparison.Ordinal);
        var faulty = Plugin(manager, PluginTestHost.Faulty);
        Assert.Equal(PluginStatus.Malfunctioned, faulty.Status);
        Assert.Equal("DiscoverDataSources: threw InvalidOperationException: fixture fault: discovery", faulty.Reason);
        var again = await DiscoverAsync(manager, PluginTestHost.Faulty);
        Assert.Contains("is Malfunctioned", again.Failure, StringComparison.Ordinal);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task Call_PluginHangsInDiscovery_CutOffByTimeLimitOthersKeepWorking()
    {
        await using var host = new PluginTestHost { TimeLimit = TimeSpan.FromSeconds(1) };
        host.AddPlugin(PluginTestHost.Standard);
        host.AddFaultyPlugin("hang-in-discovery");
        var manager = await host.StartAsync();

        var result = await DiscoverAsync(manager, PluginTestHost.Faulty);

        Assert.False(result.Succeeded);
        var faulty = Plugin(manager, PluginTestHost.Faulty);
        Assert.Equal(PluginStatus.Malfunctioned, faulty.Status);
        Assert.Equal("DiscoverDataSources: did not finish within its time limit of 1 s", faulty.Reason);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task LoadAll_PluginHangsInInitialize_CutOffByTimeLimit()
    {
        await using var host = new PluginTestHost { TimeLimit = TimeSpan.FromSeconds(1) };
        host.AddPlugin(PluginTestHost.Standard);
        host.AddFaultyPlugin("hang-in-initialize");
        var manager = await host.StartAsync();

        var faulty = Plugin(manager, PluginTestHost.Faulty);
        Assert.Equal(PluginStatus.Malfunctioned, faulty.Status);
        Assert.Equal("InitializeAsync: did not finish within its time limit of 1 s", faulty.Reason);
        await AssertStandardStillWorksAsync(manager);
    }

    [Fact]
    public async Task Unload_PluginThatWasUsed_LoadContextIsCollected()
    {
        // The Faulty fixture without a fault.txt is well behaved. (The Newtonsoft.Json fixtures are not used here:
        // Newtonsoft's reflection caches in shared framework code keep a plugin's context alive once it serialized.)
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Faulty);
        var manager = await host.StartAsync();
        Assert.True((await DiscoverAsync(manager, PluginTestHost.Faulty)).Succeeded);

        var context = await UnloadAsync(manager);

        for (var i = 0; i < 30 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(10);
        }

        Assert.False(context.IsAlive, "the plugin's load context is still alive after unloading");
        var failed = await DiscoverAsync(manager, PluginTestHost.Faulty);
        Assert.Contains("unloaded by test", failed.Failure, StringComparison.Ordinal);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> UnloadAsync(PluginManager manager)
    {
        Assert.True(await manager.UnloadAsync(PluginTestHost.Faulty, "unloaded by test"));
        return manager.GetLoadContext(PluginTestHost.Faulty)!;
    }

    [Fact]
    public async Task LoadAll_NoPluginsDirectory_NoPluginsAndNoError()
    {
        await using var host = new PluginTestHost();
        Directory.Delete(host.PluginsDirectory);
        var manager = await host.StartAsync();

        Assert.Empty(manager.GetPlugins());
    }

    [Fact]
    public async Task Call_UnknownPlugin_FailsWithReason()
    {
        await using var host = new PluginTestHost();
        var manager = await host.StartAsync();

        var result = await DiscoverAsync(manager, "No.Such.Plugin");

        Assert.Equal("there is no plugin 'No.Such.Plugin'", result.Failure);
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Protection;
using Dpm.Workloads.Sql.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>
/// The plugin as the host deploys and loads it: its folder holds the native SQLite library, and loaded by the
/// plugin manager into its own load context it protects and recovers a database.
/// </summary>
public sealed class PluginLoadTests
{
    private static readonly string PluginsFolder = Path.Combine(AppContext.BaseDirectory, "plugins");

    [Fact]
    public void PluginFolder_Deployed_HoldsTheNativeSqliteLibraryForThisPlatform()
    {
        var native = Path.Combine(PluginsFolder, SqliteTestHost.PluginId, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libe_sqlite3.so");

        Assert.True(File.Exists(native), $"{native} is missing from the plugin's folder");
        Assert.True(File.Exists(Path.Combine(PluginsFolder, SqliteTestHost.PluginId, "Microsoft.Data.Sqlite.dll")));
    }

    [Fact]
    public async Task PluginManager_DeployedFolder_LoadsThePluginInItsOwnContextWhereItBacksUpAndRecoversADatabase()
    {
        await using var host = await SqliteTestHost.StartAsync();
        var database = TestDatabase.Create(Path.Combine(host.NewFolder("data"), "loaded.sqlite"), rows: 25);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new($"{SqliteTestHost.PluginId}:Sqlite:0", database)]).Build();
        await using var manager = new PluginManager(
            new PluginManagerOptions { Directory = PluginsFolder, StateDirectory = host.NewFolder("plugin-state") },
            new McMasterPluginLoader(),
            new EveryTier(),
            NullLoggerFactory.Instance,
            configuration,
            new ProtectedComputer("test-computer", "Linux"),
            TimeProvider.System);

        await manager.LoadAllAsync(CancellationToken.None);
        var info = Assert.Single(manager.GetPlugins(), p => p.Id == SqliteTestHost.PluginId); // the disk storage plugin is deployed beside it
        Assert.True(info.Status == PluginStatus.Active, info.Reason);
        Assert.True(manager.TryGetActive<IWorkloadPlugin>(SqliteTestHost.PluginId, out var plugin, out var reason), reason);
        Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(plugin.GetType().Assembly));

        var discovered = await manager.ListAsync<IWorkloadPlugin, DataSource>(SqliteTestHost.PluginId, "discover", (p, ct) => p.DiscoverDataSourcesAsync(null, ct), CancellationToken.None);
        var dataSource = Assert.Single(discovered.Value!, d => d.Kind == "SqliteDatabase");
        var result = await new ProtectionEngine(host.Pool, NullLogger<ProtectionEngine>.Instance).SynchronizeAsync(
            plugin, new SynchronizationRequest { PluginId = SqliteTestHost.PluginId, DataSource = dataSource }, null, CancellationToken.None);
        var recovered = Path.Combine(host.Root, "recovered.sqlite");
        var reader = (await host.Pool.OpenRecoveryPointAsync(result.RecoveryPoint.Id, CancellationToken.None))!;
        var recovery = await plugin.RecoverAsync(reader, new RecoveryRequest { Target = RecoveryTarget.Alternate(recovered) }, null, CancellationToken.None);

        Assert.Equal($"sqlite:{database}", dataSource.Id);
        Assert.Equal(RecoveryOutcome.Succeeded, recovery.Outcome);
        TestDatabase.AssertRows(recovered, 25);
        var pluginFolder = Path.Combine(PluginsFolder, SqliteTestHost.PluginId) + "/";
        var sqlite = Assert.Single(AssemblyLoadContext.GetLoadContext(plugin.GetType().Assembly)!.Assemblies, a => a.GetName().Name == "Microsoft.Data.Sqlite");
        Assert.StartsWith(pluginFolder, sqlite.Location, StringComparison.Ordinal);
        Assert.Contains(File.ReadLines("/proc/self/maps"), line => line.EndsWith(".so", StringComparison.Ordinal) && line.Contains(pluginFolder + "runtimes/", StringComparison.Ordinal)); // its own native SQLite
    }

    private sealed class EveryTier : ILicenceGate
    {
        public LicenceDecision CanLoad(LicenceTier tier) => new(true, "the test allows every tier");
    }
}

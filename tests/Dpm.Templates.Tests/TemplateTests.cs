using System.Reflection;
using System.Text.RegularExpressions;
using Dpm.Contracts;
using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Templates.Tests;

/// <summary>
/// The templates as a partner uses them: <c>dotnet new</c> from the template package, <c>dotnet test</c> against the
/// packed Dpm.Contracts and Dpm.Contracts.Testing (the kit's every fact passes with no edit), and the plugin's build
/// output dropped into a running server's plugins folder: <c>plugin scan</c> shows it Active, and the server protects
/// and recovers real data through it.
/// </summary>
public sealed partial class TemplateTests(TemplateFeed feed) : IClassFixture<TemplateFeed>
{
    [Fact]
    public async Task DpmWorkload_NewTestBuildDeploy_PassesTheKitLoadsActiveAndTheServerProtectsAndRecoversAFolder()
    {
        const string Name = "Contoso.Workloads.Ledger";
        var solution = await feed.NewAsync("dpm-workload", Name, "--tier", "Enterprise", "--publisher", "Contoso");

        await AssertPassesTheKitAsync(solution, KitFacts(typeof(WorkloadConformance<>)));

        var data = Directory.CreateDirectory(Path.Combine(feed.Root, "ledger-data")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "2026", "11"));
        await File.WriteAllTextAsync(Path.Combine(data, "2026", "11", "journal.csv"), "date,amount\n2026-11-26,100\n");
        await File.WriteAllBytesAsync(Path.Combine(data, "blob.bin"), RandomBytes(1_500_000));
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled, $"--Plugins:{Name}:Folders:0={data}"], "Dpm.Storage.Disk");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });

        var plugin = await DeployAsync(await BuildAsync(solution, Name), Name, server, client);

        Assert.Equal(LicenceTier.Enterprise, plugin.RequiredTier);
        Assert.Equal("Contoso", plugin.Publisher);
        var discovered = (await client.InquireAsync(null, CancellationToken.None)).Value!;
        Assert.Contains(discovered.DataSources, d => d.PluginId == Name && d.DataSource.Id == "sample:" + data);
        var synchronized = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "sample:" + data, PluginId = Name }, CancellationToken.None);
        Assert.True(synchronized.Succeeded, synchronized.Problem?.Detail);
        Assert.Equal(4, synchronized.Value!.ItemsListed); // 2026, 2026/11, journal.csv, blob.bin
        var recovered = Path.Combine(feed.Root, "ledger-recovered");
        var recovery = await client.RecoverAsync(
            new RecoveryRequestDto { RecoveryPointId = synchronized.Value.RecoveryPoint.Id, Destination = RecoveryDestination.AlternateLocation, Path = recovered },
            CancellationToken.None);
        Assert.True(recovery.Succeeded, recovery.Problem?.Detail);
        Assert.Equal(RecoveryOutcome.Succeeded, recovery.Value!.Outcome);
        AssertSameFiles(data, recovered);
    }

    [Fact]
    public async Task DpmStorage_NewTestBuildDeploy_PassesTheKitLoadsActiveAndKeepsTheServersPool()
    {
        const string Name = "Contoso.Storage.Vault";
        var solution = await feed.NewAsync("dpm-storage", Name);

        await AssertPassesTheKitAsync(solution, KitFacts(typeof(StorageConformance<>)));

        var built = await BuildAsync(solution, Name);
        await using (var server = await RunningServer.StartAsync())
        {
            var plugin = await DeployAsync(built, Name, server, new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) }));
            Assert.Equal(LicenceTier.None, plugin.RequiredTier);
        }

        // The same build keeps a server's storage pool: protect a folder into it, recover it, verify the pool.
        var store = Path.Combine(feed.Root, "vault-store");
        var data = Directory.CreateDirectory(Path.Combine(feed.Root, "vault-data")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(data, "scan.pdf"), RandomBytes(3_000_000));
        await File.WriteAllTextAsync(Path.Combine(data, "notes.txt"), "kept in the vault\n");
        await using var pooled = await RunningServer.StartAsync([RunningServer.Unscheduled, $"--Dpm:Pool:Plugin={Name}", $"--Dpm:Pool:Settings:Path={store}"], "Dpm.Workloads.Files");
        FixturePlugins.CopyFolder(built, Path.Combine(pooled.PluginsDirectory, Name));
        await pooled.RestartAsync();
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(pooled.Url) });
        Assert.StartsWith("sample:" + store, (await client.GetPoolAsync(CancellationToken.None)).Value!.Location, StringComparison.Ordinal);

        var synchronized = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None);

        Assert.True(synchronized.Succeeded, synchronized.Problem?.Detail);
        Assert.Contains(Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories), f => !f.Contains("/.incoming/", StringComparison.Ordinal));
        var recovered = Path.Combine(feed.Root, "vault-recovered");
        var recovery = await client.RecoverAsync(
            new RecoveryRequestDto { RecoveryPointId = synchronized.Value!.RecoveryPoint.Id, Destination = RecoveryDestination.AlternateLocation, Path = recovered },
            CancellationToken.None);
        Assert.True(recovery.Succeeded, recovery.Problem?.Detail);
        AssertSameFiles(data, recovered);
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal((1, 0), (verify.RecoveryPoints, verify.Damaged.Count));
    }

    /// <summary><c>dotnet test</c> of the made solution: it builds against the packed packages and every fact of the kit passes.</summary>
    private static async Task AssertPassesTheKitAsync(string solution, int facts)
    {
        var test = await DotnetCli.RunAsync(solution, null, "test", "-nologo", "-p:NuGetAudit=false");

        Assert.True(test.ExitCode == 0, $"dotnet test of the made solution failed: {test}");
        var summary = TestSummary().Match(test.Output);
        Assert.True(summary.Success, $"no test summary in: {test.Output}");
        Assert.Equal(0, int.Parse(summary.Groups["failed"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(facts, int.Parse(summary.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary><c>dotnet build -c Release</c> of the made plugin; returns its output folder, which is the plugin folder.</summary>
    private static async Task<string> BuildAsync(string solution, string name)
    {
        var build = await DotnetCli.RunAsync(solution, null, "build", Path.Combine("src", name), "-c", "Release", "-nologo", "-p:NuGetAudit=false");
        Assert.True(build.ExitCode == 0, $"dotnet build of the plugin failed: {build}");
        var output = Path.Combine(solution, "src", name, "bin", "Release", "net10.0");
        Assert.False(File.Exists(Path.Combine(output, "Dpm.Contracts.dll")), "the plugin ships its own copy of the contracts");
        Assert.Empty(Directory.EnumerateFiles(output, "Microsoft.Extensions.*.dll"));

        // What `dpm plugin validate` runs before deployment: every check passes (a storage plugin skips the smoke subset).
        var validation = await PluginValidator.ValidateAsync(
            output, new PluginManagerOptions(), NullLoggerFactory.Instance, new ConfigurationBuilder().Build(), new ProtectedComputer("partner-pc", "Linux"), CancellationToken.None);
        Assert.True(validation.Passed, string.Join("\n", validation.Checks.Select(c => $"{c.Check}: {c.Outcome} {c.Detail}")));
        return output;
    }

    /// <summary>Copies a plugin folder into a running server's plugins folder and asks the server to scan it.</summary>
    private static async Task<PluginInfo> DeployAsync(string built, string name, RunningServer server, DpmManagementClient client)
    {
        FixturePlugins.CopyFolder(built, Path.Combine(server.PluginsDirectory, name));

        var scanned = await client.ScanPluginsAsync(CancellationToken.None);

        Assert.True(scanned.Succeeded, scanned.Problem?.Detail);
        var plugin = Assert.Single(scanned.Value!, p => p.Id == name);
        Assert.True(plugin.Status == PluginStatus.Active, $"{name} is {plugin.Status}: {plugin.Reason}");
        Assert.Equal("0.1.0", plugin.Version);
        return plugin;
    }

    /// <summary>How many test cases the kit's base class gives a plugin's test class: a fact is one, a theory one per row.</summary>
    private static int KitFacts(Type kit) =>
        kit.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() is not null)
            .Sum(m => Math.Max(1, m.GetCustomAttributes<InlineDataAttribute>().Count()));

    private static void AssertSameFiles(string expected, string actual)
    {
        var files = Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.EnumerateFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.True(File.ReadAllBytes(Path.Combine(expected, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, f))), $"{f} differs"));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+)")]
    private static partial Regex TestSummary();
}

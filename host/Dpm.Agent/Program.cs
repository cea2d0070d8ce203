using System.CommandLine;
using System.Text.Json;
using Dpm.Agent;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
var discover = new Command("discover", "Load the workload plugins and list the data sources they find on this computer") { json };
discover.SetAction(async (parse, ct) =>
{
    using var host = BuildHost([]);
    await host.StartAsync(ct);
    var plugins = host.Services.GetRequiredService<PluginManager>();
    var found = new List<object>();
    var exit = 0;
    foreach (var workload in plugins.GetActive(PluginKind.Workload))
    {
        var result = await plugins.ListAsync<IWorkloadPlugin, DataSource>(workload.Id, "DiscoverDataSources", (p, c) => p.DiscoverDataSourcesAsync(null, c), ct);
        if (!result.Succeeded)
        {
            await Console.Error.WriteLineAsync($"dpm-agent: {result.Failure}");
            exit = 1;
            continue;
        }

        foreach (var source in result.Value!)
        {
            found.Add(new { pluginId = workload.Id, dataSource = source });
            if (!parse.GetValue(json))
            {
                Console.WriteLine($"{workload.Id}\t{source.Kind}\t{source.Name}\t{source.Location}");
            }
        }
    }

    if (parse.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(found, ManagementJson.Options));
    }

    await host.StopAsync(ct);
    return exit;
});

var run = new Command("run", "Run the agent until stopped (host settings such as --Dpm:DataDirectory=DIR pass through)") { TreatUnmatchedTokensAsErrors = false };
run.SetAction(async (_, ct) =>
{
    using var host = BuildHost(args);
    await host.RunAsync(ct);
    return 0;
});

var root = new RootCommand("dpm-agent: the DpmPlugins protection agent") { discover, run };
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction(async (_, ct) =>
{
    using var host = BuildHost(args);
    await host.RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();

static IHost BuildHost(string[] args)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is for results
    builder.Services.AddSingleton<ILicenceGate, ServerEnforcedLicence>();
    builder.Services.AddDpmHost(builder.Configuration).AddDpmPlugins(builder.Configuration);
    return builder.Build();
}

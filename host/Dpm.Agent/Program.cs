using System.CommandLine;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dpm.Agent;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.Configuration;
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

var serverOption = new Option<string>("--server") { Description = "The server's agent address (dpm agent attach prints it)", Required = true };
var tokenOption = new Option<string>("--token") { Description = "The one-time token dpm agent attach printed", Required = true };
var attach = new Command("attach", "Attach this agent to a server with a one-time token: it gets a client certificate, and from then on every call is mutual TLS") { serverOption, tokenOption };
attach.TreatUnmatchedTokensAsErrors = false;
attach.SetAction(async (parse, ct) =>
{
    if (!Uri.TryCreate(parse.GetValue(serverOption), UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps)
    {
        await Console.Error.WriteLineAsync($"dpm-agent: --server must be the server's https address for agents (dpm agent attach prints it), not '{parse.GetValue(serverOption)}'");
        return 2;
    }

    try
    {
        var computer = await AgentIdentity.AttachAsync(IdentityFolder(args), server, parse.GetValue(tokenOption)!, ct);
        Console.WriteLine($"attached to {parse.GetValue(serverOption)} as {computer}");
        return 0;
    }
    catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
    {
        await Console.Error.WriteLineAsync($"dpm-agent: {ex.Message}");
        return 1;
    }
});

var heartbeat = new Command("heartbeat", "Tell the attached server this agent is alive, with its version and the plugins it loaded") { json };
heartbeat.TreatUnmatchedTokensAsErrors = false;
heartbeat.SetAction(async (parse, ct) =>
{
    using var host = BuildHost(args);
    await host.StartAsync(ct);
    var loaded = host.Services.GetRequiredService<PluginManager>().GetActive(PluginKind.Workload).Select(p => p.Id).ToList();
    await host.StopAsync(ct);
    try
    {
        using var http = AgentIdentity.Connect(IdentityFolder(args));
        var version = typeof(AgentIdentity).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        using var response = await http.PostAsJsonAsync("agent/heartbeat", new AgentHeartbeat(version, loaded), ManagementJson.Options, ct);
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadFromJsonAsync<ApiProblem>(ManagementJson.Options, ct);
            await Console.Error.WriteLineAsync($"dpm-agent: the server refused this agent: {problem?.Detail ?? response.ReasonPhrase}");
            return 1;
        }

        var seen = (await response.Content.ReadFromJsonAsync<AgentInfo>(ManagementJson.Options, ct))!;
        Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(seen, ManagementJson.Options) : $"{seen.ComputerName}: alive, version {seen.Version}");
        return 0;
    }
    catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or CryptographicException)
    {
        await Console.Error.WriteLineAsync($"dpm-agent: {ex.Message}");
        return 1;
    }
});

var root = new RootCommand("dpm-agent: the DpmPlugins protection agent") { discover, run, attach, heartbeat };
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction(async (_, ct) =>
{
    using var host = BuildHost(args);
    await host.RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();

// The identity lives in the agent's data directory (Dpm:DataDirectory, as for everything the agent keeps).
static string IdentityFolder(string[] args)
{
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args.Where(a => a.StartsWith("--Dpm:", StringComparison.Ordinal)).ToArray()).Build();
    return Path.Combine(DpmHostOptions.ResolveDataDirectory(configuration["Dpm:DataDirectory"]), "identity");
}

static IHost BuildHost(string[] args)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is for results
    builder.Services.AddSingleton<ILicenceGate, ServerEnforcedLicence>();
    builder.Services.AddDpmHost(builder.Configuration).AddDpmPlugins(builder.Configuration);
    return builder.Build();
}

using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Dpm.Agent;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Protection;
using Dpm.Transfer;
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

var run = new Command("run", "Run the agent until stopped, sending a heartbeat every Dpm:Agent:HeartbeatSeconds (host settings such as --Dpm:DataDirectory=DIR pass through)") { TreatUnmatchedTokensAsErrors = false };
run.SetAction(async (_, ct) =>
{
    using var host = BuildHost(args, running: true);
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
    var (seen, problem) = await Heartbeat.SendAsync(IdentityFolder(args), loaded, ct);
    if (seen is null)
    {
        await Console.Error.WriteLineAsync($"dpm-agent: {problem}");
        return 1;
    }

    Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(seen, ManagementJson.Options) : $"{seen.ComputerName}: alive, version {seen.Version}, plugins {(seen.Plugins.Count == 0 ? "none" : string.Join(", ", seen.Plugins))}");
    return 0;
});

var dataSourceOption = new Option<string>("--datasource") { Description = "The data source's id (for example folder:/srv/data)", Required = true };
var pluginOption = new Option<string?>("--plugin") { Description = "The workload plugin that protects it (the file workload for folder: and volume: ids)" };
var synchronize = new Command("synchronize", "Make a recovery point of one of this computer's data sources on the attached server, sending only the data the server lacks") { dataSourceOption, pluginOption, json };
synchronize.TreatUnmatchedTokensAsErrors = false;
synchronize.SetAction(async (parse, ct) => await WithServerAsync(parse.GetValue(json), async (host, connection) =>
{
    var dataSourceId = parse.GetValue(dataSourceOption)!;
    var pluginId = parse.GetValue(pluginOption) ?? DataSourceIds.DefaultPlugin(dataSourceId)
        ?? throw new InvalidOperationException($"say which workload plugin protects '{dataSourceId}' (--plugin)");
    if (!host.Services.GetRequiredService<PluginManager>().TryGetActive<IWorkloadPlugin>(pluginId, out var plugin, out var reason))
    {
        throw new InvalidOperationException(reason);
    }

    var request = new SynchronizationRequest { PluginId = pluginId, DataSource = DataSourceIds.ToDataSource(dataSourceId) };
    var result = await AgentProtection.SynchronizeAsync(connection, plugin, request, jobId: null, progress: null, host.Services.GetRequiredService<ILoggerFactory>(), ct);
    var point = result.RecoveryPoint;
    return (new
    {
        recoveryPointId = point.Id,
        dataSourceId,
        items = point.Stats.Items,
        bytes = point.Stats.Bytes,
        bytesRead = point.Stats.BytesRead,
        newBytes = point.Stats.NewBytes,
        bytesSent = connection.BytesSent,
        itemsRead = result.ItemsRead,
        itemsReused = result.ItemsReused,
        changedWhileRead = result.ChangedWhileRead,
    }, $"recovery point {point.Id} of {dataSourceId}: {point.Stats.Items} items, {point.Stats.BytesRead} bytes read, {connection.BytesSent} bytes of chunks sent");
}, ct));

var dataSourceFilter = new Option<string?>("--datasource") { Description = "Only this data source's" };
var points = new Command("recovery-points", "List this computer's recovery points on the attached server") { dataSourceFilter, json };
points.TreatUnmatchedTokensAsErrors = false;
points.SetAction(async (parse, ct) => await WithServerAsync(parse.GetValue(json), async (_, connection) =>
{
    var listed = await AgentProtection.ListRecoveryPointsAsync(connection, parse.GetValue(dataSourceFilter), ct);
    var rows = listed.Select(p => new { id = p.Id, dataSourceId = p.DataSourceId, dataSourceName = p.DataSourceName, createdAt = DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAtUnixMs), kind = p.Kind }).ToList();
    return (rows, string.Join(Environment.NewLine, rows.Select(r => $"{r.id}\t{r.dataSourceId}\t{r.createdAt:u}\t{r.kind}")));
}, ct));

var pointOption = new Option<string>("--recovery-point") { Description = "Which recovery point (dpm-agent recovery-points lists them)", Required = true };
var toOption = new Option<string?>("--to") { Description = "Recover into this folder instead of the original location" };
var itemsOption = new Option<string[]>("--item") { Description = "Recover only this item (a path inside the data source); may be given more than once", AllowMultipleArgumentsPerToken = true };
var recover = new Command("recover", "Recover one of this computer's recovery points from the attached server") { pointOption, toOption, itemsOption, json };
recover.TreatUnmatchedTokensAsErrors = false;
recover.SetAction(async (parse, ct) => await WithServerAsync(parse.GetValue(json), async (host, connection) =>
{
    var reader = await AgentProtection.OpenRecoveryPointAsync(connection, parse.GetValue(pointOption)!, compress: true, ct);
    var pluginId = reader.Manifest.PluginId ?? DataSourceIds.FilesPlugin;
    if (!host.Services.GetRequiredService<PluginManager>().TryGetActive<IWorkloadPlugin>(pluginId, out var plugin, out var reason))
    {
        throw new InvalidOperationException(reason);
    }

    var to = parse.GetValue(toOption);
    var target = new RecoveryTarget(to is null ? RecoveryDestination.OriginalLocation : RecoveryDestination.AlternateLocation, to is null ? null : Path.GetFullPath(to));
    var items = parse.GetValue(itemsOption) ?? [];
    var result = items.Length == 0
        ? await plugin.RecoverAsync(reader, new RecoveryRequest { Target = target }, null, ct)
        : plugin is IItemLevelRecovery itemLevel
            ? await itemLevel.RecoverItemsAsync(reader, new ItemRecoveryRequest { Target = target, Items = items }, null, ct)
            : throw new InvalidOperationException($"plugin '{pluginId}' recovers whole data sources only");
    if (result.Outcome == RecoveryOutcome.Failed)
    {
        throw new InvalidOperationException($"the recovery failed: {string.Join("; ", result.Failures.Select(f => $"{f.Path}: {f.Reason}"))}");
    }

    return (result, $"recovered {result.ItemsRecovered} items, {result.BytesRecovered} bytes ({result.Outcome})");
}, ct));

var root = new RootCommand("dpm-agent: the DpmPlugins protection agent") { discover, run, attach, heartbeat, synchronize, points, recover };
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction(async (_, ct) =>
{
    using var host = BuildHost(args, running: true);
    await host.RunAsync(ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();

// Runs work against the attached server with the agent's plugins loaded; prints the result (JSON or text) or the error.
async Task<int> WithServerAsync<T>(bool asJson, Func<IHost, ReplicaConnection, Task<(T Value, string Text)>> work, CancellationToken ct)
{
    using var host = BuildHost(args);
    await host.StartAsync(ct);
    try
    {
        using var connection = AgentIdentity.ConnectReplica(IdentityFolder(args), host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Dpm.Agent"));
        var (value, text) = await work(host, connection);
        Console.WriteLine(asJson ? JsonSerializer.Serialize(value, ManagementJson.Options) : text);
        return 0;
    }
    catch (Exception ex) when (ex is InvalidOperationException or IOException or CryptographicException or UnauthorizedAccessException or ArgumentException or Dpm.Storage.PoolDataException)
    {
        await Console.Error.WriteLineAsync($"dpm-agent: {ex.Message}");
        return 1;
    }
    finally
    {
        await host.StopAsync(CancellationToken.None);
    }
}

// The identity lives in the agent's data directory (Dpm:DataDirectory, as for everything the agent keeps).
static string IdentityFolder(string[] args)
{
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args.Where(a => a.StartsWith("--Dpm:", StringComparison.Ordinal)).ToArray()).Build();
    return AgentIdentity.Folder(DpmHostOptions.ResolveDataDirectory(configuration["Dpm:DataDirectory"]));
}

// The agent's host: its plugins; when it runs until stopped (not for one command), its heartbeats too.
static IHost BuildHost(string[] args, bool running = false)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is for results
    builder.Services.AddSingleton<ILicenceGate, ServerEnforcedLicence>();
    builder.Services.AddDpmHost(builder.Configuration).AddDpmPlugins(builder.Configuration);
    if (running)
    {
        builder.Services.AddOptions<HeartbeatOptions>().Bind(builder.Configuration.GetSection(HeartbeatOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<HeartbeatService>();
        builder.Services.AddHostedService<WorkService>();
    }

    return builder.Build();
}

using System.ComponentModel.DataAnnotations;
using Dpm.Contracts;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dpm.Agent;

/// <summary>How the running agent keeps in touch with its server (section <c>Dpm:Agent</c>).</summary>
internal sealed class HeartbeatOptions
{
    public const string Section = "Dpm:Agent";

    /// <summary>
    /// How often the running agent sends a heartbeat, in seconds (5 minutes by default). The server raises
    /// AgentNotResponding after Dpm:Agents:HeartbeatTimeoutMinutes (30) without one.
    /// </summary>
    [Range(1, 24 * 60 * 60)]
    public int HeartbeatSeconds { get; set; } = 300;
}

/// <summary>
/// While <c>dpm-agent run</c> runs on an attached computer, sends a heartbeat once the agent has started and then
/// every <see cref="HeartbeatOptions.HeartbeatSeconds"/>. A server that can't be reached or refuses the agent is
/// logged, and the next heartbeat tries again; the agent goes on. An agent that is not attached sends none.
/// </summary>
internal sealed partial class HeartbeatService(
    PluginManager plugins, IOptions<HeartbeatOptions> options, IOptions<DpmHostOptions> host, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<HeartbeatService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var identity = AgentIdentity.Folder(host.Value.DataDirectory);
        if (!Directory.Exists(identity))
        {
            NotAttached(logger, identity);
            return;
        }

        // Once the agent has started: its plugins are loaded by then, and the heartbeat names them.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var interval = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            var loaded = plugins.GetActive(PluginKind.Workload).Select(p => p.Id).ToList();
            var result = await Heartbeat.SendAsync(identity, loaded, stoppingToken);
            if (result.Problem is { } problem)
            {
                NotSent(logger, problem, interval);
            }
            else
            {
                Sent(logger, result.Seen?.ComputerName, loaded.Count);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 80, Level = LogLevel.Information, Message = "This agent is not attached ({Identity} is missing): no heartbeats; attach it with dpm-agent attach --server URL --token T and start it again")]
    private static partial void NotAttached(ILogger logger, string identity);

    [LoggerMessage(EventId = 81, Level = LogLevel.Debug, Message = "Heartbeat sent as {Computer} ({Plugins} workload plugins loaded)")]
    private static partial void Sent(ILogger logger, string? computer, int plugins);

    [LoggerMessage(EventId = 82, Level = LogLevel.Warning, Message = "Heartbeat not sent: {Problem}; trying again in {Interval}")]
    private static partial void NotSent(ILogger logger, string problem, TimeSpan interval);
}

using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.Options;

namespace Dpm.Server;

/// <summary>Says at start-up, in a few lines, where the server keeps its data, how it is licensed and what loaded.</summary>
internal sealed partial class StartupReport(
    IOptions<DpmHostOptions> host,
    LicenceService licences,
    PluginManager plugins,
    ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        DataDirectory(logger, host.Value.DataDirectory, host.Value.ComputerName);
        var licence = licences.GetState();
        Licence(logger, licence.Summary);
        foreach (var plugin in plugins.GetPlugins())
        {
            Plugin(logger, plugin.Id ?? plugin.Folder, plugin.Status, plugin.Reason);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Data directory {DataDirectory}, computer {Computer}")]
    private static partial void DataDirectory(ILogger logger, string dataDirectory, string computer);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Licence: {Summary}")]
    private static partial void Licence(ILogger logger, string summary);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Plugin {Plugin}: {Status} ({Reason})")]
    private static partial void Plugin(ILogger logger, string plugin, PluginStatus status, string reason);
}

using Dpm.Management;
using Microsoft.Extensions.Logging;

namespace Dpm.Core.Plugins;

internal static partial class PluginManagerLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Plugin folder {Folder}: {Status} - {Reason}")]
    public static partial void StatusChanged(ILogger logger, string folder, PluginStatus status, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Plugin folder {Folder}: {Status} - {Reason}")]
    public static partial void Disabled(ILogger logger, string folder, PluginStatus status, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Plugin {PluginId} malfunctioned in {Operation}: {Reason}")]
    public static partial void Malfunctioned(ILogger logger, string pluginId, string operation, string reason, Exception? exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Plugins directory {Directory} does not exist; no plugins loaded")]
    public static partial void NoPluginsDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Plugins: {Active} active of {Total}")]
    public static partial void Loaded(ILogger logger, int active, int total);
}

using Dpm.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.Core.Plugins;

internal sealed record PluginContext(
    PluginManifest Manifest,
    ILoggerFactory LoggerFactory,
    IConfiguration Configuration,
    string DataDirectory,
    ProtectedComputer Computer,
    TimeProvider TimeProvider) : IPluginContext;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.Contracts;

/// <summary>What the host gives a plugin when it starts it. Implemented by the host.</summary>
public interface IPluginContext
{
    /// <summary>The plugin's manifest, as the host validated it.</summary>
    PluginManifest Manifest { get; }

    /// <summary>Where the plugin creates its loggers. Keep no logger typed by a host type.</summary>
    ILoggerFactory LoggerFactory { get; }

    /// <summary>The plugin's own configuration section (<c>Plugins:&lt;id&gt;</c>); bind it to typed options.</summary>
    IConfiguration Configuration { get; }

    /// <summary>A folder private to the plugin for its state (change journals, caches). It exists.</summary>
    string DataDirectory { get; }

    /// <summary>The computer this plugin runs on.</summary>
    ProtectedComputer Computer { get; }

    /// <summary>The clock to use, so that tests can move time.</summary>
    TimeProvider TimeProvider { get; }
}

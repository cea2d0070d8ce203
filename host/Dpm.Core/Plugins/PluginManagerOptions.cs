using System.ComponentModel.DataAnnotations;

namespace Dpm.Core.Plugins;

/// <summary>Where plugins are and how long the host waits for them.</summary>
public sealed class PluginManagerOptions
{
    public const string Section = "Dpm:Plugins";

    /// <summary>The folder whose sub-folders are plugins, one each.</summary>
    [Required]
    public string Directory { get; set; } = "";

    /// <summary>The folder under which each plugin gets a private state folder named by its id.</summary>
    [Required]
    public string StateDirectory { get; set; } = "";

    /// <summary>Time a plugin has to construct and initialize itself.</summary>
    public TimeSpan StartTimeLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a plugin has to answer a short call (discovery, listing).</summary>
    public TimeSpan CallTimeLimit { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time a plugin has to dispose of itself before it is unloaded anyway.</summary>
    public TimeSpan StopTimeLimit { get; set; } = TimeSpan.FromSeconds(10);
}

namespace Dpm.Contracts;

/// <summary>
/// Marks a plugin's single entry point: a public class with a parameterless constructor that implements
/// <see cref="Spi.IWorkloadPlugin"/> or <see cref="Spi.IStoragePlugin"/>. The host checks that what this
/// attribute declares matches the plugin's manifest (<c>plugin.json</c>) before it runs any plugin code.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class DpmPluginAttribute : Attribute
{
    /// <summary>Declares the entry point of the plugin <paramref name="id"/>.</summary>
    public DpmPluginAttribute(string id, PluginKind kind)
    {
        Id = id;
        Kind = kind;
    }

    /// <summary>The plugin id, the same as in the manifest (for example <c>Dpm.Workloads.Files</c>).</summary>
    public string Id { get; }

    /// <summary>What the plugin provides.</summary>
    public PluginKind Kind { get; }

    /// <summary>The licence tier a computer needs for this plugin to load.</summary>
    public LicenceTier RequiredTier { get; init; }
}

namespace Dpm.Contracts;

/// <summary>
/// The manifest every plugin folder ships as <c>plugin.json</c>. The host reads and checks it before it loads
/// any of the plugin's code.
/// </summary>
public sealed record PluginManifest
{
    /// <summary>The file name of the manifest in a plugin folder.</summary>
    public const string FileName = "plugin.json";

    /// <summary>Unique id, reverse-dotted (for example <c>Dpm.Workloads.Files</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Name shown to operators.</summary>
    public required string Name { get; init; }

    /// <summary>The plugin's own version (semantic version).</summary>
    public required string Version { get; init; }

    /// <summary>What the plugin provides.</summary>
    public required PluginKind Kind { get; init; }

    /// <summary>The contracts version the plugin was built against, <c>major.minor</c>.</summary>
    public required string ContractsVersion { get; init; }

    /// <summary>The licence tier needed for the plugin to load; <see cref="LicenceTier.None"/> for none.</summary>
    public LicenceTier RequiredTier { get; init; }

    /// <summary>File name of the assembly, inside the plugin folder, that holds the entry point.</summary>
    public required string EntryAssembly { get; init; }

    /// <summary>One sentence on what the plugin protects or stores.</summary>
    public string? Description { get; init; }

    /// <summary>Who ships the plugin.</summary>
    public string? Publisher { get; init; }
}

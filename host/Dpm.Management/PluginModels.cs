using Dpm.Contracts;

namespace Dpm.Management;

/// <summary>The state of a plugin in the host.</summary>
public enum PluginStatus
{
    /// <summary>Loaded, initialized and in use.</summary>
    Active = 1,

    /// <summary>Not loaded: the licence does not cover its tier.</summary>
    DisabledByLicence = 2,

    /// <summary>Not loaded: its manifest or assembly doesn't fit this host (or lies about itself).</summary>
    Incompatible = 3,

    /// <summary>It threw, hung or misbehaved; the host cut it off.</summary>
    Malfunctioned = 4,
}

/// <summary>A plugin as the host sees it.</summary>
public sealed record PluginInfo
{
    public required string Folder { get; init; }
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Version { get; init; }
    public PluginKind? Kind { get; init; }
    public LicenceTier? RequiredTier { get; init; }
    public string? ContractsVersion { get; init; }
    public string? Publisher { get; init; }
    public string? Description { get; init; }
    public required PluginStatus Status { get; init; }

    /// <summary>Why the plugin has this status, in words an operator can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset StatusSince { get; init; }
}

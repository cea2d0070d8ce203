using Dpm.Management;

namespace Dpm.Core.Licensing;

/// <summary>What a licence grants: the signed part of a licence file.</summary>
public sealed record LicenceContent
{
    public required string Id { get; init; }
    public required string Licensee { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>How many computers each tier may protect.</summary>
    public required ComputerCounts Computers { get; init; }
}

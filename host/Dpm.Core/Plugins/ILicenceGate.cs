using Dpm.Contracts;

namespace Dpm.Core.Plugins;

/// <summary>Whether the licence lets a plugin of a tier load, and why not.</summary>
public readonly record struct LicenceDecision(bool Allowed, string Reason);

/// <summary>Answers whether plugins of a licence tier may load. Implemented by the licence engine.</summary>
public interface ILicenceGate
{
    LicenceDecision CanLoad(LicenceTier tier);
}

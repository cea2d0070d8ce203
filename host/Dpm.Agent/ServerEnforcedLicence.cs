using Dpm.Contracts;
using Dpm.Core.Plugins;

namespace Dpm.Agent;

/// <summary>
/// An agent loads every workload plugin it has: licences are counted by the server, which refuses protection
/// of a computer its licences don't cover.
/// </summary>
internal sealed class ServerEnforcedLicence : ILicenceGate
{
    public LicenceDecision CanLoad(LicenceTier tier) => new(true, "licences are enforced by the server");
}

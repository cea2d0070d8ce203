using Dpm.Management;

namespace Dpm.Core.Licensing;

/// <summary>Keeps which computer holds which licence, so that counts survive restarts.</summary>
public interface ILicenceConsumptionStore
{
    IReadOnlyList<LicenceConsumption> Load();

    void Save(IReadOnlyList<LicenceConsumption> consumptions);
}

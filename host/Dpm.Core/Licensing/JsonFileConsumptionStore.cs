using System.Text.Json;
using Dpm.Management;

namespace Dpm.Core.Licensing;

/// <summary>Keeps licence consumption in a JSON file beside the licences.</summary>
public sealed class JsonFileConsumptionStore(string path) : ILicenceConsumptionStore
{
    public IReadOnlyList<LicenceConsumption> Load()
    {
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<LicenceConsumption>>(File.ReadAllText(path), ManagementJson.Options) ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"the licence consumption file '{path}' is damaged: {ex.Message}", ex);
        }
    }

    public void Save(IReadOnlyList<LicenceConsumption> consumptions) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(consumptions, ManagementJson.Options));
}

using Dpm.Contracts;
using Newtonsoft.Json;

namespace Dpm.Fixtures;

[DpmPlugin("Fixture.Workload.Standard", PluginKind.Workload, RequiredTier = LicenceTier.Standard)]
public sealed partial class FixtureWorkload
{
    static partial void AddLibraryFacts(Dictionary<string, string> facts)
    {
        facts["newtonsoft"] = typeof(JsonConvert).Assembly.GetName().Version!.ToString();
        facts["json"] = JsonConvert.SerializeObject(new { tier = "Standard" });
    }
}

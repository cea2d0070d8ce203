using Dpm.Contracts;
using Newtonsoft.Json;

namespace Dpm.Fixtures;

[DpmPlugin("Fixture.Workload.Enterprise", PluginKind.Workload, RequiredTier = LicenceTier.Enterprise)]
public sealed partial class FixtureWorkload
{
    static partial void AddLibraryFacts(Dictionary<string, string> facts)
    {
        facts["newtonsoft"] = typeof(JsonConvert).Assembly.GetName().Version!.ToString();
        facts["json"] = JsonConvert.SerializeObject(new { tier = "Enterprise" });
    }
}

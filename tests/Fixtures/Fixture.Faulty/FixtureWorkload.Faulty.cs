using Dpm.Contracts;

namespace Dpm.Fixtures;

[DpmPlugin("Fixture.Faulty", PluginKind.Workload)]
public sealed partial class FixtureWorkload;

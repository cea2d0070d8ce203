using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;

namespace Company.Workloads.Sample.Tests;

/// <summary>
/// The plugin keeps the workload contracts: every fact of the DpmPlugins conformance kit (discover, snapshot, express
/// full after a change, byte-identical recovery, item-level recovery, cancellation, clear errors, the manifest) runs
/// against a real folder this class fills.
/// </summary>
public sealed class SampleWorkloadConformanceTests : WorkloadConformance<SampleWorkload>
{
    protected override IEnumerable<KeyValuePair<string, string?>> PluginSettings(string folder) => [new("Folders:0", folder)];

    protected override Task<DataSource> CreateDataSourceAsync(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "nested", "empty"));
        File.WriteAllText(Path.Combine(folder, "settings.txt"), "first version\n");
        File.WriteAllBytes(Path.Combine(folder, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(folder, "nested", "data.bin"), RandomBytes(300_000));
        File.WriteAllText(Path.Combine(folder, "nested", "doomed.txt"), "deleted by the change\n");
        return Task.FromResult(SampleWorkload.DataSourceOf(folder));
    }

    protected override Task ChangeDataSourceAsync(DataSource dataSource)
    {
        var folder = dataSource.Location!;
        File.WriteAllText(Path.Combine(folder, "settings.txt"), "second version, longer\n");
        File.Delete(Path.Combine(folder, "nested", "doomed.txt"));
        File.WriteAllBytes(Path.Combine(folder, "nested", "added.bin"), RandomBytes(5_000));
        return Task.CompletedTask;
    }

    protected override DataSource MissingDataSource(string folder) => SampleWorkload.DataSourceOf(Path.Combine(folder, "missing"));

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}

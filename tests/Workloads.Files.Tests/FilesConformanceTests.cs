using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

/// <summary>The File workload keeps the workload contracts: the conformance kit on a configured folder.</summary>
public sealed class FilesConformanceTests : WorkloadConformance<FilesWorkload>
{
    protected override IEnumerable<KeyValuePair<string, string?>> PluginSettings(string folder) => [new("Roots:0", folder)];

    protected override Task<DataSource> CreateDataSourceAsync(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "plain.txt"), "plain text\n");
        File.WriteAllBytes(Path.Combine(folder, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(folder, "random.bin"), TreeBuilder.RandomBytes(200_000, seed: 1));
        Directory.CreateDirectory(Path.Combine(folder, "nested", "empty"));
        File.WriteAllText(Path.Combine(folder, "nested", "doomed.txt"), "deleted by the change");
        File.WriteAllText(Path.Combine(folder, "nested", "kept.txt"), "kept as it is");
        return Task.FromResult(TestHost.Folder(folder));
    }

    protected override Task ChangeDataSourceAsync(DataSource dataSource)
    {
        var folder = dataSource.Location!;
        File.WriteAllText(Path.Combine(folder, "plain.txt"), "plain text, changed\n");
        File.Delete(Path.Combine(folder, "nested", "doomed.txt"));
        File.WriteAllBytes(Path.Combine(folder, "nested", "added.bin"), TreeBuilder.RandomBytes(5000, seed: 2));
        return Task.CompletedTask;
    }

    protected override DataSource MissingDataSource(string folder) => TestHost.Folder(Path.Combine(folder, "missing"));
}

using Dpm.Contracts.Testing;
using Microsoft.Extensions.Configuration;

namespace Company.Storage.Sample.Tests;

/// <summary>
/// The plugin keeps the storage contracts: every fact of the DpmPlugins conformance kit (put and get, create-only puts,
/// ranged reads, missing objects, delete, list, concurrent writers, space, the manifest) runs against a real folder.
/// </summary>
public sealed class SampleStoreConformanceTests : StorageConformance<SampleStoragePlugin>
{
    protected override IConfiguration StoreSettings(string folder) =>
        new ConfigurationBuilder().AddInMemoryCollection([new("Path", Path.Combine(folder, "store"))]).Build();
}

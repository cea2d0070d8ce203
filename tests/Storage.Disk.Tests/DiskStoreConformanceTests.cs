using Dpm.Contracts.Testing;
using Microsoft.Extensions.Configuration;

namespace Dpm.Storage.Disk.Tests;

/// <summary>The disk storage plugin keeps the storage contracts: the conformance kit on a store in a folder.</summary>
public sealed class DiskStoreConformanceTests : StorageConformance<DiskStoragePlugin>
{
    protected override IConfiguration StoreSettings(string folder) => TestPool.Settings(("Path", folder));
}

using Dpm.Contracts.Spi;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Dpm.Storage.Disk;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>A real storage pool on the disk storage plugin, in a folder of the test's.</summary>
public sealed class TestPool : IAsyncDisposable
{
    private TestPool(StoragePool pool, IObjectStore store) => (Pool, Store) = (pool, store);

    public StoragePool Pool { get; }

    public IObjectStore Store { get; }

    public static async Task<TestPool> CreateAsync(string folder)
    {
        var plugin = new DiskStoragePlugin();
        await plugin.InitializeAsync(new TestHost.TestPluginContext(new ConfigurationBuilder().Build(), NullLoggerFactory.Instance), CancellationToken.None);
        var store = await plugin.OpenStoreAsync(new ConfigurationBuilder().AddInMemoryCollection([new("Path", Path.Combine(folder, "pool"))]).Build(), CancellationToken.None);
        var pool = await StoragePool.CreateAsync(store, new PoolCreateOptions { Credentials = PoolCredentials.None }, CancellationToken.None);
        return new TestPool(pool, store);
    }

    public async ValueTask DisposeAsync()
    {
        Pool.Dispose();
        await Store.DisposeAsync();
    }
}

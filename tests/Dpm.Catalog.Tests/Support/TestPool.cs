using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Dpm.Storage.Disk;
using Dpm.Storage.Manifests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Catalog.Tests.Support;

/// <summary>An unencrypted storage pool on the disk storage plugin, in a folder of the test's own.</summary>
public sealed class TestPool : IAsyncDisposable
{
    private readonly IObjectStore _store;

    private TestPool(string folder, IObjectStore store, StoragePool pool) => (Folder, _store, Pool) = (folder, store, pool);

    public string Folder { get; }

    public StoragePool Pool { get; }

    public static async Task<TestPool> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("dpm-catalog-pool-").FullName;
        var plugin = new DiskStoragePlugin();
        await plugin.InitializeAsync(new Context(), CancellationToken.None);
        var store = await plugin.OpenStoreAsync(new ConfigurationBuilder().AddInMemoryCollection([new("Path", folder), new("ReserveBytes", "0")]).Build(), CancellationToken.None);
        var pool = await StoragePool.CreateAsync(store, new PoolCreateOptions { Credentials = PoolCredentials.None }, CancellationToken.None);
        return new TestPool(folder, store, pool);
    }

    /// <summary>A recovery point of one small file.</summary>
    public async Task<RecoveryPointManifest> BackupAsync(string dataSource, string? computer, DateTimeOffset at, string content, string pluginId = "Dpm.Workloads.Files")
    {
        await using var writer = await Pool.BeginRecoveryPointAsync(
            new RecoveryPointDraft { DataSourceId = dataSource, DataSourceName = Path.GetFileName(dataSource), Computer = computer, PluginId = pluginId, CreatedAt = at },
            CancellationToken.None);
        var data = System.Text.Encoding.UTF8.GetBytes(content);
        writer.Add(new ProtectedItem { Path = "file.txt", Kind = ProtectedItemKind.File, Length = data.Length }, await writer.StoreDataAsync(new MemoryStream(data), fixedSize: false, CancellationToken.None));
        return await writer.CommitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        Pool.Dispose();
        await _store.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    private sealed class Context : IPluginContext
    {
        public PluginManifest Manifest { get; } = new() { Id = "Dpm.Storage.Disk", Name = "Disk", Version = "1.0.0", Kind = PluginKind.Storage, ContractsVersion = "1.0", EntryAssembly = "Dpm.Storage.Disk.dll" };

        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();

        public string DataDirectory => Path.GetTempPath();

        public ProtectedComputer Computer { get; } = new("test", "Linux");

        public TimeProvider TimeProvider => TimeProvider.System;
    }
}

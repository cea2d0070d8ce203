using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Dpm.Storage.Disk;
using Dpm.Storage.Manifests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Workloads.Sql.Tests.Support;

/// <summary>
/// A test's own folder with the SQL workload started as the host starts it (its state folder inside), and a
/// real storage pool on the disk storage plugin; everything is deleted when the test ends.
/// </summary>
public sealed class SqliteTestHost : IAsyncDisposable
{
    public const string PluginId = "Dpm.Workloads.Sql";

    private IObjectStore? _store;

    private SqliteTestHost(string root) => Root = root;

    public string Root { get; }

    /// <summary>The plugin's private state folder (where it keeps its backup copies while they are read).</summary>
    public string StateDirectory => Path.Combine(Root, "state");

    public SqlWorkload Workload { get; } = new();

    public StoragePool Pool { get; private set; } = null!;

    public static async Task<SqliteTestHost> StartAsync(IDictionary<string, string?>? configuration = null)
    {
        var host = new SqliteTestHost(Path.Combine(Path.GetTempPath(), "dpm-sql-tests", Guid.NewGuid().ToString("N")));
        Directory.CreateDirectory(host.StateDirectory);
        try
        {
            await host.Workload.InitializeAsync(
                new TestPluginContext(new ConfigurationBuilder().AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()).Build(), host.StateDirectory),
                CancellationToken.None);
        }
        catch
        {
            Directory.Delete(host.Root, recursive: true);
            throw;
        }

        var disk = new DiskStoragePlugin();
        await disk.InitializeAsync(new TestPluginContext(new ConfigurationBuilder().Build(), host.Root), CancellationToken.None);
        host._store = await disk.OpenStoreAsync(new ConfigurationBuilder().AddInMemoryCollection([new("Path", Path.Combine(host.Root, "pool"))]).Build(), CancellationToken.None);
        host.Pool = await StoragePool.CreateAsync(host._store, new PoolCreateOptions { Credentials = PoolCredentials.None }, CancellationToken.None);
        return host;
    }

    /// <summary>A new folder of the test's.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    public static DataSource DataSourceOf(string database) => new() { Id = "sqlite:" + database, Name = Path.GetFileName(database), Kind = "SqliteDatabase", Location = database };

    /// <summary>A synchronization of a database by the protection engine into the pool.</summary>
    public Task<SynchronizationResult> SyncAsync(string database, RecoveryPointManifest? previous = null) =>
        new ProtectionEngine(Pool, NullLogger<ProtectionEngine>.Instance).SynchronizeAsync(
            Workload,
            new SynchronizationRequest { PluginId = PluginId, DataSource = DataSourceOf(database), Previous = previous },
            null,
            CancellationToken.None);

    /// <summary>Recovers a recovery point through the workload.</summary>
    public async Task<RecoveryResult> RecoverAsync(string recoveryPointId, RecoveryTarget target)
    {
        var reader = (await Pool.OpenRecoveryPointAsync(recoveryPointId, CancellationToken.None))!;
        return await Workload.RecoverAsync(reader, new RecoveryRequest { Target = target }, null, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Workload.DisposeAsync();
        Pool?.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class TestPluginContext(IConfiguration configuration, string dataDirectory) : IPluginContext
    {
        public PluginManifest Manifest { get; } = new()
        {
            Id = PluginId,
            Name = "SQL workload",
            Version = "1.0.0",
            Kind = PluginKind.Workload,
            ContractsVersion = "1.0",
            RequiredTier = LicenceTier.Enterprise,
            EntryAssembly = "Dpm.Workloads.Sql.dll",
        };

        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public IConfiguration Configuration { get; } = configuration;

        public string DataDirectory { get; } = dataDirectory;

        public ProtectedComputer Computer { get; } = new("test-computer", "Linux");

        public TimeProvider TimeProvider => TimeProvider.System;
    }
}

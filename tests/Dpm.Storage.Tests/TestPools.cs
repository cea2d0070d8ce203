using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Crypto;
using Dpm.Storage.Disk;
using Dpm.Storage.Manifests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Storage.Tests;

/// <summary>
/// Pools on real disk stores (the Storage.Disk plugin) in temporary folders. Small chunk and pack sizes make
/// many chunks and packs from little data; the KDF is cheap so tests open pools quickly.
/// </summary>
public sealed class TestPools : IAsyncDisposable
{
    public const string Passphrase = "correct horse battery staple";
    public static readonly KdfParameters CheapKdf = new("argon2id", 1024, 1, 1);
    private readonly List<IAsyncDisposable> _stores = [];
    private readonly List<StoragePool> _pools = [];

    public TestPools(string? root = null)
    {
        Root = root ?? Directory.CreateTempSubdirectory("dpm-pool-tests-").FullName;
        OwnsRoot = root is null;
    }

    public string Root { get; }

    private bool OwnsRoot { get; }

    public string PoolFolder => Path.Combine(Root, "pool");

    public static PoolCreateOptions SmallChunks(PoolCredentials credentials) => new()
    {
        Credentials = credentials,
        ChunkMinSize = 16 << 10,
        ChunkAverageSize = 64 << 10,
        ChunkMaxSize = 256 << 10,
        FixedChunkSize = 64 << 10,
        PackSize = 1 << 20,
        Kdf = CheapKdf,
    };

    public async Task<IObjectStore> OpenStoreAsync(string? folder = null)
    {
        var plugin = new DiskStoragePlugin();
        await plugin.InitializeAsync(new Context(), CancellationToken.None);
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new("Path", folder ?? PoolFolder), new("ReserveBytes", "0")]).Build();
        var store = await plugin.OpenStoreAsync(settings, CancellationToken.None);
        _stores.Add(store);
        return store;
    }

    public async Task<StoragePool> CreateAsync(PoolCredentials? credentials = null, PoolCreateOptions? options = null)
    {
        var pool = await StoragePool.CreateAsync(await OpenStoreAsync(), options ?? SmallChunks(credentials ?? PoolCredentials.FromPassphrase(Passphrase)), CancellationToken.None);
        _pools.Add(pool);
        return pool;
    }

    public async Task<StoragePool> OpenAsync(PoolCredentials? credentials = null)
    {
        var pool = await StoragePool.OpenAsync(await OpenStoreAsync(), credentials ?? PoolCredentials.FromPassphrase(Passphrase), CancellationToken.None);
        _pools.Add(pool);
        return pool;
    }

    /// <summary>Writes a recovery point holding the given files (path → content).</summary>
    public static async Task<RecoveryPointManifest> BackupAsync(StoragePool pool, IReadOnlyDictionary<string, byte[]> files, string dataSource = "folder:/data", RecoveryPointManifest? previous = null)
    {
        await using var writer = await pool.BeginRecoveryPointAsync(new RecoveryPointDraft { DataSourceId = dataSource, DataSourceName = dataSource, ParentId = previous?.Id }, CancellationToken.None);
        foreach (var (path, content) in files)
        {
            var item = new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = content.Length };
            writer.Add(item, await writer.StoreDataAsync(new MemoryStream(content), fixedSize: false, CancellationToken.None));
        }

        return await writer.CommitAsync(CancellationToken.None);
    }

    /// <summary>Reads every file of a recovery point back.</summary>
    public static async Task<Dictionary<string, byte[]>> RestoreAsync(StoragePool pool, string recoveryPointId)
    {
        var reader = await pool.OpenRecoveryPointAsync(recoveryPointId, CancellationToken.None) ?? throw new InvalidOperationException("no such recovery point");
        var files = new Dictionary<string, byte[]>();
        await foreach (var item in reader.EnumerateItemsAsync("", CancellationToken.None))
        {
            await using var stream = (await reader.OpenItemAsync(item.Path, CancellationToken.None))!;
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            files[item.Path] = copy.ToArray();
        }

        return files;
    }

    /// <summary>Deterministic data: random (incompressible) or made of words (compressible), with a given seed.</summary>
    public static byte[] Data(int length, int seed, bool compressible = false)
    {
        var random = new Random(seed);
        var data = new byte[length];
        if (!compressible)
        {
            random.NextBytes(data);
            return data;
        }

        string[] words = ["replica", "recovery", "point", "express", "full", "volume", "shadow", "copy", "tape", "library", "agent", "job"];
        var at = 0;
        while (at < length)
        {
            var word = System.Text.Encoding.ASCII.GetBytes(words[random.Next(words.Length)] + (random.Next(10) == 0 ? "\n" : " "));
            var n = Math.Min(word.Length, length - at);
            word.AsSpan(0, n).CopyTo(data.AsSpan(at));
            at += n;
        }

        return data;
    }

    public static long FolderSize(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public static IEnumerable<string> Packs(string poolFolder) => Directory.EnumerateFiles(Path.Combine(poolFolder, "data"), "*", SearchOption.AllDirectories);

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools)
        {
            pool.Dispose();
        }

        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (OwnsRoot)
        {
            Directory.Delete(Root, recursive: true);
        }
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

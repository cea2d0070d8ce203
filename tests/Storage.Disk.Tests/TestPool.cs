using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Storage.Disk.Tests;

/// <summary>A disk store opened through the plugin, as the host opens it, in a temporary folder removed at the end.</summary>
public sealed class TestPool : IAsyncDisposable
{
    private readonly DiskStoragePlugin _plugin;
    private readonly string? _ownedFolder;

    private TestPool(DiskStoragePlugin plugin, IObjectStore store, string root, string? ownedFolder)
    {
        _plugin = plugin;
        Store = store;
        Root = root;
        _ownedFolder = ownedFolder;
    }

    /// <summary>The pool folder.</summary>
    public string Root { get; }

    /// <summary>The folder that holds the pool folder (to check that nothing lands outside the pool).</summary>
    public string Parent => Path.GetDirectoryName(Root)!;

    public IObjectStore Store { get; }

    /// <summary>Opens a pool in a new temporary folder, or at <paramref name="root"/> (which the caller cleans up).</summary>
    public static async Task<TestPool> OpenAsync(string? root = null, long reserveBytes = 0)
    {
        string? owned = null;
        if (root is null)
        {
            owned = NewTempFolder();
            root = Path.Combine(owned, "pool");
        }

        var plugin = await StartPluginAsync();
        var store = await plugin.OpenStoreAsync(Settings(("Path", root), ("ReserveBytes", reserveBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))), CancellationToken.None);
        return new TestPool(plugin, store, root, owned);
    }

    public static async Task<DiskStoragePlugin> StartPluginAsync()
    {
        var plugin = new DiskStoragePlugin();
        await plugin.InitializeAsync(new TestPluginContext(), CancellationToken.None);
        return plugin;
    }

    public static IConfiguration Settings(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    public static string NewTempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "dpm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Every file under the pool folder, relative, '/'-separated, sorted: objects and anything left behind.</summary>
    public IReadOnlyList<string> Files() =>
        Directory.Exists(Root)
            ? [.. Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal)]
            : [];

    public async Task<byte[]?> ReadAsync(string name)
    {
        await using var stream = await Store.OpenReadAsync(name, CancellationToken.None);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await _plugin.DisposeAsync();
        if (_ownedFolder is not null)
        {
            Directory.Delete(_ownedFolder, recursive: true);
        }
    }

    private sealed class TestPluginContext : IPluginContext
    {
        public PluginManifest Manifest { get; } = new()
        {
            Id = "Dpm.Storage.Disk",
            Name = "Disk storage",
            Version = "1.0.0",
            Kind = PluginKind.Storage,
            ContractsVersion = "1.0",
            EntryAssembly = "Dpm.Storage.Disk.dll",
        };

        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public IConfiguration Configuration { get; } = Settings();

        public string DataDirectory { get; } = Path.GetTempPath();

        public ProtectedComputer Computer { get; } = new("test", "Linux");

        public TimeProvider TimeProvider => TimeProvider.System;
    }
}

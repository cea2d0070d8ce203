using Azure.Storage.Blobs;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Storage.Cloud;
using Dpm.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Storage.Cloud.Tests;

/// <summary>
/// One real Azurite for a test class, and stores in it opened the way the host opens them: through the plugin's
/// entry point with settings. Every store gets a container of its own unless a test asks for a given one.
/// </summary>
public sealed class AzureEmulatorFixture : IAsyncLifetime
{
    private readonly List<IObjectStore> _stores = [];
    private CloudEmulator? _azurite;
    private int _containers;

    public CloudEmulator Azurite => _azurite ?? throw new InvalidOperationException("Azurite is not started");

    public string ConnectionString => Azurite.AzureConnectionString;

    /// <summary>The service client's view of a container, to look at what a store left there.</summary>
    public BlobContainerClient Container(string name) => new BlobServiceClient(ConnectionString).GetBlobContainerClient(name);

    /// <summary>A container name no other store of this Azurite has used.</summary>
    public string NewContainer() => $"pool-{Interlocked.Increment(ref _containers)}-{Guid.NewGuid():N}"[..32];

    /// <summary>Opens a store with AzureBlob settings; <paramref name="settings"/> add to or override the defaults.</summary>
    public async Task<IObjectStore> OpenAsync(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Provider"] = "AzureBlob",
            ["Container"] = NewContainer(),
            ["ConnectionString"] = ConnectionString,
            ["Retries"] = "2",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        await using var plugin = new CloudStoragePlugin();
        await plugin.InitializeAsync(new Context(), CancellationToken.None);
        var store = await plugin.OpenStoreAsync(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), CancellationToken.None);
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    public async Task InitializeAsync() => _azurite = await CloudEmulator.StartAzuriteAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    private sealed class Context : IPluginContext
    {
        public PluginManifest Manifest { get; } = new() { Id = "Dpm.Storage.Cloud", Name = "Cloud storage", Version = "1.0.0", Kind = PluginKind.Storage, ContractsVersion = "1.0", EntryAssembly = "Dpm.Storage.Cloud.dll" };
        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;
        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
        public string DataDirectory => Path.GetTempPath();
        public ProtectedComputer Computer { get; } = new("test", "Linux");
        public TimeProvider TimeProvider => TimeProvider.System;
    }
}

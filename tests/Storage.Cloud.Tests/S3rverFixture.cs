using System.Collections.Concurrent;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Storage.Cloud;
using Dpm.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Storage.Cloud.Tests;

/// <summary>One real s3rver for a test class; stores are opened through the plugin, as the host opens them.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    /// <summary>s3rver knows one access key id (it doesn't check SigV4 signatures, so any secret passes).</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>A secret that must never show in a message.</summary>
    public const string Secret = "s3-secret-never-shown";

    public CloudEmulator Emulator { get; private set; } = null!;

    public async Task InitializeAsync() => Emulator = await CloudEmulator.StartS3rverAsync();

    public async Task DisposeAsync() => await Emulator.DisposeAsync();

    public static string NewBucket() => "dpm-" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>Settings for a store on <paramref name="bucket"/> of this s3rver; <paramref name="extra"/> adds or replaces.</summary>
    public IConfiguration Settings(string bucket, params (string Key, string? Value)[] extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["Provider"] = "S3",
            ["Container"] = bucket,
            ["ServiceUrl"] = Emulator.S3Url,
            ["AccessKey"] = AccessKey,
            ["SecretKey"] = Secret,
        };
        foreach (var (key, value) in extra)
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>Opens a store on <paramref name="bucket"/> through the plugin, logging into <paramref name="log"/>.</summary>
    public async Task<IObjectStore> OpenAsync(string bucket, S3TestLog? log = null, params (string Key, string? Value)[] extra)
    {
        var plugin = new CloudStoragePlugin();
        await plugin.InitializeAsync(new Context(log ?? new S3TestLog()), CancellationToken.None);
        return await plugin.OpenStoreAsync(Settings(bucket, extra), CancellationToken.None);
    }

    private sealed class Context(ILoggerFactory loggerFactory) : IPluginContext
    {
        public PluginManifest Manifest { get; } = new() { Id = "Dpm.Storage.Cloud", Name = "Cloud storage", Version = "1.0.0", Kind = PluginKind.Storage, ContractsVersion = "1.0", EntryAssembly = "Dpm.Storage.Cloud.dll" };

        public ILoggerFactory LoggerFactory => loggerFactory;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();

        public string DataDirectory => Path.GetTempPath();

        public ProtectedComputer Computer { get; } = new("test", "Linux");

        public TimeProvider TimeProvider => TimeProvider.System;
    }
}

/// <summary>The log lines a store wrote, with their event ids.</summary>
public sealed class S3TestLog : ILoggerFactory, ILogger
{
    public ConcurrentQueue<(int EventId, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((eventId.Id, formatter(state, exception)));

    public void Dispose()
    {
    }
}

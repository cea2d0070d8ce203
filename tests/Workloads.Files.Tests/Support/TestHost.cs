using System.Collections.Concurrent;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>Starts the File workload as the host does, with a context of the test's making.</summary>
public static class TestHost
{
    public static async Task<(FilesWorkload Workload, ListLoggerFactory Logs)> StartAsync(IDictionary<string, string?>? configuration = null)
    {
        var logs = new ListLoggerFactory();
        var context = new TestPluginContext(
            new ConfigurationBuilder().AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()).Build(),
            logs);
        var workload = new FilesWorkload();
        await workload.InitializeAsync(context, CancellationToken.None);
        return (workload, logs);
    }

    public static async Task<FilesWorkload> StartWorkloadAsync() => (await StartAsync()).Workload;

    public static DataSource Folder(string path) => new() { Id = "folder:" + path, Name = Path.GetFileName(path), Kind = "Folder", Location = path };

    public sealed class TestPluginContext(IConfiguration configuration, ILoggerFactory loggerFactory) : IPluginContext
    {
        public PluginManifest Manifest { get; } = new()
        {
            Id = "Dpm.Workloads.Files",
            Name = "File workload",
            Version = "1.0.0",
            Kind = PluginKind.Workload,
            ContractsVersion = "1.0",
            RequiredTier = LicenceTier.Standard,
            EntryAssembly = "Dpm.Workloads.Files.dll",
        };

        public ILoggerFactory LoggerFactory { get; } = loggerFactory;

        public IConfiguration Configuration { get; } = configuration;

        public string DataDirectory { get; } = Path.GetTempPath();

        public ProtectedComputer Computer { get; } = new("test-computer", "Linux");

        public TimeProvider TimeProvider { get; } = TimeProvider.System;
    }
}

/// <summary>Keeps every log line, so tests can look at what the plugin said.</summary>
public sealed class ListLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(Lines);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

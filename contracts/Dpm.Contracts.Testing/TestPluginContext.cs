using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Contracts.Testing;

/// <summary>
/// An <see cref="IPluginContext"/> for a plugin's tests: what the host gives a plugin when it starts it, of the
/// test's making (configuration from a dictionary, a private folder, this computer, the system clock).
/// </summary>
public sealed class TestPluginContext : IPluginContext
{
    /// <summary>A context for the plugin <paramref name="manifest"/> describes.</summary>
    /// <param name="manifest">The plugin's manifest.</param>
    /// <param name="dataDirectory">The plugin's private folder; created when missing.</param>
    /// <param name="configuration">The plugin's configuration section (<c>Plugins:&lt;id&gt;</c>); empty when null.</param>
    /// <param name="loggerFactory">Where the plugin logs; nowhere when null.</param>
    public TestPluginContext(PluginManifest manifest, string dataDirectory, IConfiguration? configuration = null, ILoggerFactory? loggerFactory = null)
    {
        Manifest = manifest;
        DataDirectory = Directory.CreateDirectory(dataDirectory).FullName;
        Configuration = configuration ?? new ConfigurationBuilder().Build();
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <inheritdoc />
    public PluginManifest Manifest { get; }

    /// <inheritdoc />
    public ILoggerFactory LoggerFactory { get; }

    /// <inheritdoc />
    public IConfiguration Configuration { get; }

    /// <inheritdoc />
    public string DataDirectory { get; }

    /// <inheritdoc />
    public ProtectedComputer Computer { get; init; } = new(Environment.MachineName, Environment.OSVersion.Platform.ToString());

    /// <inheritdoc />
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// A context for the plugin whose entry point is <typeparamref name="TPlugin"/>: its manifest is made from the
    /// entry point's <see cref="DpmPluginAttribute"/>, its configuration from <paramref name="settings"/>.
    /// </summary>
    /// <typeparam name="TPlugin">The plugin's entry point.</typeparam>
    /// <param name="dataDirectory">The plugin's private folder; created when missing.</param>
    /// <param name="settings">The plugin's configuration, as <c>key</c> (<c>Section:Key</c>) and value.</param>
    public static TestPluginContext For<TPlugin>(string dataDirectory, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var declared = PluginDeclaration.Of(typeof(TPlugin));
        var manifest = new PluginManifest
        {
            Id = declared.Id,
            Name = declared.Id,
            Version = "1.0.0",
            Kind = declared.Kind,
            ContractsVersion = ContractsVersion.Current.ToString(2),
            RequiredTier = declared.RequiredTier,
            EntryAssembly = typeof(TPlugin).Assembly.GetName().Name + ".dll",
        };
        return new TestPluginContext(manifest, dataDirectory, new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
    }
}

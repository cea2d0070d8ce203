using System.Text.Json;
using System.Text.Json.Serialization;
using Dpm.Contracts.Spi;
using Xunit;

namespace Dpm.Contracts.Testing;

/// <summary>
/// What every plugin proves, workload or storage: its manifest matches its entry point. Each test gets a fresh
/// instance with a folder of its own (<see cref="WorkFolder"/>), deleted when the test ends.
/// </summary>
/// <typeparam name="TPlugin">The plugin's entry point.</typeparam>
public abstract class PluginConformance<TPlugin> : IAsyncLifetime
    where TPlugin : IPlugin, new()
{
    private static readonly JsonSerializerOptions ManifestJson = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A folder of this test's own, empty when the test starts.</summary>
    protected string WorkFolder { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dpm-conformance", Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>
    /// The plugin's <c>plugin.json</c> as it is deployed. By default the copy in
    /// <c>plugins/&lt;entry assembly name&gt;/</c> of the test's output (where a <c>DpmPluginReference</c> puts it),
    /// else <c>plugin.json</c> in the test's output.
    /// </summary>
    protected virtual string ManifestPath
    {
        get
        {
            var deployed = Path.Combine(AppContext.BaseDirectory, "plugins", typeof(TPlugin).Assembly.GetName().Name!, PluginManifest.FileName);
            return File.Exists(deployed) ? deployed : Path.Combine(AppContext.BaseDirectory, PluginManifest.FileName);
        }
    }

    /// <summary>The manifest's id, kind and tier are the entry point's <see cref="DpmPluginAttribute"/>'s, and its entry assembly is the entry point's.</summary>
    [Fact]
    public async Task Manifest_DeployedBesideThePlugin_MatchesTheEntryPoint()
    {
        Assert.True(File.Exists(ManifestPath), $"the plugin's manifest is not at {ManifestPath}; deploy it with the plugin or override {nameof(ManifestPath)}");
        PluginManifest? manifest;
        await using (var json = File.OpenRead(ManifestPath))
        {
            manifest = await JsonSerializer.DeserializeAsync<PluginManifest>(json, ManifestJson);
        }

        Assert.NotNull(manifest);
        var declared = PluginDeclaration.Of(typeof(TPlugin));
        Assert.Equal(declared.Id, manifest.Id);
        Assert.Equal(declared.Kind, manifest.Kind);
        Assert.Equal(declared.RequiredTier, manifest.RequiredTier);
        Assert.Equal(typeof(TPlugin).Assembly.GetName().Name + ".dll", manifest.EntryAssembly);
        Assert.True(Version.TryParse(manifest.ContractsVersion, out var target), $"contractsVersion '{manifest.ContractsVersion}' is not major.minor");
        Assert.True(ContractsVersion.IsCompatible(target), $"the manifest targets contracts {target}, these are {ContractsVersion.Current}");
        Assert.Equal(
            typeof(TPlugin).Assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == typeof(IPlugin).Assembly.GetName().Name)?.Version?.Major,
            target.Major);
    }

    /// <summary>Starts the plugin as the host does: parameterless constructor, then <see cref="IPlugin.InitializeAsync"/> with a <see cref="TestPluginContext"/>.</summary>
    /// <param name="settings">The plugin's configuration.</param>
    protected async Task<TPlugin> StartPluginAsync(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var plugin = new TPlugin();
        await plugin.InitializeAsync(TestPluginContext.For<TPlugin>(Path.Combine(WorkFolder, "plugin-data"), settings), CancellationToken.None);
        return plugin;
    }

    /// <inheritdoc />
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task DisposeAsync()
    {
        try
        {
            Directory.Delete(WorkFolder, recursive: true);
        }
        catch (IOException)
        {
            // a folder the plugin still holds (a mount) is left for the operating system's temp cleanup
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.CompletedTask;
    }
}

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dpm.Contracts;
using Dpm.Contracts.Spi;

namespace Dpm.Workloads.Files.Tests;

public sealed class PluginManifestTests
{
    private static readonly string PluginFolder = Path.Combine(AppContext.BaseDirectory, "plugins", "Dpm.Workloads.Files");

    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    [Fact]
    public void PluginJson_DeployedFolder_MatchesTheEntryPointAttribute()
    {
        var manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(Path.Combine(PluginFolder, PluginManifest.FileName)), ManifestJson)!;
        var attribute = typeof(FilesWorkload).GetCustomAttribute<DpmPluginAttribute>()!;

        Assert.Equal("Dpm.Workloads.Files", manifest.Id);
        Assert.Equal(attribute.Id, manifest.Id);
        Assert.Equal("File workload", manifest.Name);
        Assert.Equal(PluginKind.Workload, attribute.Kind);
        Assert.Equal(attribute.Kind, manifest.Kind);
        Assert.Equal(LicenceTier.Standard, attribute.RequiredTier);
        Assert.Equal(attribute.RequiredTier, manifest.RequiredTier);
        Assert.Equal("1.0", manifest.ContractsVersion);
        Assert.Equal(Path.GetFileName(typeof(FilesWorkload).Assembly.Location), manifest.EntryAssembly);
        Assert.True(File.Exists(Path.Combine(PluginFolder, manifest.EntryAssembly)));
        Assert.True(typeof(IWorkloadPlugin).IsAssignableFrom(typeof(FilesWorkload)));
        Assert.True(typeof(IItemLevelRecovery).IsAssignableFrom(typeof(FilesWorkload)));
        Assert.NotNull(typeof(FilesWorkload).GetConstructor(Type.EmptyTypes));
    }

    [Fact]
    public void PluginFolder_SharedAssemblies_AreNotShippedInIt()
    {
        var files = Directory.EnumerateFiles(PluginFolder).Select(Path.GetFileName).ToList();

        Assert.DoesNotContain("Dpm.Contracts.dll", files);
        Assert.DoesNotContain(files, f => f!.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal));
    }
}

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dpm.Contracts;
using Dpm.Contracts.Storage;

namespace Dpm.Storage.Disk.Tests;

public sealed class DiskStoragePluginTests
{
    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task OpenStoreAsync_NoPath_FailsSayingPathIsRequired()
    {
        await using var plugin = await TestPool.StartPluginAsync();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin.OpenStoreAsync(TestPool.Settings(), CancellationToken.None).AsTask());

        Assert.Contains("Path is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_RelativePath_FailsSayingItMustBeAbsolute()
    {
        await using var plugin = await TestPool.StartPluginAsync();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin.OpenStoreAsync(TestPool.Settings(("Path", "pool/here")), CancellationToken.None).AsTask());

        Assert.Contains("Path must be absolute, not 'pool/here'", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists("pool"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("lots")]
    [InlineData("64MiB")]
    public async Task OpenStoreAsync_BadReserveBytes_FailsNamingIt(string reserve)
    {
        await using var plugin = await TestPool.StartPluginAsync();
        var folder = TestPool.NewTempFolder();
        try
        {
            var settings = TestPool.Settings(("Path", folder), ("ReserveBytes", reserve));

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin.OpenStoreAsync(settings, CancellationToken.None).AsTask());

            Assert.Contains($"ReserveBytes must be a whole number of bytes, 0 or more, not '{reserve}'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task OpenStoreAsync_SeveralProblems_NamesThemAll()
    {
        await using var plugin = await TestPool.StartPluginAsync();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin.OpenStoreAsync(TestPool.Settings(("ReserveBytes", "x")), CancellationToken.None).AsTask());

        Assert.Contains("Path is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("ReserveBytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_PathIsAFile_FailsSayingItIsAFile()
    {
        await using var plugin = await TestPool.StartPluginAsync();
        var folder = TestPool.NewTempFolder();
        try
        {
            var file = Path.Combine(folder, "pool");
            await File.WriteAllTextAsync(file, "a file");

            var e = await Assert.ThrowsAsync<IOException>(() => plugin.OpenStoreAsync(TestPool.Settings(("Path", file)), CancellationToken.None).AsTask());

            Assert.Equal($"the storage pool folder '{file}' is a file, not a folder", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task OpenStoreAsync_PathBelowAFile_FailsSayingItCantCreateTheFolder()
    {
        await using var plugin = await TestPool.StartPluginAsync();
        var folder = TestPool.NewTempFolder();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "file"), "a file");
            var path = Path.Combine(folder, "file", "pool");

            var e = await Assert.ThrowsAsync<IOException>(() => plugin.OpenStoreAsync(TestPool.Settings(("Path", path)), CancellationToken.None).AsTask());

            Assert.StartsWith($"can't create the storage pool folder '{path}'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task OpenStoreAsync_MissingFolder_CreatesItWithTheDefaultReserve()
    {
        var folder = TestPool.NewTempFolder();
        try
        {
            await using var plugin = await TestPool.StartPluginAsync();
            var path = Path.Combine(folder, "a", "b", "pool") + "/";

            await using var store = await plugin.OpenStoreAsync(TestPool.Settings(("Path", path)), CancellationToken.None);

            Assert.True(Directory.Exists(path));
            Assert.Equal("disk:" + path.TrimEnd('/'), store.Location);
            Assert.Empty(Directory.EnumerateFileSystemEntries(path)); // the writability probe is gone
            Assert.Equal(PutOutcome.Stored, await store.PutAsync("x", new MemoryStream([1]), null, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Manifest_MatchesTheEntryPointAttribute()
    {
        var manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, PluginManifest.FileName)), ManifestJson)!;
        var attribute = typeof(DiskStoragePlugin).GetCustomAttribute<DpmPluginAttribute>()!;

        Assert.Equal(attribute.Id, manifest.Id);
        Assert.Equal(attribute.Kind, manifest.Kind);
        Assert.Equal(attribute.RequiredTier, manifest.RequiredTier);
        Assert.Equal(PluginKind.Storage, manifest.Kind);
        Assert.Equal(LicenceTier.None, manifest.RequiredTier);
        Assert.Equal(typeof(DiskStoragePlugin).Assembly.GetName().Name + ".dll", manifest.EntryAssembly);
        Assert.Equal("1.0", manifest.ContractsVersion);
    }
}

using Dpm.Contracts.Workloads;
using Dpm.Workloads.Sql.Tests.Support;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>Discovery of SQLite databases from the configured files and folders.</summary>
public sealed class SqliteDiscoveryTests
{
    private static async Task<List<DataSource>> DiscoverAsync(SqlWorkload workload, DataSource? parent = null)
    {
        var found = new List<DataSource>();
        await foreach (var dataSource in workload.DiscoverDataSourcesAsync(parent, CancellationToken.None))
        {
            found.Add(dataSource);
        }

        return found;
    }

    [Fact]
    public async Task DiscoverDataSourcesAsync_ConfiguredFilesAndFolders_ListsEachFileAndTheFoldersDatabasesOnce()
    {
        var root = Path.Combine(Path.GetTempPath(), "dpm-sql-tests", Guid.NewGuid().ToString("N"));
        var single = Directory.CreateDirectory(Path.Combine(root, "single")).FullName;
        var folder = Directory.CreateDirectory(Path.Combine(root, "folder")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "below"));
        var app = TestDatabase.Create(Path.Combine(single, "app.data"), rows: 1); // any name, when configured by itself
        foreach (var name in new[] { "b.sqlite", "a.db", "c.sqlite3", "below/d.db" })
        {
            TestDatabase.Create(Path.Combine(folder, name));
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "not a database");
        await using var host = await SqliteTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sqlite:0"] = app,
            ["Sqlite:1"] = folder,
            ["Sqlite:2"] = Path.Combine(folder, "a.db"),
        });

        var found = await DiscoverAsync(host.Workload);

        Assert.Equal(
            [$"sqlite:{app}", $"sqlite:{folder}/a.db", $"sqlite:{folder}/b.sqlite", $"sqlite:{folder}/c.sqlite3"],
            found.Select(d => d.Id));
        Assert.All(found, d => Assert.Equal("SqliteDatabase", d.Kind));
        Assert.All(found, d => Assert.Equal(d.Id["sqlite:".Length..], d.Location));
        Assert.All(found, d => Assert.Equal(Path.GetFileName(d.Location), d.Name));
        Assert.All(found, d => Assert.True(d.IsProtectable && !d.HasChildren));
        Assert.Equal(new FileInfo(app).Length, found[0].SizeBytes);
        Assert.Empty(await DiscoverAsync(host.Workload, found[0]));
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task DiscoverDataSourcesAsync_ConfiguredPathMissing_FailsNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "dpm-sql-tests", Guid.NewGuid().ToString("N"), "nowhere.db");
        await using var host = await SqliteTestHost.StartAsync(new Dictionary<string, string?> { ["Sqlite:0"] = missing });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DiscoverAsync(host.Workload));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("doesn't exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitializeAsync_RelativeSqlitePath_FailsNamingIt()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteTestHost.StartAsync(new Dictionary<string, string?> { ["Sqlite:0"] = "data/app.db" }));

        Assert.Contains("'data/app.db'", error.Message, StringComparison.Ordinal);
    }
}

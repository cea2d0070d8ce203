using Dpm.Workloads.Sql.Tests.Support;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>Synchronizations of what isn't a SQLite database fail with a message that names the file, and make no recovery point.</summary>
public sealed class SqliteProtectionErrorTests : IAsyncLifetime
{
    private SqliteTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SqliteTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SynchronizeAsync_MissingDatabase_FailsNamingItAndMakesNoRecoveryPoint()
    {
        var missing = Path.Combine(_host.Root, "gone.db");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _host.SyncAsync(missing));

        Assert.Equal($"the SQLite database {missing} doesn't exist", error.Message);
        Assert.False(File.Exists(missing));
        Assert.Empty(await _host.Pool.ListRecoveryPointIdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SynchronizeAsync_FileOfRandomBytes_FailsAsNotADatabaseAndMakesNoRecoveryPoint()
    {
        var noise = Path.Combine(_host.NewFolder("data"), "noise.db");
        var bytes = new byte[64 << 10];
        new Random(11).NextBytes(bytes);
        await File.WriteAllBytesAsync(noise, bytes);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _host.SyncAsync(noise));

        Assert.StartsWith($"{noise} is not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(noise));
        Assert.Empty(await _host.Pool.ListRecoveryPointIdsAsync(CancellationToken.None));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_host.StateDirectory, "*", SearchOption.AllDirectories), File.Exists); // no backup copy left
    }

    [Fact]
    public async Task SynchronizeAsync_Folder_FailsSayingItIsAFolder()
    {
        var folder = _host.NewFolder("looks-like.db");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _host.SyncAsync(folder));

        Assert.Equal($"{folder} is a folder, not a SQLite database file", error.Message);
        Assert.Empty(await _host.Pool.ListRecoveryPointIdsAsync(CancellationToken.None));
    }
}

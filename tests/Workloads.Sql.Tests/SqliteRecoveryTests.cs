using System.Diagnostics;
using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;
using Dpm.Storage.Manifests;
using Dpm.Workloads.Sql.Tests.Support;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>Recovery of a SQLite database: to the original file (with a safety copy), to an alternate file, into a folder.</summary>
public sealed class SqliteRecoveryTests : IAsyncLifetime
{
    private SqliteTestHost _host = null!;
    private string _database = "";
    private RecoveryPointManifest _point = null!;

    /// <summary>A database of 10 rows protected in one recovery point, then given 5 more rows.</summary>
    public async Task InitializeAsync()
    {
        _host = await SqliteTestHost.StartAsync();
        _database = TestDatabase.Create(Path.Combine(_host.NewFolder("data"), "orders.db"), rows: 10);
        _point = (await _host.SyncAsync(_database)).RecoveryPoint;
        using var connection = TestDatabase.Open(_database);
        for (var i = 10; i < 15; i++)
        {
            TestDatabase.Insert(connection, i);
        }
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string OwnerOf(string file) => RunAsync("stat", "-c", "%u:%g", file).GetAwaiter().GetResult();

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }

    [Fact]
    public async Task RecoverAsync_OriginalLocation_ReplacesTheDatabaseKeepingItsOwnerAndModeAndKeepsTheReplacedOneAsASafetyCopy()
    {
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(_database, mode);
        var owner = Environment.UserName == "root" ? "1234:2345" : OwnerOf(_database);
        await RunAsync("chown", owner, _database);

        var result = await _host.RecoverAsync(_point.Id, RecoveryTarget.Original);

        Assert.Equal(RecoveryOutcome.Succeeded, result.Outcome);
        Assert.Equal(mode, File.GetUnixFileMode(_database));
        Assert.Equal(owner, OwnerOf(_database));
        Assert.Equal("ok", TestDatabase.IntegrityCheck(_database));
        TestDatabase.AssertRows(_database, 10);
        var safety = Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(_database)!, "orders.db.dpm-safety-*"));
        Assert.Contains(safety, result.RecoveredTo, StringComparison.Ordinal);
        TestDatabase.AssertRows(safety, 15);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(_database)!, "*.dpm-recovering-*"));
    }

    [Fact]
    public async Task RecoverAsync_OriginalLocationWhileAnApplicationHasItOpen_FailsAndLeavesItAlone()
    {
        using var application = TestDatabase.Open(_database);
        TestDatabase.Execute(application, "SELECT count(*) FROM rows"); // WAL mode: an open connection keeps a lock on the database file

        var result = await _host.RecoverAsync(_point.Id, RecoveryTarget.Original);

        Assert.Equal(RecoveryOutcome.Failed, result.Outcome);
        Assert.Contains("in use", Assert.Single(result.Failures).Reason, StringComparison.Ordinal);
        TestDatabase.AssertRows(_database, 15);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(_database)!, "orders.db.dpm-*"));
    }

    [Fact]
    public async Task RecoverAsync_AlternateLocation_WritesANewDatabaseFileAndRefusesAnExistingOne()
    {
        var file = Path.Combine(_host.Root, "elsewhere", "not-yet", "copy.db");

        var first = await _host.RecoverAsync(_point.Id, RecoveryTarget.Alternate(file));
        var again = await _host.RecoverAsync(_point.Id, RecoveryTarget.Alternate(file));

        Assert.Equal(RecoveryOutcome.Succeeded, first.Outcome);
        Assert.Equal(file, first.RecoveredTo);
        Assert.Equal("ok", TestDatabase.IntegrityCheck(file));
        TestDatabase.AssertRows(file, 10);
        Assert.Equal(RecoveryOutcome.Failed, again.Outcome);
        Assert.Contains("already exists", Assert.Single(again.Failures).Reason, StringComparison.Ordinal);
        TestDatabase.AssertRows(_database, 15);
    }

    [Fact]
    public async Task RecoverAsync_CopyToFolder_WritesTheDatabaseIntoItUnderItsOwnName()
    {
        var folder = Path.Combine(_host.Root, "copies");

        var first = await _host.RecoverAsync(_point.Id, RecoveryTarget.CopyTo(folder));
        var again = await _host.RecoverAsync(_point.Id, RecoveryTarget.CopyTo(folder));

        Assert.Equal(RecoveryOutcome.Succeeded, first.Outcome);
        Assert.Equal(["orders.db"], Directory.EnumerateFiles(folder).Select(Path.GetFileName));
        Assert.Equal("ok", TestDatabase.IntegrityCheck(Path.Combine(folder, "orders.db")));
        TestDatabase.AssertRows(Path.Combine(folder, "orders.db"), 10);
        Assert.Equal(RecoveryOutcome.Failed, again.Outcome);
    }

    [Fact]
    public async Task RecoverAsync_RelativePathOrOtherComputer_FailsWithoutWriting()
    {
        var relative = await _host.RecoverAsync(_point.Id, RecoveryTarget.Alternate("relative.db"));
        var elsewhere = await _host.RecoverAsync(_point.Id, RecoveryTarget.CopyTo(Path.Combine(_host.Root, "other"), "other-computer"));

        Assert.Equal(RecoveryOutcome.Failed, relative.Outcome);
        Assert.Contains("absolute", Assert.Single(relative.Failures).Reason, StringComparison.Ordinal);
        Assert.False(File.Exists("relative.db"));
        Assert.Equal(RecoveryOutcome.Failed, elsewhere.Outcome);
        Assert.Contains("other-computer", Assert.Single(elsewhere.Failures).Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_host.Root, "other")));
    }

    [Fact]
    public async Task RecoverAsync_DamagedDatabaseInTheRecoveryPoint_FailsTheIntegrityCheckAndLeavesTheOriginalAlone()
    {
        var damaged = await File.ReadAllBytesAsync(_database);
        new Random(7).NextBytes(damaged.AsSpan(4096)); // every page but the first
        var source = new MemoryRecoveryPoint(SqliteTestHost.DataSourceOf(_database), DateTimeOffset.UtcNow, SnapshotConsistency.ApplicationConsistent);
        source.Add(new ProtectedItem { Path = "orders.db", Kind = ProtectedItemKind.File, Length = damaged.Length }, damaged);

        var result = await _host.Workload.RecoverAsync(source, new RecoveryRequest { Target = RecoveryTarget.Original }, null, CancellationToken.None);

        Assert.Equal(RecoveryOutcome.Failed, result.Outcome);
        Assert.Contains("integrity_check", Assert.Single(result.Failures).Reason, StringComparison.Ordinal);
        TestDatabase.AssertRows(_database, 15);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(_database)!, "orders.db.dpm-*"));
    }
}

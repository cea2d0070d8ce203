using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Sql.Tests.Support;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>The SQL workload keeps the workload contracts: the conformance kit on a SQLite database in a configured folder.</summary>
public sealed class SqliteConformanceTests : WorkloadConformance<SqlWorkload>
{
    private const int Rows = 40;

    protected override IEnumerable<KeyValuePair<string, string?>> PluginSettings(string folder) => [new("Sqlite:0", folder)];

    protected override Task<DataSource> CreateDataSourceAsync(string folder) =>
        Task.FromResult(SqliteTestHost.DataSourceOf(Path.GetFullPath(TestDatabase.Create(Path.Combine(folder, "conformance.db"), rows: Rows))));

    protected override Task ChangeDataSourceAsync(DataSource dataSource)
    {
        using var connection = TestDatabase.Open(dataSource.Location!);
        for (var seed = Rows; seed < Rows + 10; seed++)
        {
            TestDatabase.Insert(connection, seed);
        }

        return Task.CompletedTask;
    }

    protected override DataSource MissingDataSource(string folder) => SqliteTestHost.DataSourceOf(Path.Combine(folder, "missing.db"));

    // The alternate location of a SQLite database is the path of the new database file.
    protected override RecoveryTarget AlternateLocation(DataSource dataSource, string folder) => RecoveryTarget.Alternate(Path.Combine(folder, "recovered.db"));

    // A recovered database is one file: the bytes the backup read, and a database that holds the rows intact.
    protected override Task AssertRecoveredAsync(MemoryRecoveryPoint point, string recoveredTo)
    {
        var database = Assert.Single(point.Items, item => item.Kind == ProtectedItemKind.File);
        Assert.Equal(point.DataOf(database.Path), File.ReadAllBytes(recoveredTo));
        Assert.Equal("ok", TestDatabase.IntegrityCheck(recoveredTo));
        Assert.Empty(TestDatabase.ReadRows(recoveredTo).Problems);
        return Task.CompletedTask;
    }
}

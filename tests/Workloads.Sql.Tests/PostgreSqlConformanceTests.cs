using System.Globalization;
using Dpm.Contracts.Testing;
using Dpm.Contracts.Workloads;
using Dpm.Tests;
using Npgsql;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>
/// The SQL workload keeps the workload contracts: the conformance kit on a real PostgreSQL 15 cluster (archiving
/// its WAL), shared by the class's tests. Each test writes a table of its own; each recovery starts the recovered
/// cluster on a port of its own beside the original, checks its rows, and stops it.
/// </summary>
public sealed class PostgreSqlConformanceTests(PostgreSqlConformanceTests.Cluster cluster)
    : WorkloadConformance<SqlWorkload>, IClassFixture<PostgreSqlConformanceTests.Cluster>
{
    private const string ClusterName = "conformance";
    private const int Rows = 40;

    private readonly string _table = "conformance_" + Guid.NewGuid().ToString("N");
    private readonly SortedDictionary<int, string> _expected = [];
    private readonly List<string> _recoveredDirectories = [];

    /// <summary>The cluster every test of the class protects: started once, stopped and deleted when the class is done.</summary>
    public sealed class Cluster : IDisposable
    {
        public PostgresServer Server { get; } = new(archive: true);

        public void Dispose() => Server.Dispose();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> PluginSettings(string folder) =>
    [
        new("PostgreSql:0:Name", ClusterName),
        new("PostgreSql:0:Port", cluster.Server.Port.ToString(CultureInfo.InvariantCulture)),
        new("PostgreSql:0:ArchiveDirectory", cluster.Server.ArchiveDirectory),
    ];

    // The cluster as discovery lists it, after a table of this test's own got rows.
    protected override async Task<DataSource> CreateDataSourceAsync(string folder)
    {
        await using (var connection = await ConnectAsync(cluster.Server.Port))
        {
            await ExecuteAsync(connection, $"CREATE TABLE {_table} (id int PRIMARY KEY, note text NOT NULL)");
            await ExecuteAsync(connection, $"INSERT INTO {_table} SELECT g, 'row ' || g FROM generate_series(1, {Rows}) g");
        }

        for (var id = 1; id <= Rows; id++)
        {
            _expected[id] = "row " + id.ToString(CultureInfo.InvariantCulture);
        }

        await foreach (var found in Workload.DiscoverDataSourcesAsync(null, CancellationToken.None))
        {
            if (found.Id == "pgsql:" + ClusterName)
            {
                return found;
            }
        }

        throw new Xunit.Sdk.XunitException($"discovery didn't list pgsql:{ClusterName}");
    }

    // Rows updated, deleted and added, then a checkpoint so the table's files on disk read differently too.
    protected override async Task ChangeDataSourceAsync(DataSource dataSource)
    {
        await using var connection = await ConnectAsync(cluster.Server.Port);
        await ExecuteAsync(connection, $"UPDATE {_table} SET note = 'changed ' || id WHERE id <= 10");
        await ExecuteAsync(connection, $"DELETE FROM {_table} WHERE id > 35");
        await ExecuteAsync(connection, $"INSERT INTO {_table} SELECT g, 'added ' || g FROM generate_series({Rows + 1}, {Rows + 10}) g");
        await ExecuteAsync(connection, "CHECKPOINT");
        for (var id = 1; id <= 10; id++)
        {
            _expected[id] = "changed " + id.ToString(CultureInfo.InvariantCulture);
        }

        for (var id = 36; id <= Rows; id++)
        {
            _expected.Remove(id);
        }

        for (var id = Rows + 1; id <= Rows + 10; id++)
        {
            _expected[id] = "added " + id.ToString(CultureInfo.InvariantCulture);
        }
    }

    // A cluster this computer's configuration doesn't have, at a port nothing listens on.
    protected override DataSource MissingDataSource(string folder) => new()
    {
        Id = "pgsql:conformance-missing",
        Name = "conformance-missing",
        Kind = "PostgreSqlCluster",
        Location = $"127.0.0.1:{PostgresServer.FreePort()}",
        HasChildren = true,
    };

    // The alternate location of a cluster is DIR:PORT: a new data directory, and the port the recovered cluster runs on.
    protected override RecoveryTarget AlternateLocation(DataSource dataSource, string folder)
    {
        var directory = Path.Combine(folder, "cluster");
        _recoveredDirectories.Add(directory);
        return RecoveryTarget.Alternate($"{directory}:{PostgresServer.FreePort()}");
    }

    // A recovered cluster is running on the target's port: it came from this point's base backup, it has left
    // recovery, and the test's table holds exactly the rows committed before the point. It is stopped afterwards.
    protected override async Task AssertRecoveredAsync(MemoryRecoveryPoint point, string recoveredTo)
    {
        ArgumentNullException.ThrowIfNull(point);
        var colon = recoveredTo.LastIndexOf(':');
        var directory = recoveredTo[..colon];
        var port = int.Parse(recoveredTo[(colon + 1)..], CultureInfo.InvariantCulture);
        try
        {
            Assert.Equal(point.DataOf("data/backup_label"), await File.ReadAllBytesAsync(Path.Combine(directory, "backup_label.old")));
            Assert.Equal(point.DataOf("data/PG_VERSION"), await File.ReadAllBytesAsync(Path.Combine(directory, "PG_VERSION")));
            await using var recovered = await ConnectAsync(port);
            await using (var ask = new NpgsqlCommand("SELECT pg_is_in_recovery(), current_setting('data_directory')", recovered))
            await using (var row = await ask.ExecuteReaderAsync())
            {
                Assert.True(await row.ReadAsync());
                Assert.False(row.GetBoolean(0), "the recovered cluster is still in recovery");
                Assert.Equal(Path.GetFullPath(directory), row.GetString(1));
            }

            Assert.Equal(_expected.ToList(), await RowsAsync(recovered));
            await using var original = await ConnectAsync(cluster.Server.Port);
            Assert.Equal(await RowsAsync(original), await RowsAsync(recovered));
        }
        finally
        {
            Stop(directory);
        }
    }

    /// <summary>A relative data directory is refused before anything is written: no folder, no WAL folder beside it.</summary>
    [Fact]
    public async Task RecoverAsync_RelativeDataDirectory_WritesNothing()
    {
        var point = await MemoryRecoveryPoint.ProtectAsync(Workload, await CreateDataSourceAsync(DataFolder));
        var relative = "conformance-relative-" + Guid.NewGuid().ToString("N");

        var e = await Assert.ThrowsAsync<ArgumentException>(() => Workload.RecoverAsync(point, new RecoveryRequest { Target = RecoveryTarget.Alternate($"{relative}:{PostgresServer.FreePort()}") }, null, CancellationToken.None).AsTask());

        Assert.Contains(relative, e.Message, StringComparison.Ordinal);
        Assert.False(Path.Exists(relative), $"the refused recovery created {Path.GetFullPath(relative)}");
        Assert.False(Path.Exists(relative + ".wal"), $"the refused recovery created {Path.GetFullPath(relative + ".wal")}");
    }

    public override async Task DisposeAsync()
    {
        // A recovery that started its cluster but failed before the assertions stopped it leaves none running.
        foreach (var directory in _recoveredDirectories.Where(d => File.Exists(Path.Combine(d, "postmaster.pid"))))
        {
            Stop(directory);
        }

        await using (var connection = await ConnectAsync(cluster.Server.Port))
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {_table}");
        }

        await base.DisposeAsync();
    }

    private void Stop(string directory)
    {
        if (File.Exists(Path.Combine(directory, "postmaster.pid")))
        {
            cluster.Server.PgCtl("stop", "-D", directory, "-m", "fast", "-w");
        }
    }

    private async Task<NpgsqlConnection> ConnectAsync(int port)
    {
        var connection = new NpgsqlConnection(cluster.Server.ConnectionString().Replace($"Port={cluster.Server.Port}", $"Port={port}", StringComparison.Ordinal));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<KeyValuePair<int, string>>> RowsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand($"SELECT id, note FROM {_table} ORDER BY id", connection);
        await using var rows = await command.ExecuteReaderAsync();
        var read = new List<KeyValuePair<int, string>>();
        while (await rows.ReadAsync())
        {
            read.Add(new(rows.GetInt32(0), rows.GetString(1)));
        }

        return read;
    }
}

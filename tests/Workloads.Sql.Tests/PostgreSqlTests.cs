using Dpm.Contracts.Workloads;
using Dpm.Management;
using Dpm.Tests;
using Npgsql;

namespace Dpm.Workloads.Sql.Tests;

/// <summary>
/// The SQL workload protecting a real PostgreSQL 15 cluster through the server (its in-process agent, the data
/// API, the pool and the catalog): base backups and WAL shipped while a writer commits, point-in-time recovery
/// to an alternate directory and port beside the running cluster, recovery to the original location with a
/// safety copy, a broken WAL chain, and the errors an operator can cause.
/// </summary>
public sealed class PostgreSqlTests : IDisposable
{
    private readonly PostgresServer _postgres = new(archive: true);

    public void Dispose() => _postgres.Dispose();

    private async Task<RunningServer> StartServerAsync(params string[] more) =>
        await RunningServer.StartAsync(
            [
                RunningServer.Unscheduled,
                "--Plugins:Dpm.Workloads.Sql:PostgreSql:0:Name=main", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:0:Port={_postgres.Port}",
                $"--Plugins:Dpm.Workloads.Sql:PostgreSql:0:ArchiveDirectory={_postgres.ArchiveDirectory}", .. more,
            ],
            "Dpm.Storage.Disk", "Dpm.Workloads.Sql");

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) { }, Timeout = TimeSpan.FromMinutes(5) });

    private static async Task<SynchronizationOutcome> SyncAsync(DpmManagementClient client, bool incremental)
    {
        var outcome = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "pgsql:main", PluginId = "Dpm.Workloads.Sql", Incremental = incremental }, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Problem?.Detail);
        return outcome.Value!;
    }

    private async Task<NpgsqlConnection> ConnectAsync(int? port = null)
    {
        var connection = new NpgsqlConnection(_postgres.ConnectionString().Replace($"Port={_postgres.Port}", $"Port={port ?? _postgres.Port}", StringComparison.Ordinal));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<List<long>> IdsAsync(NpgsqlConnection connection, string where = "true")
    {
        await using var command = new NpgsqlCommand($"SELECT id FROM ledger WHERE {where} ORDER BY id", connection);
        await using var rows = await command.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await rows.ReadAsync())
        {
            ids.Add(rows.GetInt64(0));
        }

        return ids;
    }

    [Fact]
    public async Task WriterCommitsWhileBackupsAndLogShipmentsRun_RecoveriesToThreeTimesHoldExactlyTheRowsCommittedByThen()
    {
        await using var server = await StartServerAsync();
        var client = Client(server);
        await using (var setup = await ConnectAsync())
        await using (var create = new NpgsqlCommand("CREATE TABLE ledger (id bigserial PRIMARY KEY, note text NOT NULL)", setup))
        {
            await create.ExecuteNonQueryAsync();
        }

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var connection = await ConnectAsync();
            var written = 0;
            while (!stop.IsCancellationRequested)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO ledger (note) VALUES ('entry ' || clock_timestamp())", connection);
                await insert.ExecuteNonQueryAsync(); // each its own transaction, committed
                written++;
                await Task.Delay(5);
            }

            return written;
        });

        var points = new List<SynchronizationOutcome> { await SyncAsync(client, incremental: false) };
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(1500);
            points.Add(await SyncAsync(client, incremental: i != 3)); // the fourth is an express full
        }

        await stop.CancelAsync();
        var written = await writer;
        var last = await SyncAsync(client, incremental: true);

        Assert.Equal(RecoveryPointKind.ExpressFull, points[0].RecoveryPoint.Kind);
        Assert.Equal(RecoveryPointKind.Incremental, points[1].RecoveryPoint.Kind);
        Assert.Equal(RecoveryPointKind.ExpressFull, points[4].RecoveryPoint.Kind);
        Assert.Equal(RecoveryPointKind.Incremental, last.RecoveryPoint.Kind);
        Assert.True(written > 100, $"the writer committed only {written} rows");

        // Three times between the end of the first base backup and the last shipment, each a row's commit time.
        List<(long Id, DateTime Committed)> commits;
        await using (var original = await ConnectAsync())
        await using (var command = new NpgsqlCommand("SELECT id, pg_xact_commit_timestamp(xmin) FROM ledger ORDER BY id", original))
        await using (var rows = await command.ExecuteReaderAsync())
        {
            commits = [];
            while (await rows.ReadAsync())
            {
                commits.Add((rows.GetInt64(0), rows.GetDateTime(1)));
            }
        }

        // A time well inside the span an incremental point's WAL covers, recovered from that point (its chain's base
        // backup is consistent before it): twice in the first chain, once in the second (after the second express full).
        points.Add(last);
        (long Id, DateTime Committed) Within(int point)
        {
            var from = points[point - 1].RecoveryPoint.CreatedAt.UtcDateTime.AddMilliseconds(200);
            var to = points[point].RecoveryPoint.CreatedAt.UtcDateTime.AddMilliseconds(-500);
            var inside = commits.Where(c => c.Committed > from && c.Committed < to).ToList();
            Assert.True(inside.Count > 5, $"only {inside.Count} rows were committed between recovery points {point - 1} and {point}");
            return inside[inside.Count / 2];
        }

        foreach (var (point, n) in new[] { (2, 1), (3, 2), (6, 3) })
        {
            var pick = Within(point);
            var at = new DateTimeOffset(DateTime.SpecifyKind(pick.Committed, DateTimeKind.Utc));
            var port = PostgresServer.FreePort();
            var directory = Path.Combine(_postgres.Folder, $"restored-{n}");
            var recovered = await client.RecoverAsync(
                new RecoveryRequestDto { RecoveryPointId = points[point].RecoveryPoint.Id, Destination = RecoveryDestination.AlternateLocation, Path = $"{directory}:{port}", PointInTime = at },
                CancellationToken.None);
            Assert.True(recovered.Succeeded, recovered.Problem?.Detail);
            try
            {
                await using var restored = await ConnectAsync(port);
                var expected = commits.Where(c => c.Committed <= pick.Committed).Select(c => c.Id).ToList();
                Assert.Equal(expected, await IdsAsync(restored));
            }
            finally
            {
                _postgres.PgCtl("stop", "-D", directory, "-m", "fast", "-w");
            }
        }

        await using (var stillRunning = await ConnectAsync())
        {
            Assert.Equal(commits.Count, (await IdsAsync(stillRunning)).Count); // the original ran beside them all along
        }
    }

    [Fact]
    public async Task Discovery_ListsTheClusterAndItsDatabasesBelowIt_AndAClusterThatIsDownWithItsProblem()
    {
        await using (var setup = await ConnectAsync())
        await using (var create = new NpgsqlCommand("CREATE DATABASE payroll", setup))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var server = await StartServerAsync(
            "--Plugins:Dpm.Workloads.Sql:PostgreSql:1:Name=down", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:1:Port={PostgresServer.FreePort()}",
            $"--Plugins:Dpm.Workloads.Sql:PostgreSql:1:ArchiveDirectory={_postgres.ArchiveDirectory}");
        var client = Client(server);

        var top = (await client.InquireAsync(null, CancellationToken.None)).Value!;
        var below = (await client.InquireAsync("pgsql:main", CancellationToken.None)).Value!;

        Assert.Empty(top.Failures);
        var clusters = top.DataSources.Where(d => d.PluginId == "Dpm.Workloads.Sql").Select(d => d.DataSource).ToDictionary(d => d.Id);
        Assert.Equal(["pgsql:down", "pgsql:main"], clusters.Keys.Order(StringComparer.Ordinal));
        var cluster = clusters["pgsql:main"];
        Assert.Equal(("pgsql:main", "PostgreSqlCluster", true), (cluster.Id, cluster.Kind, cluster.HasChildren));
        Assert.StartsWith("15.", cluster.Facts["version"], StringComparison.Ordinal);
        Assert.False(cluster.Facts.ContainsKey("problem"));
        var down = clusters["pgsql:down"];
        Assert.False(down.HasChildren);
        Assert.Contains("can't connect to the PostgreSQL cluster 'down'", down.Facts["problem"], StringComparison.Ordinal);
        var databases = below.DataSources.Where(d => d.PluginId == "Dpm.Workloads.Sql").Select(d => d.DataSource).ToList();
        Assert.Equal(["pgsql:main/payroll", "pgsql:main/postgres"], databases.Select(d => d.Id));
        Assert.All(databases, d => Assert.False(d.IsProtectable));
    }

    [Fact]
    public async Task LeftNonOperational_TheRecoveredClusterStaysInRecovery_ReadyForMoreWal()
    {
        await using var server = await StartServerAsync();
        var client = Client(server);
        var point = await SyncAsync(client, incremental: false);
        var port = PostgresServer.FreePort();
        var directory = Path.Combine(_postgres.Folder, "standby");

        var recovered = await client.RecoverAsync(
            new RecoveryRequestDto { RecoveryPointId = point.RecoveryPoint.Id, Destination = RecoveryDestination.AlternateLocation, Path = $"{directory}:{port}", LeaveNonOperational = true },
            CancellationToken.None);

        Assert.True(recovered.Succeeded, recovered.Problem?.Detail);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    await using var standby = await ConnectAsync(port);
                    await using var ask = new NpgsqlCommand("SELECT pg_is_in_recovery()", standby);
                    Assert.True((bool)(await ask.ExecuteScalarAsync())!);
                    break;
                }
                catch (NpgsqlException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200); // still starting up
                }
            }
        }
        finally
        {
            _postgres.PgCtl("stop", "-D", directory, "-m", "fast", "-w");
        }
    }

    [Fact]
    public async Task RecoveryToTheOriginalCluster_KeepsASafetyCopy_AndTheNewTimelineShipsOn()
    {
        await using var server = await StartServerAsync();
        var client = Client(server);
        await using (var setup = await ConnectAsync())
        await using (var create = new NpgsqlCommand("CREATE TABLE ledger (id bigserial PRIMARY KEY, note text NOT NULL); INSERT INTO ledger (note) SELECT 'before ' || g FROM generate_series(1, 100) g", setup))
        {
            await create.ExecuteNonQueryAsync();
        }

        var point = await SyncAsync(client, incremental: false);
        await using (var later = await ConnectAsync())
        await using (var damage = new NpgsqlCommand("DELETE FROM ledger WHERE id > 50", later))
        {
            await damage.ExecuteNonQueryAsync();
        }

        var recovered = await client.RecoverAsync(new RecoveryRequestDto { RecoveryPointId = point.RecoveryPoint.Id, Destination = RecoveryDestination.OriginalLocation }, CancellationToken.None);

        Assert.True(recovered.Succeeded, recovered.Problem?.Detail);
        await using (var back = await ConnectAsync())
        {
            Assert.Equal(100, (await IdsAsync(back)).Count);
            await using var insert = new NpgsqlCommand("INSERT INTO ledger (note) VALUES ('after the recovery')", back);
            await insert.ExecuteNonQueryAsync();
        }

        var safety = Assert.Single(Directory.GetDirectories(_postgres.Folder, "data.dpm-safety-*"));
        Assert.True(File.Exists(Path.Combine(safety, "PG_VERSION")));
        var shipped = await SyncAsync(client, incremental: true); // on the new timeline
        Assert.Equal(RecoveryPointKind.Incremental, shipped.RecoveryPoint.Kind);
    }

    [Fact]
    public async Task MissingWalSegment_RaisesAnAlert_AndTheSynchronizationIsAnExpressFull()
    {
        await using var server = await StartServerAsync();
        var client = Client(server);
        await SyncAsync(client, incremental: false);
        await using (var connection = await ConnectAsync())
        {
            foreach (var _ in Enumerable.Range(0, 3))
            {
                await using var write = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS filler (n int); INSERT INTO filler SELECT generate_series(1, 1000); SELECT pg_switch_wal()", connection);
                await write.ExecuteNonQueryAsync();
            }
        }

        // Wait for the archiver, then lose a segment the next shipment needs.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] segments;
        while ((segments = [.. Directory.GetFiles(_postgres.ArchiveDirectory).Select(Path.GetFileName).OfType<string>().Where(n => n.Length == 24).Order(StringComparer.Ordinal)]).Length < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        File.Delete(Path.Combine(_postgres.ArchiveDirectory, segments[^2]));
        var outcome = await SyncAsync(client, incremental: true);

        Assert.Equal(RecoveryPointKind.ExpressFull, outcome.RecoveryPoint.Kind);
        Assert.Contains($"WAL segment {segments[^2]} is missing from the archive", outcome.ReplicaInconsistentReason, StringComparison.Ordinal);
        var alert = Assert.Single((await client.GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!, a => a.Type == "ReplicaInconsistent");
        Assert.Contains("the log chain is broken", alert.Message, StringComparison.Ordinal);
        Assert.Equal("ExpressFull", (await client.GetJobsAsync(CancellationToken.None)).Value![0].Type);
    }

    [Fact]
    public async Task WrongCredentials_UnreachableServer_MissingArchive_ClearErrors_NoRecoveryPoint()
    {
        await using (var connection = await ConnectAsync())
        await using (var role = new NpgsqlCommand("CREATE ROLE backup LOGIN SUPERUSER PASSWORD 'right-password'", connection))
        {
            await role.ExecuteNonQueryAsync();
        }

        var hba = Path.Combine(_postgres.DataDirectory, "pg_hba.conf");
        File.WriteAllText(hba, "host all backup 127.0.0.1/32 scram-sha-256\n" + File.ReadAllText(hba));
        _postgres.PgCtl("reload", "-D", _postgres.DataDirectory);
        var passwordFile = Path.Combine(_postgres.Folder, "wrong.password");
        File.WriteAllText(passwordFile, "not-the-password");
        await using var server = await StartServerAsync(
            "--Plugins:Dpm.Workloads.Sql:PostgreSql:1:Name=wrongpass", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:1:Port={_postgres.Port}", "--Plugins:Dpm.Workloads.Sql:PostgreSql:1:User=backup",
            $"--Plugins:Dpm.Workloads.Sql:PostgreSql:1:PasswordFile={passwordFile}", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:1:ArchiveDirectory={_postgres.ArchiveDirectory}",
            "--Plugins:Dpm.Workloads.Sql:PostgreSql:2:Name=down", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:2:Port={PostgresServer.FreePort()}",
            $"--Plugins:Dpm.Workloads.Sql:PostgreSql:2:ArchiveDirectory={_postgres.ArchiveDirectory}",
            "--Plugins:Dpm.Workloads.Sql:PostgreSql:3:Name=noarchive", $"--Plugins:Dpm.Workloads.Sql:PostgreSql:3:Port={_postgres.Port}",
            $"--Plugins:Dpm.Workloads.Sql:PostgreSql:3:ArchiveDirectory={Path.Combine(_postgres.Folder, "no-such-archive")}");
        var client = Client(server);

        async Task<string> FailsAsync(string cluster)
        {
            var outcome = await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "pgsql:" + cluster, PluginId = "Dpm.Workloads.Sql" }, CancellationToken.None);
            Assert.False(outcome.Succeeded);
            return outcome.Problem!.Detail!;
        }

        var wrong = await FailsAsync("wrongpass");
        var down = await FailsAsync("down");
        var noArchive = await FailsAsync("noarchive");

        Assert.Contains("can't connect to the PostgreSQL cluster 'wrongpass'", wrong, StringComparison.Ordinal);
        Assert.Contains("password authentication failed for user \"backup\"", wrong, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", wrong, StringComparison.Ordinal);
        Assert.Contains("can't connect to the PostgreSQL cluster 'down'", down, StringComparison.Ordinal);
        Assert.Contains($"the WAL archive directory {Path.Combine(_postgres.Folder, "no-such-archive")} of the PostgreSQL cluster 'noarchive'", noArchive, StringComparison.Ordinal);
        Assert.Empty((await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!);
        Assert.Equal(3, (await client.GetAlertsAsync(includeInactive: false, CancellationToken.None)).Value!.Count(a => a.Type == "RecoveryPointFailed"));
    }
}

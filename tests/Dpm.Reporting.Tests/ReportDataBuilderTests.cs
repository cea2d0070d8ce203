using System.Text.Json;
using Dpm.Catalog;
using Dpm.Reporting.Tests.Support;
using Dpm.Tests;

namespace Dpm.Reporting.Tests;

/// <summary>The report data: the same from a catalog on a real PostgreSQL 15 as from SQLite, and the trend that says when the pool is full.</summary>
public sealed class ReportDataBuilderTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task BuildAsync_SeededCatalogOnPostgres_SameDataAsOnSqlite()
    {
        using var postgres = new PostgresServer();
        await using (var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE reports", connection);
            await create.ExecuteNonQueryAsync();
        }

        using var onPostgres = await SeededCatalog.CreateAsync(CatalogProvider.Postgres, postgres.ConnectionString("reports"));
        using var onSqlite = await SeededCatalog.CreateAsync();

        var fromPostgres = await Build(onPostgres);
        var fromSqlite = await Build(onSqlite);

        Assert.Equal(fromSqlite, fromPostgres);
        Assert.Contains("\"rpoMissed\":2", fromPostgres, StringComparison.Ordinal);

        static async Task<string> Build(SeededCatalog catalog) =>
            JsonSerializer.Serialize(
                await new ReportDataBuilder(catalog, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(SeededCatalog.Now)).BuildAsync(SeededCatalog.From, SeededCatalog.Until, CancellationToken.None),
                Json);
    }

    [Fact]
    public void LinearTrend_GrowingPool_SlopePerDayAndTheLineThroughTheDays()
    {
        var (slope, line) = ReportDataBuilder.LinearTrend([100, 110, 130, 140]);

        Assert.Equal(14, slope!.Value, precision: 9);
        Assert.Equal([99, 113, 127, 141], line);
    }

    [Fact]
    public void LinearTrend_OneDay_HasNoSlope()
    {
        var (slope, line) = ReportDataBuilder.LinearTrend([100]);

        Assert.Null(slope);
        Assert.Equal([100.0], line);
    }
}

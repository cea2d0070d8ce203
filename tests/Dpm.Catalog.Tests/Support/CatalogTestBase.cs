using Dpm.Tests;

namespace Dpm.Catalog.Tests.Support;

/// <summary>Where a test class's catalogs live: each test gets a new, empty database there.</summary>
public interface ICatalogDatabases
{
    CatalogProvider Provider { get; }

    /// <summary>A new, empty database; returns its connection string.</summary>
    Task<string> CreateAsync();
}

/// <summary>
/// A fresh, migrated catalog for each test, on the databases <typeparamref name="TDatabases"/> gives: SQLite files
/// (<see cref="SqliteCatalogs"/>) or databases on a real PostgreSQL 15 (<see cref="PostgresCatalogs"/>).
/// </summary>
public abstract class CatalogTestBase<TDatabases>(TDatabases databases) : IAsyncLifetime, IClassFixture<TDatabases>
    where TDatabases : class, ICatalogDatabases
{
    protected static readonly DateTimeOffset Day = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    protected CatalogProvider Provider => databases.Provider;

    protected string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await databases.CreateAsync();
        await Catalogs.MigrateAsync(Provider, ConnectionString, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    protected CatalogContext Open() => Catalogs.Create(Provider, ConnectionString);
}

/// <summary>Catalogs in SQLite files of a folder of the test class's own.</summary>
public sealed class SqliteCatalogs : ICatalogDatabases, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dpm-catalog-").FullName;

    public CatalogProvider Provider => CatalogProvider.Sqlite;

    public Task<string> CreateAsync() => Task.FromResult($"Data Source={Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".db")};Pooling=False");

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>One PostgreSQL 15 server for a test class; each test makes its own database on it.</summary>
public sealed class PostgresCatalogs : ICatalogDatabases, IDisposable
{
    public PostgresServer Server { get; } = new();

    public CatalogProvider Provider => CatalogProvider.Postgres;

    public async Task<string> CreateAsync()
    {
        var name = "catalog_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new Npgsql.NpgsqlConnection(Server.ConnectionString());
        await connection.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return Server.ConnectionString(name);
    }

    public void Dispose() => Server.Dispose();
}

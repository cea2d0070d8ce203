using Dpm.Tests;

namespace Dpm.Catalog.Tests.Support;

/// <summary>
/// A fresh, migrated catalog for each test, on the provider a concrete class chooses: a SQLite file
/// (<see cref="SqliteCatalog"/>) or a database of its own on a real PostgreSQL 15 (<see cref="PostgresCatalog"/>).
/// </summary>
public abstract class CatalogTestBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset Day = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    protected abstract CatalogProvider Provider { get; }

    protected abstract string ConnectionString { get; }

    public virtual async Task InitializeAsync() => await Catalogs.MigrateAsync(Provider, ConnectionString, CancellationToken.None);

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected CatalogContext Open() => Catalogs.Create(Provider, ConnectionString);
}

/// <summary>The catalog in a SQLite file of the test's own.</summary>
public sealed class SqliteCatalog : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dpm-catalog-").FullName;

    public string ConnectionString => $"Data Source={Path.Combine(_folder, "catalog.db")};Pooling=False";

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>One PostgreSQL 15 server for a test class; each test makes its own database on it.</summary>
public sealed class PostgresCatalog : IDisposable
{
    public PostgresServer Server { get; } = new();

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
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

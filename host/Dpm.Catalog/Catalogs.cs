using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

public enum CatalogProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Opens the catalog on its provider and brings its schema up to date.</summary>
public static class Catalogs
{
    public static CatalogContext Create(CatalogProvider provider, string connectionString) => provider switch
    {
        CatalogProvider.Sqlite => new SqliteCatalogContext(new DbContextOptionsBuilder<SqliteCatalogContext>().UseSqlite(connectionString).Options),
        CatalogProvider.Postgres => new PostgresCatalogContext(new DbContextOptionsBuilder<PostgresCatalogContext>().UseNpgsql(connectionString).Options),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "no such catalog provider"),
    };

    /// <summary>Applies the migrations the database lacks (a new database gets the whole schema).</summary>
    public static async Task MigrateAsync(CatalogProvider provider, string connectionString, CancellationToken cancellationToken)
    {
        await using var catalog = Create(provider, connectionString);
        await catalog.Database.MigrateAsync(cancellationToken);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dpm.Catalog;

/// <summary>
/// The catalog's one model. Each database provider has a small context of its own (<see cref="SqliteCatalogContext"/>,
/// <see cref="PostgresCatalogContext"/>) so that each keeps its own migrations.
/// </summary>
public abstract class CatalogContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Computer> Computers => Set<Computer>();

    public DbSet<ProtectionGroup> ProtectionGroups => Set<ProtectionGroup>();

    public DbSet<DataSourceRecord> DataSources => Set<DataSourceRecord>();

    public DbSet<RecoveryPointRecord> RecoveryPoints => Set<RecoveryPointRecord>();

    public DbSet<Job> Jobs => Set<Job>();

    public DbSet<Alert> Alerts => Set<Alert>();

    public DbSet<LicenceConsumption> LicenceConsumption => Set<LicenceConsumption>();

    public DbSet<AttachToken> AttachTokens => Set<AttachToken>();

    public DbSet<ReportSchedule> ReportSchedules => Set<ReportSchedule>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<Computer>().HasKey(c => c.Name);

        modelBuilder.Entity<ProtectionGroup>(group =>
        {
            group.HasIndex(g => g.Name).IsUnique();
            group.OwnsOne(g => g.Policy);
            group.HasMany(g => g.Members).WithOne().HasForeignKey(d => d.ProtectionGroupId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<DataSourceRecord>(dataSource =>
        {
            dataSource.HasKey(d => new { d.ComputerName, d.Id });
            dataSource.HasOne<Computer>().WithMany().HasForeignKey(d => d.ComputerName);
        });

        modelBuilder.Entity<RecoveryPointRecord>(point =>
        {
            point.HasIndex(p => new { p.ComputerName, p.DataSourceId, p.CreatedAt });
            point.HasOne<DataSourceRecord>().WithMany().HasForeignKey(p => new { p.ComputerName, p.DataSourceId }).OnDelete(DeleteBehavior.Cascade);
            point.OwnsMany(p => p.Copies, copy =>
            {
                copy.WithOwner().HasForeignKey("RecoveryPointId");
                copy.HasKey("RecoveryPointId", nameof(RecoveryPointCopy.Location), nameof(RecoveryPointCopy.Target)); // one copy per place
            });
        });

        modelBuilder.Entity<Job>(job =>
        {
            job.HasIndex(j => new { j.State, j.CreatedAt });
            job.Property(j => j.Type).HasConversion<string>();
            job.Property(j => j.State).HasConversion<string>();
        });

        modelBuilder.Entity<Alert>(alert =>
        {
            alert.Property(a => a.Type).HasConversion<string>();
            alert.Property(a => a.Severity).HasConversion<string>();
            // One active alert per type and subject: a repeat raises its count instead.
            alert.HasIndex(a => new { a.Type, a.Subject }).IsUnique().HasFilter(ActiveFilter);
        });

        modelBuilder.Entity<LicenceConsumption>().HasKey(l => new { l.ComputerName, l.Tier });
        modelBuilder.Entity<AttachToken>().HasIndex(t => t.ComputerName);
    }

    /// <summary>The SQL condition of the unique index on active alerts.</summary>
    protected abstract string ActiveFilter { get; }
}

/// <summary>The catalog in a SQLite file (the default).</summary>
public sealed class SqliteCatalogContext(DbContextOptions<SqliteCatalogContext> options) : CatalogContext(options)
{
    protected override string ActiveFilter => "\"IsActive\" = 1";

    // SQLite can't compare or order DateTimeOffset values: store UTC ticks, which order as time does (nullable ones too).
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
}

/// <summary>The catalog in PostgreSQL (several servers can share it).</summary>
public sealed class PostgresCatalogContext(DbContextOptions<PostgresCatalogContext> options) : CatalogContext(options)
{
    protected override string ActiveFilter => "\"IsActive\"";
}

/// <summary>Design-time factories, for `dotnet ef migrations add`.</summary>
internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteCatalogContext>
{
    public SqliteCatalogContext CreateDbContext(string[] args) => (SqliteCatalogContext)Catalogs.Create(CatalogProvider.Sqlite, "Data Source=design.db");
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresCatalogContext>
{
    public PostgresCatalogContext CreateDbContext(string[] args) => (PostgresCatalogContext)Catalogs.Create(CatalogProvider.Postgres, "Host=localhost;Database=dpm");
}

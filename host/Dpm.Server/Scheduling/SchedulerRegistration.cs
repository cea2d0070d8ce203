using Dpm.Catalog;
using Dpm.Core.Hosting;
using Dpm.Server.Protection;
using Quartz;

namespace Dpm.Server.Scheduling;

/// <summary>Registers Quartz with its ADO job store in the catalog's database, the protection scheduler and the report scheduler.</summary>
internal static class SchedulerRegistration
{
    public static IServiceCollection AddDpmScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        var catalog = configuration.GetSection(CatalogOptions.Section).Get<CatalogOptions>() ?? new CatalogOptions();
        var connectionString = catalog.ConnectionStringFor(DpmHostOptions.ResolveDataDirectory(configuration[$"{DpmHostOptions.Section}:DataDirectory"]));
        var clustered = options.Clustered ?? catalog.Provider == CatalogProvider.Postgres;
        if (clustered && catalog.Provider != CatalogProvider.Postgres)
        {
            throw new InvalidOperationException("a clustered schedule needs the catalog on PostgreSQL (Dpm:Catalog:Provider=Postgres); SQLite is one server's file");
        }

        services.AddQuartz(options.Name, q =>
        {
            q.UsePersistentStore(store =>
            {
                if (catalog.Provider == CatalogProvider.Postgres)
                {
                    store.UsePostgres(connectionString);
                }
                else
                {
                    store.UseSqlite(connectionString);
                }

                store.ProvisionSchema();
                store.ConfigureStore(s => s.MisfireThreshold = TimeSpan.FromSeconds(options.MisfireThresholdSeconds));
                if (clustered)
                {
                    store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(options.CheckinIntervalSeconds));
                }
            });
        });
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ProtectionScheduler>(sp, sp.GetRequiredKeyedService<IScheduler>(options.Name)));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ReportScheduler>(sp, sp.GetRequiredKeyedService<IScheduler>(options.Name)));
        if (options.Enabled)
        {
            services.AddQuartzHostedService(options.Name, o => o.WaitForJobsToComplete = false);
            services.AddHostedService(sp => sp.GetRequiredService<ProtectionScheduler>());
            services.AddHostedService(sp => sp.GetRequiredService<ReportScheduler>());
        }

        return services;
    }
}

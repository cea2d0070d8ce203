using System.Runtime.InteropServices;
using Dpm.Contracts;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dpm.Core.Hosting;

/// <summary>Registers the engine's parts in a host's container, with typed options validated at start-up.</summary>
public static class DpmServiceCollectionExtensions
{
    /// <summary>Host options, the computer identity and the clock.</summary>
    public static IServiceCollection AddDpmHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DpmHostOptions>()
            .Bind(configuration.GetSection(DpmHostOptions.Section))
            .PostConfigure(o =>
            {
                o.DataDirectory = DpmHostOptions.ResolveDataDirectory(o.DataDirectory);
                o.ComputerName = string.IsNullOrWhiteSpace(o.ComputerName) ? Environment.MachineName : o.ComputerName;
            });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var host = sp.GetRequiredService<IOptions<DpmHostOptions>>().Value;
            return new ProtectedComputer(host.ComputerName, RuntimeInformation.OSDescription);
        });
        return services;
    }

    /// <summary>The plugin manager, loading plugins when the host starts.</summary>
    public static IServiceCollection AddDpmPlugins(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PluginManagerOptions>()
            .Bind(configuration.GetSection(PluginManagerOptions.Section))
            .PostConfigure<IOptions<DpmHostOptions>>((o, host) =>
            {
                o.Directory = string.IsNullOrWhiteSpace(o.Directory) ? Path.Combine(AppContext.BaseDirectory, "plugins") : Path.GetFullPath(o.Directory);
                o.StateDirectory = string.IsNullOrWhiteSpace(o.StateDirectory) ? Path.Combine(host.Value.DataDirectory, "plugin-state") : Path.GetFullPath(o.StateDirectory);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IPluginLoader, McMasterPluginLoader>();
        services.AddSingleton(sp => new PluginManager(
            sp.GetRequiredService<IOptions<PluginManagerOptions>>().Value,
            sp.GetRequiredService<IPluginLoader>(),
            sp.GetRequiredService<ILicenceGate>(),
            sp.GetRequiredService<ILoggerFactory>(),
            configuration.GetSection("Plugins"),
            sp.GetRequiredService<ProtectedComputer>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<PluginHostService>();
        return services;
    }

    /// <summary>The licence engine, which also decides which plugin tiers may load.</summary>
    public static IServiceCollection AddDpmLicensing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LicensingOptions>()
            .Bind(configuration.GetSection(LicensingOptions.Section))
            .PostConfigure<IOptions<DpmHostOptions>>((o, host) =>
                o.Directory = string.IsNullOrWhiteSpace(o.Directory) ? Path.Combine(host.Value.DataDirectory, "licences") : Path.GetFullPath(o.Directory))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(_ => LicenceTrust.BuiltIn());
        services.TryAddSingleton<ILicenceConsumptionStore>(sp =>
            new JsonFileConsumptionStore(Path.Combine(sp.GetRequiredService<IOptions<LicensingOptions>>().Value.Directory, "consumption.json")));
        services.AddSingleton(sp => new LicenceService(
            sp.GetRequiredService<IOptions<LicensingOptions>>().Value,
            sp.GetRequiredService<LicenceTrust>(),
            sp.GetRequiredService<ILicenceConsumptionStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<LicenceService>>()));
        services.AddSingleton<ILicenceGate>(sp => sp.GetRequiredService<LicenceService>());
        return services;
    }
}

using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Management;
using Dpm.Reporting;
using Dpm.Server.Agents;
using Dpm.Server.Health;
using Dpm.Server.Licensing;
using Dpm.Server.Protection;
using Dpm.Server.Reporting;
using Dpm.Server.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dpm.Server;

/// <summary>Builds the server: with no configuration at all it runs on embedded defaults under one data directory.</summary>
public static class DpmServer
{
    /// <summary>Where the management API listens unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = DpmManagementClient.DefaultServerUrl;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddDpmHost(builder.Configuration)
            .AddDpmLicensing(builder.Configuration)
            .AddDpmPlugins(builder.Configuration);
        builder.Services.AddOptions<PoolOptions>().Bind(builder.Configuration.GetSection(PoolOptions.Section));
        builder.Services.AddSingleton<PoolHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PoolHost>());
        builder.Services.AddOptions<CatalogOptions>().Bind(builder.Configuration.GetSection(CatalogOptions.Section));
        builder.Services.AddSingleton<CatalogHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogHost>());
        builder.Services.AddOptions<JobOptions>().Bind(builder.Configuration.GetSection(JobOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RunningJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunningJobs>());
        builder.Services.AddSingleton<ProtectionService>();
        builder.Services.AddOptions<AgentOptions>().Bind(builder.Configuration.GetSection(AgentOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RecoveryPointBook>();
        builder.Services.AddSingleton<ReplicaSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaSessions>());
        builder.Services.AddSingleton<AgentDispatcher>();
        builder.Services.AddSingleton<AgentListener>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AgentListener>());
        builder.Services.AddDpmScheduler(builder.Configuration);
        builder.Services.AddSingleton<ProtectionGroupService>();
        builder.Services.Replace(ServiceDescriptor.Singleton<ILicenceConsumptionStore, CatalogConsumptionStore>()); // consumption lives in the catalog
        builder.Services.AddSingleton<RetentionService>();
        builder.Services.AddOptions<CloudCopyOptions>().Bind(builder.Configuration.GetSection(CloudCopyOptions.Section));
        builder.Services.AddSingleton<CloudCopyService>();
        builder.Services.AddSingleton<HealthMonitor>();
        builder.Services.AddOptions<ReportOptions>().Bind(builder.Configuration.GetSection(ReportOptions.Section))
            .PostConfigure<IOptions<DpmHostOptions>>((o, host) => o.TemplatesDirectory = string.IsNullOrWhiteSpace(o.TemplatesDirectory)
                ? Path.Combine(host.Value.DataDirectory, "reports", "templates")
                : Path.GetFullPath(o.TemplatesDirectory))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IReportSources, ServerReportSources>();
        builder.Services.AddSingleton<IReportRenderer>(sp => new ReportRenderer(
            sp.GetRequiredService<IReportSources>(), sp.GetRequiredService<IOptions<ReportOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddOptions<ReportDeliveryOptions>().Bind(builder.Configuration.GetSection(ReportDeliveryOptions.Section))
            .PostConfigure<IOptions<DpmHostOptions>>((o, host) => o.OutputDirectory = string.IsNullOrWhiteSpace(o.OutputDirectory)
                ? Path.Combine(host.Value.DataDirectory, "reports", "out")
                : Path.GetFullPath(o.OutputDirectory))
            .Validate(o => o.Smtp.Port is > 0 and <= 65535, "Dpm:Reports:Smtp:Port is a port, 1-65535")
            .Validate(o => string.IsNullOrWhiteSpace(o.Smtp.From) || MimeKit.MailboxAddress.TryParse(o.Smtp.From, out _), "Dpm:Reports:Smtp:From is not an e-mail address")
            .ValidateOnStart();
        builder.Services.AddSingleton<ReportMailer>();
        builder.Services.AddSingleton<ReportDelivery>();
        builder.Services.AddSingleton<ReportScheduleService>();
        builder.Services.AddHostedService<StartupReport>();
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => ManagementJson.Configure(o.SerializerOptions));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapOpenApi();
        app.MapManagementApi();
        return app;
    }
}

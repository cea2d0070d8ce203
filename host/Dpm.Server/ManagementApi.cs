using System.Text;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.Options;

namespace Dpm.Server;

/// <summary>A data source found by a workload plugin on this computer.</summary>
public sealed record DiscoveredDataSource(string PluginId, DataSource DataSource);

/// <summary>The result of discovery over every active workload plugin.</summary>
public sealed record DiscoveryReport(IReadOnlyList<DiscoveredDataSource> DataSources, IReadOnlyList<string> Failures);

/// <summary>Server health and where it keeps its data.</summary>
public sealed record ServerHealth(string Status, string Version, string Computer, string DataDirectory, string PluginsDirectory);

/// <summary>The management API (HTTP/JSON) that the dpm shell and scripts use.</summary>
internal static class ManagementApi
{
    private const int MaxLicenceBytes = 64 * 1024;

    public static void MapManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/health", (IOptions<DpmHostOptions> host, IOptions<PluginManagerOptions> plugins) => new ServerHealth(
                "ok",
                typeof(DpmServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
                host.Value.ComputerName,
                host.Value.DataDirectory,
                plugins.Value.Directory))
            .WithSummary("Server health, version and data directory");

        api.MapGet("/plugins", (PluginManager plugins) => plugins.GetPlugins())
            .WithSummary("Every plugin folder with its status and the reason for it");

        api.MapGet("/licences", (LicenceService licences) => licences.GetState())
            .WithSummary("Licence mode, installed licences, tier capacity and consumption");

        api.MapPost("/licences", InstallLicenceAsync)
            .Accepts<string>("text/plain")
            .Produces<InstalledLicence>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Installs a licence file (its text as the body); refuses forged, tampered or expired ones");

        api.MapDelete("/licences/{id}", async (string id, LicenceService licences, PluginManager plugins, CancellationToken ct) =>
            {
                if (!licences.Remove(id))
                {
                    return Results.Problem(title: "no such licence", detail: $"no installed licence has id '{id}'", statusCode: StatusCodes.Status404NotFound);
                }

                await plugins.ApplyLicenceChangeAsync(ct);
                return Results.NoContent();
            })
            .WithSummary("Removes an installed licence");

        api.MapGet("/datasources", DiscoverAsync)
            .WithSummary("Discovers data sources with every active workload plugin on this computer");
    }

    private static async Task<IResult> InstallLicenceAsync(HttpRequest request, LicenceService licences, PluginManager plugins, CancellationToken ct)
    {
        if (request.ContentLength > MaxLicenceBytes)
        {
            return Results.Problem(title: "licence refused", detail: $"a licence file is at most {MaxLicenceBytes} bytes", statusCode: StatusCodes.Status400BadRequest);
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[MaxLicenceBytes + 1];
        var length = await reader.ReadBlockAsync(buffer, ct);
        if (length > MaxLicenceBytes)
        {
            return Results.Problem(title: "licence refused", detail: $"a licence file is at most {MaxLicenceBytes} bytes", statusCode: StatusCodes.Status400BadRequest);
        }

        var result = licences.Install(new string(buffer, 0, length));
        if (result.Error is not null)
        {
            return Results.Problem(title: "licence refused", detail: result.Error, statusCode: StatusCodes.Status400BadRequest);
        }

        await plugins.ApplyLicenceChangeAsync(ct);
        return Results.Created($"/api/licences/{result.Licence!.Id}", result.Licence);
    }

    private static async Task<DiscoveryReport> DiscoverAsync(PluginManager plugins, CancellationToken ct)
    {
        var found = new List<DiscoveredDataSource>();
        var failures = new List<string>();
        foreach (var workload in plugins.GetActive(PluginKind.Workload))
        {
            var result = await plugins.ListAsync<IWorkloadPlugin, DataSource>(
                workload.Id, "DiscoverDataSources", (p, c) => p.DiscoverDataSourcesAsync(null, c), ct);
            if (result.Succeeded)
            {
                found.AddRange(result.Value!.Select(ds => new DiscoveredDataSource(workload.Id, ds)));
            }
            else
            {
                failures.Add(result.Failure!);
            }
        }

        return new DiscoveryReport(found, failures);
    }
}

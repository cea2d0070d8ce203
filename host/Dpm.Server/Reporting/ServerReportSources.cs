using Dpm.Catalog;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Reporting;
using Dpm.Server.Protection;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Reporting;

/// <summary>What the server's reports are made from: its catalog, its storage pool, its licences and its active plugins' report templates.</summary>
internal sealed class ServerReportSources(CatalogHost catalog, ProtectionService protection, LicenceService licences, PluginManager plugins, IOptions<PluginManagerOptions> pluginOptions)
    : IReportSources
{
    /// <summary>The folder of a plugin's own report templates.</summary>
    public const string PluginReportsFolder = "reports";

    public CatalogContext OpenCatalog() => catalog.Open();

    public async Task<PoolSpace> GetPoolSpaceAsync(CancellationToken cancellationToken)
    {
        var pool = await protection.GetPoolAsync(cancellationToken);
        return new PoolSpace(pool.Location, pool.TotalBytes, pool.FreeBytes);
    }

    public LicenceState GetLicences() => licences.GetState();

    public IReadOnlyList<string> GetPluginTemplateFolders() =>
        plugins.GetPlugins()
            .Where(p => p.Status == PluginStatus.Active)
            .Select(p => Path.Combine(pluginOptions.Value.Directory, p.Folder, PluginReportsFolder))
            .Where(Directory.Exists)
            .ToList();
}

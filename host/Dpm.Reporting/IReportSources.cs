using Dpm.Catalog;
using Dpm.Management;

namespace Dpm.Reporting;

/// <summary>The storage pool's space, as its store says it (null where the store can't tell).</summary>
/// <param name="Location">Where the pool is.</param>
/// <param name="TotalBytes">Its capacity.</param>
/// <param name="FreeBytes">Its free space.</param>
public sealed record PoolSpace(string Location, long? TotalBytes, long? FreeBytes);

/// <summary>What reports are made from: the catalog, the storage pool's space, the licences, and the plugins' templates.</summary>
public interface IReportSources
{
    /// <summary>A new context on the catalog (the caller disposes of it).</summary>
    CatalogContext OpenCatalog();

    /// <summary>The storage pool's space now.</summary>
    Task<PoolSpace> GetPoolSpaceAsync(CancellationToken cancellationToken);

    /// <summary>The licences and their consumption now.</summary>
    LicenceState GetLicences();

    /// <summary>The <c>reports</c> folders of the active plugins that have one, in the order the plugins load.</summary>
    IReadOnlyList<string> GetPluginTemplateFolders();
}

namespace Dpm.Contracts;

/// <summary>What a plugin provides to the host.</summary>
public enum PluginKind
{
    /// <summary>Discovers and protects data sources of one kind of application or data (files, SQL, mail...).</summary>
    Workload = 1,

    /// <summary>Provides a place where the storage pool's objects live (disk, cloud, tape, secondary server).</summary>
    Storage = 2,
}

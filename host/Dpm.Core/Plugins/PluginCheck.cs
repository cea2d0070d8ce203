namespace Dpm.Core.Plugins;

/// <summary>The checks a plugin folder goes through on its way to <c>Active</c>, in the order they run.</summary>
public enum PluginCheck
{
    /// <summary><c>plugin.json</c> is there, well formed, complete, and names an entry assembly in the folder.</summary>
    Manifest,

    /// <summary>The licence covers the tier the manifest asks for.</summary>
    Tier,

    /// <summary>The entry assembly loads into a load context of its own.</summary>
    Load,

    /// <summary>The entry assembly is built against the contracts version the manifest names, and this host has it.</summary>
    ContractsVersion,

    /// <summary>Every type of the entry assembly resolves: the assemblies it needs are in the folder.</summary>
    Dependencies,

    /// <summary>Exactly one class is marked <c>[DpmPlugin]</c>, it agrees with the manifest, and it can be constructed.</summary>
    EntryPoint,

    /// <summary>The entry point's constructor and <c>InitializeAsync</c> finish, without throwing, within the time box.</summary>
    Initialize,

    /// <summary>
    /// A workload's discovery of its top-level data sources finishes, without throwing, within the time box, and lists
    /// data sources with an id, a name and a kind, no id twice.
    /// </summary>
    Discovery,

    /// <summary>A workload's discovery with a cancelled token ends in <see cref="OperationCanceledException"/>, within the time box.</summary>
    Cancellation,

    /// <summary>A workload refuses to protect another workload's data source, with an argument or operation error that names it.</summary>
    BadInput,

    /// <summary>A call into an active plugin (after it loaded) threw or ran out of time.</summary>
    Call,
}

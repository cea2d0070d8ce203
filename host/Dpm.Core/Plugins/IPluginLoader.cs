using System.Reflection;

namespace Dpm.Core.Plugins;

/// <summary>
/// Loads a plugin's entry assembly into a context of its own that can be unloaded. The host talks to
/// loaders only through this interface, so the mechanism (McMaster.NETCore.Plugins today) can be swapped.
/// </summary>
public interface IPluginLoader
{
    /// <summary>Loads the entry assembly at <paramref name="entryAssemblyPath"/> into a new, collectible context.</summary>
    IPluginAssembly Load(string entryAssemblyPath);
}

/// <summary>A loaded plugin assembly and the context that holds it. Disposing starts unloading the context.</summary>
public interface IPluginAssembly : IDisposable
{
    Assembly EntryAssembly { get; }

    /// <summary>A weak reference to the load context, to see whether it was really collected after unloading.</summary>
    WeakReference LoadContext { get; }
}

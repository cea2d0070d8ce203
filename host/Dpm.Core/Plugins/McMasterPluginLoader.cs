using System.Reflection;
using System.Runtime.Loader;
using Dpm.Contracts.Spi;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Dpm.Core.Plugins;

/// <summary>
/// Loads each plugin with McMaster.NETCore.Plugins in its own collectible load context. Only the contracts
/// and the Microsoft.Extensions.*.Abstractions cross the boundary; everything else a plugin ships is its own,
/// so two plugins may use different major versions of the same library.
/// </summary>
public sealed class McMasterPluginLoader : IPluginLoader
{
    /// <summary>One type from each assembly that host and plugins share.</summary>
    internal static readonly Type[] SharedTypes =
    [
        typeof(IPlugin),               // Dpm.Contracts
        typeof(ILogger),               // Microsoft.Extensions.Logging.Abstractions
        typeof(IConfiguration),        // Microsoft.Extensions.Configuration.Abstractions
        typeof(IChangeToken),          // Microsoft.Extensions.Primitives
        typeof(IServiceCollection),    // Microsoft.Extensions.DependencyInjection.Abstractions
    ];

    public IPluginAssembly Load(string entryAssemblyPath)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(
            entryAssemblyPath,
            isUnloadable: true,
            sharedTypes: SharedTypes,
            configure: config => config.PreferSharedTypes = false);
        try
        {
            return new LoadedAssembly(loader, loader.LoadDefaultAssembly());
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }

    private sealed class LoadedAssembly(PluginLoader loader, Assembly entryAssembly) : IPluginAssembly
    {
        public Assembly EntryAssembly { get; } = entryAssembly;

        public WeakReference LoadContext { get; } = new(AssemblyLoadContext.GetLoadContext(entryAssembly));

        public void Dispose() => loader.Dispose();
    }
}

using System.Reflection;

namespace Dpm.Contracts.Testing;

/// <summary>Reads the <see cref="DpmPluginAttribute"/> of a plugin's entry point.</summary>
internal static class PluginDeclaration
{
    public static DpmPluginAttribute Of(Type entryPoint) =>
        entryPoint.GetCustomAttribute<DpmPluginAttribute>()
        ?? throw new InvalidOperationException($"{entryPoint.FullName} has no [DpmPlugin] attribute: a plugin's entry point declares its id, kind and licence tier with it");
}

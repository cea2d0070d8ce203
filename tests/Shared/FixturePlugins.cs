namespace Dpm.Tests;

/// <summary>The fixture plugins built beside the tests (in plugins/), copied into a test's own plugins folder.</summary>
public static class FixturePlugins
{
    /// <summary>Copies the built fixture plugin <paramref name="fixture"/> to <paramref name="pluginsDirectory"/>/<paramref name="folder"/>.</summary>
    public static string CopyTo(string pluginsDirectory, string fixture, string? folder = null)
    {
        var target = Path.Combine(pluginsDirectory, folder ?? fixture);
        CopyFolder(Path.Combine(AppContext.BaseDirectory, "plugins", fixture), target);
        return Path.GetFullPath(target);
    }

    /// <summary>Copies a plugin folder, sub-folders (native libraries in runtimes/) included, as a deployment does.</summary>
    public static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }
    }
}

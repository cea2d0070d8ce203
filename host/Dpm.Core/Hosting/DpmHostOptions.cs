namespace Dpm.Core.Hosting;

/// <summary>Settings every DpmPlugins process shares.</summary>
public sealed class DpmHostOptions
{
    public const string Section = "Dpm";

    /// <summary>The one folder under which a process keeps everything it writes. Defaults to <c>~/.local/share/dpm</c>.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>The name this computer goes by. Defaults to the machine name.</summary>
    public string ComputerName { get; set; } = "";

    /// <summary>The data directory a configured value names: its full path, or the default when none is given.</summary>
    public static string ResolveDataDirectory(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? DefaultDataDirectory : Path.GetFullPath(configured);

    /// <summary>The data directory used when none is configured.</summary>
    public static string DefaultDataDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "dpm");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Dpm.Contracts;

namespace Dpm.Core.Plugins;

/// <summary>A manifest that was read and checked, or the reasons it can't be used.</summary>
public sealed record ManifestReadResult(PluginManifest? Manifest, IReadOnlyList<string> Problems)
{
    public bool IsValid => Manifest is not null && Problems.Count == 0;
}

/// <summary>Reads <c>plugin.json</c> and checks it before any of the plugin's code is loaded.</summary>
public static class PluginManifestReader
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static ManifestReadResult Read(string pluginFolder)
    {
        var path = Path.Combine(pluginFolder, PluginManifest.FileName);
        if (!File.Exists(path))
        {
            return Fail($"{PluginManifest.FileName} is missing in '{pluginFolder}'");
        }

        PluginManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            return Fail($"{PluginManifest.FileName} is not a valid manifest{where}: {FirstSentence(ex.Message)}");
        }
        catch (IOException ex)
        {
            return Fail($"{PluginManifest.FileName} can't be read: {ex.Message}");
        }

        if (manifest is null)
        {
            return Fail($"{PluginManifest.FileName} is empty (null)");
        }

        return new ManifestReadResult(manifest, Check(manifest, pluginFolder));
    }

    private static List<string> Check(PluginManifest manifest, string pluginFolder)
    {
        var problems = new List<string>();
        if (!IsPluginId(manifest.Id))
        {
            problems.Add($"id '{manifest.Id}' is not a dotted name of letters, digits, '_' and '-'");
        }

        if (string.IsNullOrWhiteSpace(manifest.Name))
        {
            problems.Add("name is empty");
        }

        if (!System.Version.TryParse(manifest.Version.Split('-', '+')[0], out _))
        {
            problems.Add($"version '{manifest.Version}' is not a version number");
        }

        if (!Enum.IsDefined(manifest.Kind))
        {
            problems.Add($"kind '{manifest.Kind}' is not Workload or Storage");
        }

        if (!Enum.IsDefined(manifest.RequiredTier))
        {
            problems.Add($"requiredTier '{manifest.RequiredTier}' is not None, Client, Standard or Enterprise");
        }

        if (!System.Version.TryParse(manifest.ContractsVersion, out var contracts))
        {
            problems.Add($"contractsVersion '{manifest.ContractsVersion}' is not a version number");
        }
        else if (!ContractsVersion.IsCompatible(contracts))
        {
            problems.Add($"it targets contracts {manifest.ContractsVersion}, but this host has contracts {ContractsVersion.Current}");
        }

        if (string.IsNullOrWhiteSpace(manifest.EntryAssembly)
            || Path.GetFileName(manifest.EntryAssembly) != manifest.EntryAssembly
            || !manifest.EntryAssembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"entryAssembly '{manifest.EntryAssembly}' must be the file name of a .dll inside the plugin folder");
        }
        else if (!File.Exists(Path.Combine(pluginFolder, manifest.EntryAssembly)))
        {
            problems.Add($"entry assembly '{manifest.EntryAssembly}' is not in the plugin folder");
        }

        return problems;
    }

    private static bool IsPluginId(string id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128
        && id.Split('.').All(part => part.Length > 0 && char.IsLetter(part[0]) && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static ManifestReadResult Fail(string problem) => new(null, [problem]);
}

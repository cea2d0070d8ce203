using System.CommandLine;
using Dpm.Contracts;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm plugin ...</c></summary>
internal static class PluginCommands
{
    public static Command Create(ShellContext shell)
    {
        var list = new Command("list", "List every plugin folder with its status and the reason for it") { shell.Json };
        list.SetAction((parse, ct) => shell.CallAsync(parse, (client, c) => client.GetPluginsAsync(c), plugins => Render(shell.Console, plugins), ct));
        return new Command("plugin", "Workload and storage plugins") { list };
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<PluginInfo> plugins)
    {
        if (plugins.Count == 0)
        {
            console.WriteLine("No plugins found.");
            return;
        }

        var table = new Table().AddColumns("Plugin", "Kind", "Tier", "Version", "Status", "Reason");
        foreach (var p in plugins)
        {
            table.AddRow(
                Markup.Escape(p.Id ?? $"({p.Folder})"),
                p.Kind?.ToString() ?? "-",
                p.RequiredTier?.ToDpmlName() ?? "-",
                Markup.Escape(p.Version ?? "-"),
                $"[{Colour(p.Status)}]{p.Status}[/]",
                Markup.Escape(p.Reason));
        }

        console.Write(table);
        console.WriteLine($"{plugins.Count(p => p.Status == PluginStatus.Active)} of {plugins.Count} plugins active.");
    }

    private static string Colour(PluginStatus status) => status switch
    {
        PluginStatus.Active => "green",
        PluginStatus.DisabledByLicence => "yellow",
        _ => "red",
    };
}

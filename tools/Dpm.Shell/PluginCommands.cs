using System.CommandLine;
using System.Runtime.InteropServices;
using Dpm.Contracts;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm plugin ...</c></summary>
internal static class PluginCommands
{
    public static Command Create(ShellContext shell)
    {
        var list = new Command("list", "List every plugin folder with its status and the reason for it") { shell.Json };
        list.SetAction((parse, ct) => shell.CallAsync(parse, (client, c) => client.GetPluginsAsync(c), plugins => Render(shell.Console, plugins), ct));

        var scan = new Command("scan", "Load the plugin folders added to the server's plugins directory since it started, and list every plugin") { shell.Json };
        scan.SetAction((parse, ct) => shell.CallAsync(parse, (client, c) => client.ScanPluginsAsync(c), plugins => Render(shell.Console, plugins), ct));

        var folder = new Argument<DirectoryInfo>("FOLDER") { Description = "The plugin folder to check (plugin.json, the entry assembly and its dependencies)" };
        var validate = new Command("validate", "Check a plugin folder on this machine before it is deployed: manifest, tier, load, contracts version, entry point, initialize, discovery") { folder, shell.Json };
        validate.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(folder)!;
            if (!path.Exists)
            {
                return await shell.WrongUsageAsync($"plugin folder '{path.FullName}' does not exist");
            }

            var validation = await PluginValidator.ValidateAsync(
                path.FullName,
                new PluginManagerOptions(),
                NullLoggerFactory.Instance,
                new ConfigurationBuilder().Build(),
                new ProtectedComputer(Environment.MachineName, RuntimeInformation.OSDescription),
                ct);
            await shell.ShowAsync(parse, validation, v => Render(shell.Console, v));
            return validation.Passed ? 0 : 1;
        });

        return new Command("plugin", "Workload and storage plugins") { list, scan, validate };
    }

    private static void Render(IAnsiConsole console, PluginValidation validation)
    {
        var what = validation.Id is null ? "" : $" ({validation.Id}, {validation.Kind}, {validation.RequiredTier?.ToDpmlName()})";
        console.MarkupLineInterpolated($"Plugin folder {validation.Folder}{what}");
        var table = new Table().AddColumns("Check", "Result", "Detail");
        foreach (var check in validation.Checks)
        {
            var colour = check.Outcome switch { PluginCheckOutcome.Passed => "green", PluginCheckOutcome.Failed => "red", _ => "grey" };
            table.AddRow(Markup.Escape(PluginValidator.Name(check.Check)), $"[{colour}]{check.Outcome}[/]", Markup.Escape(check.Detail.Trim()));
        }

        console.Write(table);
        var failed = validation.Checks.Where(c => c.Outcome == PluginCheckOutcome.Failed).ToList();
        console.WriteLine(failed.Count == 0
            ? "The plugin passed every check."
            : $"The plugin failed {failed.Count} check(s): {string.Join(", ", failed.Select(c => PluginValidator.Name(c.Check)))}.");
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

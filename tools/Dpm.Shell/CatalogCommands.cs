using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm alert …</c>, <c>dpm job …</c> and <c>dpm catalog …</c>: what the catalog records.</summary>
internal static class CatalogCommands
{
    public static IEnumerable<Command> Create(ShellContext shell)
    {
        var all = new Option<bool>("--all") { Description = "Resolved alerts too, with their resolutions" };
        var get = new Command("get", "List alerts, active ones first") { all, shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetAlertsAsync(parse.GetValue(all), t), alerts => Render(shell.Console, alerts), ct));

        var id = new Argument<Guid>("ID") { Description = "The alert's id (dpm alert get --json shows it)" };
        var resolution = new Option<string>("--resolution") { Description = "What was done about it", Required = true };
        var resolve = new Command("resolve", "Resolve an active alert, saying what was done about it") { id, resolution, shell.Json };
        resolve.SetAction((parse, ct) => shell.CallAsync(
            parse, (c, t) => c.ResolveAlertAsync(parse.GetValue(id), parse.GetValue(resolution)!, t), alert => Render(shell.Console, [alert]), ct));
        yield return new Command("alert", "Alerts: what needs attention, and what was resolved") { get, resolve };

        yield return JobCommands.Create(shell);

        var rebuild = new Command("rebuild", "Recreate the catalog's recovery points from the storage pool's manifests") { shell.Json };
        rebuild.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.RebuildCatalogAsync(t), result => Render(shell.Console, result), ct));
        yield return new Command("catalog", "The catalog") { rebuild };
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<AlertInfo> alerts)
    {
        if (alerts.Count == 0)
        {
            console.WriteLine("No alerts.");
            return;
        }

        var table = new Table().AddColumns("Severity", "Alert", "Subject", "Raised", "Times", "Message", "Resolution");
        foreach (var a in alerts)
        {
            var severity = a.Severity switch { "Critical" => "[red]Critical[/]", "Warning" => "[yellow]Warning[/]", _ => Markup.Escape(a.Severity) };
            table.AddRow(
                a.IsActive ? severity : "[grey]resolved[/]",
                Markup.Escape(a.Type),
                Markup.Escape(a.Subject),
                a.RaisedAt.ToString("u", CultureInfo.InvariantCulture),
                a.Occurrences.ToString(CultureInfo.InvariantCulture) + "×",
                Markup.Escape(a.Message),
                Markup.Escape(a.Resolution ?? ""));
        }

        console.Write(table);
    }

    private static void Render(IAnsiConsole console, CatalogRebuildResult result)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Catalog rebuilt from the storage pool: {result.RecoveryPoints} recovery points, {result.DataSources} data sources, {result.Computers} computers added"));
        foreach (var damaged in result.Damaged)
        {
            console.MarkupLineInterpolated($"[red]damaged[/] {damaged}");
        }
    }
}

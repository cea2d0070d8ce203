using System.CommandLine;
using Dpm.Contracts;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm licence ...</c></summary>
internal static class LicenceCommands
{
    public static Command Create(ShellContext shell)
    {
        var show = new Command("show", "Show the licence mode, installed licences, and computers per tier") { shell.Json };
        show.SetAction((parse, ct) => shell.CallAsync(parse, (client, c) => client.GetLicencesAsync(c), state => Render(shell.Console, state), ct));

        var file = new Argument<FileInfo>("FILE") { Description = "The licence file to install" };
        var install = new Command("install", "Check a licence file and install it on the server") { file, shell.Json };
        install.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"dpm: licence file '{path.FullName}' does not exist");
                return 1;
            }

            var text = await File.ReadAllTextAsync(path.FullName, ct);
            return await shell.CallAsync(
                parse,
                (client, c) => client.InstallLicenceAsync(text, c),
                licence => shell.Console.MarkupLineInterpolated($"Installed licence [green]{licence.Id}[/] for {licence.Licensee}: {licence.Message}."),
                ct);
        });

        return new Command("licence", "Licences: which tiers load and how many computers each may protect") { show, install };
    }

    private static void Render(IAnsiConsole console, LicenceState state)
    {
        var colour = state.Mode switch { LicenceMode.Licensed => "green", LicenceMode.Evaluation => "yellow", _ => "red" };
        console.MarkupLine($"Mode: [{colour}]{state.Mode}[/]");
        console.WriteLine(state.Summary);

        var tiers = new Table().AddColumns("Tier", "Licensed", "In use", "Available");
        foreach (var t in state.Tiers)
        {
            tiers.AddRow(t.Name, t.Licensed.ToString(Culture), t.InUse.ToString(Culture), t.Available.ToString(Culture));
        }

        console.Write(tiers);

        if (state.Licences.Count > 0)
        {
            var licences = new Table().AddColumns("File", "Id", "Licensee", "Expires", "C/S/E", "Validity", "Message");
            foreach (var l in state.Licences)
            {
                licences.AddRow(
                    Markup.Escape(l.File),
                    Markup.Escape(l.Id ?? "-"),
                    Markup.Escape(l.Licensee ?? "-"),
                    l.ExpiresAt?.ToString("yyyy-MM-dd", Culture) ?? "-",
                    l.Computers is { } c ? $"{c.Client}/{c.Standard}/{c.Enterprise}" : "-",
                    l.Validity == LicenceValidity.Valid ? "[green]Valid[/]" : $"[red]{l.Validity}[/]",
                    Markup.Escape(l.Message));
            }

            console.Write(licences);
        }
        else
        {
            console.WriteLine("No licence installed.");
        }

        if (state.Consumptions.Count > 0)
        {
            var computers = new Table().AddColumns("Computer", "Tier", "Since");
            foreach (var c in state.Consumptions)
            {
                computers.AddRow(Markup.Escape(c.Computer), c.Tier.ToDpmlName(), c.Since.ToString("yyyy-MM-dd HH:mm", Culture));
            }

            console.Write(computers);
        }
    }

    private static System.Globalization.CultureInfo Culture => System.Globalization.CultureInfo.InvariantCulture;
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary>
/// <c>dpm report NAME</c>: DPM's reports (status, protection, recovery-point, recovery, disk-utilization, licence,
/// tape) and a deployment's own, rendered by the server as HTML, CSV or Markdown into a file; <c>dpm report list</c>.
/// </summary>
internal static class ReportCommands
{
    public static Command Create(ShellContext shell)
    {
        var list = new Command("list", "The reports the server has templates for, and their formats") { shell.Json };
        list.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetReportsAsync(t), reports => Render(shell.Console, reports), ct));

        var name = new Argument<string>("NAME") { Description = "The report: status, protection, recovery-point, recovery, disk-utilization, licence, tape, or one of the deployment's ('dpm report list')" };
        var from = new Option<string?>("--from") { Description = "The first day (2026-11-23) or time of the period; default: seven days before its end" };
        var to = new Option<string?>("--to") { Description = "The last day of the period, included (2026-11-29), or the time it ends; default: today" };
        var format = new Option<string>("--format") { Description = "html, csv or md", DefaultValueFactory = _ => "html" };
        var output = new Option<string?>("--out") { Description = "The file to write (- for standard output); default: the report's own file name in the current folder" };
        var report = new Command("report", "Render a report over a period into a file (HTML with charts, CSV or Markdown)") { name, from, to, format, output, list };
        report.SetAction((parse, ct) => parse.GetValue(format) is not ("html" or "csv" or "md") ? shell.WrongUsageAsync($"'{parse.GetValue(format)}' is not a report format (html, csv or md)") : shell.ConnectAsync(
            parse,
            async (client, t) =>
            {
                var answer = await client.GetReportAsync(parse.GetValue(name)!, parse.GetValue(from), parse.GetValue(to), parse.GetValue(format)!, t);
                if (!answer.Succeeded)
                {
                    return await shell.RefusedAsync(answer.Problem!);
                }

                var file = answer.Value!;
                var path = parse.GetValue(output) ?? file.FileName;
                if (path == "-")
                {
                    await shell.Output.WriteAsync(Encoding.UTF8.GetString(file.Content));
                    return 0;
                }

                await File.WriteAllBytesAsync(path, file.Content, t);
                shell.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {Path.GetFullPath(path)} ({ProtectionCommands.Size(file.Content.Length)})"));
                return 0;
            },
            ct));
        return report;
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<ReportSummary> reports)
    {
        var table = new Table().AddColumns("Name", "Title", "Formats", "From");
        foreach (var r in reports)
        {
            table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Title), string.Join(", ", r.Formats), r.BuiltIn ? "DPM" : "this deployment or a plugin");
        }

        console.Write(table);
    }
}

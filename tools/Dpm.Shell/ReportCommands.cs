using System.CommandLine;
using System.Globalization;
using System.Text;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary>
/// <c>dpm report NAME</c>: DPM's reports (status, protection, recovery-point, recovery, disk-utilization, licence,
/// tape) and a deployment's own, rendered by the server as HTML, CSV or Markdown into a file; <c>dpm report list</c>;
/// <c>dpm report schedule new|get|remove</c>: reports the server makes on a schedule and e-mails.
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
        var report = new Command("report", "Render a report over a period into a file (HTML with charts, CSV or Markdown)") { name, from, to, format, output, list, Schedule(shell) };
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

    /// <summary><c>dpm report schedule new|get|remove</c>.</summary>
    private static Command Schedule(ShellContext shell)
    {
        var name = new Argument<string>("NAME") { Description = "The report: status, protection, recovery-point, … ('dpm report list')" };
        var recurrence = new Option<string>("--recurrence")
        {
            Description = "When, in server time: 'Once 2026-12-01 08:00', 'Daily 07:00', 'Weekly Mon 08:00', 'Monthly 1 08:00' or 'Monthly last 18:00'",
            Required = true,
        };
        var period = new Option<string?>("--period")
        {
            Description = "What each report covers: 'current week' (so far), 'last 4 weeks' (whole weeks before this one), days or months likewise; default: the day, week or month before (once: the last 7 days)",
        };
        var format = new Option<string>("--format") { Description = "html, csv or md", DefaultValueFactory = _ => "html" };
        var to = new Option<string[]>("--to") { Description = "E-mail addresses to send each report to (comma-separated, or repeat); none: the server's report folder only" };
        var create = new Command("new", "Schedule a report: the server makes it at its time, writes it to its report folder and e-mails it") { name, recurrence, period, format, to, shell.Json };
        create.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.CreateReportScheduleAsync(
                new NewReportScheduleDto
                {
                    Report = parse.GetValue(name)!,
                    Recurrence = parse.GetValue(recurrence)!,
                    Period = parse.GetValue(period),
                    Format = parse.GetValue(format)!,
                    To = [.. (parse.GetValue(to) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                },
                t),
            schedule => Render(shell.Console, [schedule]),
            ct));

        var get = new Command("get", "List the scheduled reports and when each is next made") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetReportSchedulesAsync(t), schedules => Render(shell.Console, schedules), ct));

        var id = new Argument<string>("ID") { Description = "The schedule's id, as 'dpm report schedule get' lists it" };
        var remove = new Command("remove", "Remove a scheduled report (the reports it made stay)") { id, shell.Json };
        remove.SetAction((parse, ct) => Guid.TryParse(parse.GetValue(id), out var scheduleId)
            ? shell.CallAsync(parse, (c, t) => c.RemoveReportScheduleAsync(scheduleId, t), schedule => Render(shell.Console, [schedule]), ct)
            : shell.WrongUsageAsync($"'{parse.GetValue(id)}' is not a report schedule id (a GUID, as 'dpm report schedule get' lists them)"));

        return new Command("schedule", "Reports the server makes on a schedule, writes to its report folder and e-mails") { create, get, remove };
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<ReportScheduleInfo> schedules)
    {
        var table = new Table().AddColumns("Id", "Report", "Format", "When", "Period", "To", "Next");
        foreach (var s in schedules)
        {
            var next = s.NextRunAt is { } at ? at.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
            table.AddRow(s.Id.ToString(), Markup.Escape(s.Report), s.Format, Markup.Escape(s.Recurrence), Markup.Escape(s.Period), Markup.Escape(string.Join(", ", s.To)), next);
        }

        console.Write(table);
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

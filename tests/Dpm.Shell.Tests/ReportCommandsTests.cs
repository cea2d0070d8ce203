using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary>'dpm report' against a real server: reports of what it did written to files, the list, a deployment's broken template, and what can't be rendered.</summary>
public sealed class ReportCommandsTests
{
    private const string Disk = "Dpm.Storage.Disk";
    private const string Files = "Dpm.Workloads.Files";

    [Fact]
    public async Task Report_AfterASynchronization_WritesTheReportFiles_AndListsTheReports()
    {
        await using var server = await RunningServer.StartAsync(Disk, Files);
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);
        var pluginReports = Directory.CreateDirectory(Path.Combine(server.PluginsDirectory, Files, "reports")).FullName;
        File.WriteAllText(Path.Combine(pluginReports, "folders.md.scriban"), "{{ for d in recovery_points.data_sources }}{{ d.name }}: {{ d.count }} recovery points\n{{ end }}");
        var markdown = Path.Combine(server.Root, "status.md");
        var html = Path.Combine(server.Root, "disk.html");

        var list = await ShellRunner.RunAsync("--server", server.Url, "report", "list");
        var listJson = await ShellRunner.RunAsync("--server", server.Url, "report", "list", "--json");
        var status = await ShellRunner.RunAsync("--server", server.Url, "report", "status", "--format", "md", "--out", markdown);
        var disk = await ShellRunner.RunAsync("--server", server.Url, "report", "disk-utilization", "--from", DateTime.Today.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "--out", html);
        var csv = await ShellRunner.RunAsync("--server", server.Url, "report", "recovery-point", "--format", "csv", "--out", "-");
        var fromPlugin = await ShellRunner.RunAsync("--server", server.Url, "report", "folders", "--format", "md", "--out", "-");

        Assert.Equal(0, list.ExitCode);
        foreach (var report in new[] { "status", "protection", "recovery-point", "recovery", "disk-utilization", "licence", "tape" })
        {
            Assert.Contains(report, list.Output, StringComparison.Ordinal);
        }

        var summaries = System.Text.Json.JsonSerializer.Deserialize<List<ReportSummary>>(listJson.Output, ManagementJson.Options)!;
        Assert.Equal(["html", "csv", "md"], summaries.Single(r => r.Name == "status").Formats);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"Wrote {markdown}", status.Output, StringComparison.Ordinal);
        var text = File.ReadAllText(markdown);
        Assert.StartsWith("# Status Report", text, StringComparison.Ordinal);
        Assert.Contains("| ReplicaCreation | 1 | 1 | 0 | 0 | 0 | 100.0 % |", text, StringComparison.Ordinal);
        Assert.Equal(0, disk.ExitCode);
        Assert.Contains("<svg", File.ReadAllText(html), StringComparison.Ordinal);
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("data_source,name,computer,protection_group,recovery_points,", csv.Output, StringComparison.Ordinal);
        Assert.Contains($"folder:{data},", csv.Output, StringComparison.Ordinal);
        Assert.Contains("folders", list.Output, StringComparison.Ordinal); // an active plugin's report
        Assert.Equal((0, "protected: 1 recovery points\n"), (fromPlugin.ExitCode, fromPlugin.Output));
    }

    [Fact]
    public async Task Report_BrokenOrMissing_SaysWhyAndExitsNonZero()
    {
        await using var server = await RunningServer.StartAsync(Disk);
        var templates = Directory.CreateDirectory(Path.Combine(server.DataDirectory, "reports", "templates")).FullName;
        var broken = Path.Combine(templates, "status.md.scriban");
        File.WriteAllText(broken, "# Status\n{{ for j in status.jobs }}{{ j.type }}\n");

        var template = await ShellRunner.RunAsync("--server", server.Url, "report", "status", "--format", "md");
        var api = await new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) }).GetReportAsync("status", null, null, "md", CancellationToken.None);
        var unknown = await ShellRunner.RunAsync("--server", server.Url, "report", "weekly");
        var tape = await ShellRunner.RunAsync("--server", server.Url, "report", "tape");
        var badDate = await ShellRunner.RunAsync("--server", server.Url, "report", "status", "--from", "yesterday");
        var badFormat = await ShellRunner.RunAsync("--server", server.Url, "report", "status", "--format", "pdf");

        Assert.Equal(1, template.ExitCode);
        Assert.StartsWith($"dpm: {broken}:2:", template.Error, StringComparison.Ordinal);
        Assert.Contains("The <end> statement was not found", template.Error, StringComparison.Ordinal);
        Assert.Equal(422, api.Problem!.Status);
        Assert.Equal((1, "dpm: there is no report 'weekly' (there are: disk-utilization, licence, protection, recovery, recovery-point, status, tape)"), (unknown.ExitCode, unknown.Error.Trim()));
        Assert.Equal((1, "dpm: there is no tape data: no recovery point has a copy on tape"), (tape.ExitCode, tape.Error.Trim()));
        Assert.Equal(1, badDate.ExitCode);
        Assert.Contains("'yesterday' is not a date", badDate.Error, StringComparison.Ordinal);
        Assert.Equal((2, "dpm: 'pdf' is not a report format (html, csv or md)"), (badFormat.ExitCode, badFormat.Error.Trim()));
        Assert.Empty(Directory.GetFiles(Environment.CurrentDirectory, "status-*.*"));
    }

    [Fact]
    public async Task ReportSchedule_NewGetRemove_SchedulesTheReportOnTheServer_AndSaysWhyWhenRefused()
    {
        await using var server = await RunningServer.StartAsync(Disk);

        var created = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "new", "status", "--recurrence", "weekly mon 08:00", "--format", "csv", "--json");
        var table = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "get");
        var refused = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "new", "status", "--recurrence", "Weekly 08:00");
        var noSmtp = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "new", "status", "--recurrence", "Daily 07:00", "--to", "ops@contoso.test,it@contoso.test");

        Assert.Equal(0, created.ExitCode);
        var schedule = System.Text.Json.JsonSerializer.Deserialize<ReportScheduleInfo>(created.Output, ManagementJson.Options)!;
        Assert.Equal(("status", "csv", "Weekly Mon 08:00", "last 1 week"), (schedule.Report, schedule.Format, schedule.Recurrence, schedule.Period));
        var next = TimeZoneInfo.ConvertTime(schedule.NextRunAt!.Value, TimeZoneInfo.Local);
        Assert.Equal((DayOfWeek.Monday, 8, 0), (next.DayOfWeek, next.Hour, next.Minute));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("status", table.Output, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("dpm: 'Weekly 08:00' is not a recurrence: write ", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, noSmtp.ExitCode);
        Assert.StartsWith("dpm: no SMTP server is configured to e-mail reports (Dpm:Reports:Smtp:Host)", noSmtp.Error, StringComparison.Ordinal);

        var removed = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "remove", schedule.Id.ToString(), "--json");
        var left = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "get", "--json");
        var notAnId = await ShellRunner.RunAsync("--server", server.Url, "report", "schedule", "remove", "weekly-status");

        Assert.Equal(0, removed.ExitCode);
        Assert.Equal("[]", left.Output.Trim());
        Assert.Equal((2, "dpm: 'weekly-status' is not a report schedule id (a GUID, as 'dpm report schedule get' lists them)"), (notAnId.ExitCode, notAnId.Error.Trim()));
    }
}

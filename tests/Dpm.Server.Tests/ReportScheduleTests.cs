using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dpm.Management;
using Dpm.Reporting;
using Dpm.Server.Scheduling;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Quartz;

namespace Dpm.Server.Tests;

/// <summary>
/// Scheduled reports on an injected clock, e-mailed to a real SMTP server (aiosmtpd): the report made at its time,
/// written to the report folder and delivered with the report attached; an SMTP server that is down, a broken
/// template, a report made once; and the schedules' API.
/// </summary>
public sealed partial class ReportScheduleTests
{
    private const string Disk = "Dpm.Storage.Disk";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task WeeklySchedule_AtItsTime_WritesTheReport_AndTheMailArrivesWithTheReportAttached()
    {
        await using var mail = await MailServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow); // it starts at the system time: a cron trigger computes its first fire from that
        await using var server = await RunningServer.StartAsync(clock, Smtp(mail.Port), Disk);
        var client = Client(server);
        var due = ToTheMinute(clock.GetUtcNow().AddHours(2), clock.LocalTimeZone);

        var created = await client.CreateReportScheduleAsync(
            new NewReportScheduleDto
            {
                Report = "status",
                Recurrence = $"Weekly {due.ToString("ddd HH:mm", CultureInfo.InvariantCulture)}",
                Period = "last 1 week",
                To = ["ops@contoso.test", "backup-admins@contoso.test"],
            },
            CancellationToken.None);
        Assert.Null(created.Problem);
        Assert.Equal<DateTimeOffset?>(due, created.Value!.NextRunAt);

        clock.Advance(due - clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        var job = await WaitForReportJobAsync(client, clock);

        Assert.Equal(("Succeeded", null), (job.State, job.Error));
        var monday = new DateTimeOffset(due.Date.AddDays(-(((int)due.DayOfWeek + 6) % 7)), due.Offset); // the week the report is made in
        var (from, until) = (monday.AddDays(-7), monday);
        var expected = (await server.App.Services.GetRequiredService<IReportRenderer>().RenderAsync("status", from, until, ReportFormat.Html, CancellationToken.None)).Report!;
        var message = Assert.Single(mail.Messages());
        Assert.Equal(["ops@contoso.test", "backup-admins@contoso.test"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("ops@contoso.test, backup-admins@contoso.test", message.Headers["X-RcptTo"]); // the envelope, as the SMTP server saw it
        Assert.Equal("dpm@contoso.test", message.From.Mailboxes.Single().Address);
        Assert.InRange(message.Date, due, clock.GetUtcNow()); // on the server's clock
        Assert.Equal($"Status Report, {from:yyyy-MM-dd} to {until.AddDays(-1):yyyy-MM-dd}", message.Subject);
        var attachment = Assert.IsAssignableFrom<MimePart>(Assert.Single(message.Attachments));
        Assert.Equal(expected.FileName, attachment.FileName);
        Assert.Equal(FormattableString.Invariant($"status-{from:yyyyMMdd}-{until.AddDays(-1):yyyyMMdd}.html"), attachment.FileName);
        Assert.Equal(("text/html", "utf-8"), (attachment.ContentType.MimeType, attachment.ContentType.Charset));
        var content = Content(attachment);
        var html = Encoding.UTF8.GetString(content);
        Assert.Equal(WithoutGeneratedAt(Encoding.UTF8.GetString(expected.Content)), WithoutGeneratedAt(html));
        Assert.Contains("<svg", html, StringComparison.Ordinal); // the chart of the success rate per day
        Assert.Equal(html, message.HtmlBody);
        var file = Path.Combine(server.DataDirectory, "reports", "out", expected.FileName);
        Assert.Equal(file, job.CurrentItem);
        Assert.Equal(content, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task OnceSchedule_WithTheSmtpServerDown_FailsTheJobWithTheReason_KeepsTheFile_AndIsNotMadeAgain()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var nobody = PostgresServer.FreePort(); // nothing listens there
        await using var server = await RunningServer.StartAsync(clock, Smtp(nobody), Disk);
        var client = Client(server);
        var due = ToTheMinute(clock.GetUtcNow().AddHours(1), clock.LocalTimeZone);
        var created = await client.CreateReportScheduleAsync(
            new NewReportScheduleDto { Report = "status", Format = "csv", Recurrence = $"Once {due.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}", To = ["ops@contoso.test"] },
            CancellationToken.None);
        Assert.Null(created.Problem);
        Assert.Equal("last 7 days", created.Value!.Period);
        Assert.Equal<DateTimeOffset?>(due, created.Value.NextRunAt);

        clock.Advance(due - clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        var job = await WaitForReportJobAsync(client, clock);

        var file = Assert.Single(Directory.GetFiles(Path.Combine(server.DataDirectory, "reports", "out")));
        Assert.Matches(@"/status-\d{8}-\d{8}\.csv$", file);
        Assert.Equal("Failed", job.State);
        Assert.StartsWith($"{file} was written but not e-mailed to ops@contoso.test: the SMTP server 127.0.0.1:{nobody} did not take it: ", job.Error, StringComparison.Ordinal);
        Assert.Contains("refused", job.Error, StringComparison.OrdinalIgnoreCase);

        // Made once: its job has no trigger left, not after a week, not after a restart.
        clock.Advance(TimeSpan.FromDays(8));
        await WaitUntilNothingIsDueAsync(server, clock);
        await server.RestartAsync(Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools);
        client = Client(server);
        await WaitUntilNothingIsDueAsync(server, clock);
        Assert.Null(Assert.Single((await client.GetReportSchedulesAsync(CancellationToken.None)).Value!).NextRunAt);
        Assert.Single((await client.GetJobsAsync(CancellationToken.None)).Value!, j => j.Type == "Report");
    }

    [Fact]
    public async Task Schedule_OfABrokenTemplate_FailsTheJobWithTheTemplatesFileLineAndColumn()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [], Disk);
        var templates = Directory.CreateDirectory(Path.Combine(server.DataDirectory, "reports", "templates")).FullName;
        var broken = Path.Combine(templates, "status.md.scriban");
        File.WriteAllText(broken, "# Status\n{{ for j in status.jobs }}{{ j.type }}\n");
        var client = Client(server);
        var due = ToTheMinute(clock.GetUtcNow().AddHours(3), clock.LocalTimeZone);
        var created = await client.CreateReportScheduleAsync(
            new NewReportScheduleDto { Report = "status", Format = "md", Recurrence = $"Daily {due.ToString("HH:mm", CultureInfo.InvariantCulture)}" }, CancellationToken.None);
        Assert.Null(created.Problem);

        clock.Advance(due - clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        var job = await WaitForReportJobAsync(client, clock);

        Assert.Equal("Failed", job.State);
        Assert.Matches($"^the status report was not made: {Regex.Escape(broken)}:\\d+:\\d+: ", job.Error);
        var folder = Path.Combine(server.DataDirectory, "reports", "out");
        Assert.Empty(Directory.Exists(folder) ? Directory.GetFiles(folder) : []);
        Assert.Equal<DateTimeOffset?>(due.AddDays(1), Assert.Single((await client.GetReportSchedulesAsync(CancellationToken.None)).Value!).NextRunAt); // and the schedule goes on
    }

    [Fact]
    public async Task ReportScheduleApi_RefusesWhatCannotBeMade_AndRemovingTakesTheReportOffTheSchedule()
    {
        await using var server = await RunningServer.StartAsync(Disk);
        var client = Client(server);

        async Task<string?> RefusalAsync(NewReportScheduleDto request) => (await client.CreateReportScheduleAsync(request, CancellationToken.None)).Problem?.Detail;
        Assert.StartsWith("there is no report 'capacity'", await RefusalAsync(new() { Report = "capacity", Recurrence = "Daily 07:00" }), StringComparison.Ordinal);
        Assert.StartsWith("the status report has no 'pdf' format; it has: html, csv, md", await RefusalAsync(new() { Report = "status", Format = "pdf", Recurrence = "Daily 07:00" }), StringComparison.Ordinal);
        Assert.StartsWith("'Weekly 08:00' is not a recurrence", await RefusalAsync(new() { Report = "status", Recurrence = "Weekly 08:00" }), StringComparison.Ordinal);
        Assert.StartsWith("'Once 2020-01-01 08:00' is past", await RefusalAsync(new() { Report = "status", Recurrence = "Once 2020-01-01 08:00" }), StringComparison.Ordinal);
        Assert.StartsWith("'last fortnight' is not a report period", await RefusalAsync(new() { Report = "status", Recurrence = "Daily 07:00", Period = "last fortnight" }), StringComparison.Ordinal);
        Assert.Equal(
            "at 00:00 the current week has only just begun: make the report later in the day, or over the last one ('last 1 week')",
            await RefusalAsync(new() { Report = "status", Recurrence = "Weekly Mon 00:00", Period = "current week" }));
        Assert.Equal("a report covers at most 400 days, and 'last 14 months' is longer", await RefusalAsync(new() { Report = "status", Recurrence = "Daily 07:00", Period = "last 14 months" }));
        Assert.Equal("'ops' is not an e-mail address", await RefusalAsync(new() { Report = "status", Recurrence = "Daily 07:00", To = ["ops"] }));
        Assert.StartsWith("no SMTP server is configured", await RefusalAsync(new() { Report = "status", Recurrence = "Daily 07:00", To = ["ops@contoso.test"] }), StringComparison.Ordinal);

        var created = (await client.CreateReportScheduleAsync(new NewReportScheduleDto { Report = "protection", Recurrence = "monthly LAST 18:00", Format = "CSV" }, CancellationToken.None)).Value!;
        Assert.Equal(("protection", "csv", "Monthly last 18:00", "last 1 month"), (created.Report, created.Format, created.Recurrence, created.Period));
        var local = TimeZoneInfo.ConvertTime(created.NextRunAt!.Value, TimeZoneInfo.Local);
        Assert.Equal((18, 0, 1), (local.Hour, local.Minute, local.AddDays(1).Day)); // 18:00 on the last day of a month
        Assert.Equal(created.Id, Assert.Single((await client.GetReportSchedulesAsync(CancellationToken.None)).Value!).Id);
        var scheduler = server.App.Services.GetRequiredKeyedService<IScheduler>(server.SchedulerName);
        Assert.Single(await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ReportScheduler.Group)));

        var removed = await client.RemoveReportScheduleAsync(created.Id, CancellationToken.None);
        var again = await client.RemoveReportScheduleAsync(created.Id, CancellationToken.None);

        Assert.Equal((created.Id, null), (removed.Value!.Id, removed.Value.NextRunAt));
        Assert.Empty((await client.GetReportSchedulesAsync(CancellationToken.None)).Value!);
        Assert.Empty(await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ReportScheduler.Group)));
        Assert.Equal((404, $"there is no report schedule {created.Id}"), (again.Problem!.Status, again.Problem.Detail));
    }

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static string[] Smtp(int port) => ["--Dpm:Reports:Smtp:Host=127.0.0.1", $"--Dpm:Reports:Smtp:Port={port}", "--Dpm:Reports:Smtp:From=dpm@contoso.test"];

    /// <summary>A moment in the server's time zone, down to the minute (as a recurrence names it).</summary>
    private static DateTimeOffset ToTheMinute(DateTimeOffset moment, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(moment, zone);
        return new DateTimeOffset(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, local.Offset);
    }

    private static byte[] Content(MimePart part)
    {
        using var content = new MemoryStream();
        part.Content!.DecodeTo(content);
        return content.ToArray();
    }

    /// <summary>A report without the moment it was generated (the same report rendered twice differs there).</summary>
    private static string WithoutGeneratedAt(string report) => GeneratedAt().Replace(report, "generated …");

    [GeneratedRegex("generated [^<\n]*")]
    private static partial Regex GeneratedAt();

    /// <summary>Waits (ticking the clock, for the scheduler's misfire scan sleeps on it) for the first Report job to end.</summary>
    private static async Task<JobInfo> WaitForReportJobAsync(DpmManagementClient client, FakeTimeProvider clock)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            if ((await client.GetJobsAsync(CancellationToken.None)).Value!.FirstOrDefault(j => j.Type == "Report" && j.State != "Running") is { } job)
            {
                return job;
            }

            await Task.Delay(100, deadline.Token);
            clock.Advance(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// Waits, ticking the clock, until no trigger is due on it and no fire is running, so that nothing more happens
    /// until the clock moves on (the health check every 15 minutes, the prune at midnight).
    /// </summary>
    private static async Task WaitUntilNothingIsDueAsync(RunningServer server, FakeTimeProvider clock)
    {
        var scheduler = server.App.Services.GetRequiredKeyedService<IScheduler>(server.SchedulerName);
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var due = false;
            foreach (var key in await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.AnyGroup()))
            {
                due |= (await scheduler.GetTrigger(key))?.NextFireTimeUtc is { } at && at <= clock.GetUtcNow();
            }

            if (!due && (await scheduler.QueryFireInstances(new FireInstanceQuery())).Items.Count == 0)
            {
                return;
            }

            await Task.Delay(100, deadline.Token);
            clock.Advance(TimeSpan.FromMilliseconds(200));
        }
    }
}

using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Reporting;
using Dpm.Server.Protection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dpm.Server.Reporting;

/// <summary>
/// Makes a scheduled report, as a Report job of the catalog: renders it over its period (reckoned from when it was
/// due), writes it to the report folder (<c>Dpm:Reports:OutputDirectory</c>), and e-mails it to the schedule's
/// recipients. A report that can't be rendered (a template error says file:line:column), written or e-mailed fails
/// the job with the reason; a file written stays written.
/// </summary>
internal sealed partial class ReportDelivery(
    CatalogHost catalog, RunningJobs jobs, IReportRenderer renderer, ReportMailer mailer, IOptions<ReportDeliveryOptions> options, TimeProvider time, ILogger<ReportDelivery> logger)
{
    /// <summary>Makes the report of a schedule due at <paramref name="dueAt"/> (nothing when the schedule is gone).</summary>
    public async Task RunAsync(Guid scheduleId, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ReportSchedule? schedule;
        await using (var context = catalog.Open())
        {
            schedule = await context.ReportSchedules.AsNoTracking().SingleOrDefaultAsync(s => s.Id == scheduleId, cancellationToken);
        }

        if (schedule is null)
        {
            Gone(logger, scheduleId);
            return;
        }

        using var job = await jobs.StartAsync(JobType.Report, null, cancellationToken);
        (JobState State, string? Error) outcome = (JobState.Failed, "the report failed unexpectedly (the server's log says why)");
        try
        {
            outcome = await MakeAsync(schedule, dueAt, job);
        }
        finally
        {
            await job.EndAsync(outcome.State, job.Progress.BytesDone, job.Progress.ItemsDone, outcome.Error);
        }

        Made(logger, schedule.Report, schedule.Recurrence, outcome.Error ?? job.Progress.CurrentItem ?? "");
    }

    private async Task<(JobState State, string? Error)> MakeAsync(ReportSchedule schedule, DateTimeOffset dueAt, RunningJob job)
    {
        if (!ReportSchedulePeriod.TryParse(schedule.Period, out var period, out var problem))
        {
            return (JobState.Failed, problem);
        }

        if (!Enum.TryParse<ReportFormat>(schedule.Format, ignoreCase: true, out var format))
        {
            return (JobState.Failed, $"'{schedule.Format}' is not a report format (html, csv, md)");
        }

        var zone = time.LocalTimeZone;
        var (from, until) = period.At(dueAt, zone);
        var folder = options.Value.OutputDirectory;
        try
        {
            var result = await renderer.RenderAsync(schedule.Report, from, until, format, job.Token);
            if (result.Problem is { } wrong)
            {
                return (JobState.Failed, $"the {schedule.Report} report was not made: {wrong.Message}");
            }

            var report = result.Report!;
            var path = Path.Combine(folder, report.FileName);
            Directory.CreateDirectory(folder);
            var partial = path + ".partial";
            await File.WriteAllBytesAsync(partial, report.Content, job.Token);
            File.Move(partial, path, overwrite: true);
            job.Report(new ProgressReport(report.Content.Length, report.Content.Length, 1, 1, path));

            var to = schedule.Recipients.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (to.Length == 0)
            {
                return (JobState.Succeeded, null);
            }

            if (!mailer.IsConfigured)
            {
                return (JobState.Failed, $"{path} was written but not e-mailed to {schedule.Recipients}: no SMTP server is configured (Dpm:Reports:Smtp:Host)");
            }

            var title = renderer.List().FirstOrDefault(r => r.Name == schedule.Report)?.Title ?? schedule.Report;
            var subject = $"{title}, {Days(from, until, zone)}";
            var refused = await mailer.SendAsync(mailer.Compose(report, subject, to.Select(MailboxAddress.Parse)), job.Token);
            return refused is null ? (JobState.Succeeded, null) : (JobState.Failed, $"{path} was written but not e-mailed to {schedule.Recipients}: {refused}");
        }
        catch (OperationCanceledException) when (job.Token.IsCancellationRequested)
        {
            return (JobState.Cancelled, job.CancelReason);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (JobState.Failed, $"the report could not be written to {folder}: {ex.Message}");
        }
    }

    /// <summary>The days of a period as a report's title says them: "2026-11-16 to 2026-11-22", or one day.</summary>
    internal static string Days(DateTimeOffset from, DateTimeOffset until, TimeZoneInfo zone)
    {
        var first = TimeZoneInfo.ConvertTime(from, zone).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var last = TimeZoneInfo.ConvertTime(until.AddTicks(-1), zone).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return first == last ? first : $"{first} to {last}";
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "Scheduled {Report} report ({Recurrence}): {Result}")]
    private static partial void Made(ILogger logger, string report, string recurrence, string result);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "Report schedule {Schedule} is gone: nothing was made")]
    private static partial void Gone(ILogger logger, Guid schedule);
}

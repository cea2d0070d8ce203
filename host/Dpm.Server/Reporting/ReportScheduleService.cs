using Dpm.Catalog;
using Dpm.Management;
using Dpm.Reporting;
using Dpm.Server.Protection;
using Dpm.Server.Scheduling;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Dpm.Server.Reporting;

/// <summary>
/// Report schedules, kept in the catalog so that operators change them without a restart: each one is checked when
/// it is made (the report has a template in that format, the recurrence and period read, the addresses are
/// addresses and an SMTP server is there to send to them), and the Quartz schedule follows every change.
/// </summary>
internal sealed class ReportScheduleService(CatalogHost catalog, IReportRenderer renderer, ReportScheduler scheduler, ReportMailer mailer, TimeProvider time)
{
    public async Task<Outcome<ReportScheduleInfo>> CreateAsync(NewReportScheduleDto request, CancellationToken cancellationToken)
    {
        var (schedule, problem) = Check(request);
        if (schedule is null)
        {
            return Outcome.Fail<ReportScheduleInfo>(StatusCodes.Status400BadRequest, problem!);
        }

        await using (var context = catalog.Open())
        {
            context.ReportSchedules.Add(schedule);
            await context.SaveChangesAsync(cancellationToken);
        }

        await scheduler.PlanAsync(cancellationToken);
        return Outcome.Ok(await InfoAsync(schedule, cancellationToken));
    }

    public async Task<IReadOnlyList<ReportScheduleInfo>> ListAsync(CancellationToken cancellationToken)
    {
        List<ReportSchedule> schedules;
        await using (var context = catalog.Open())
        {
            schedules = await context.ReportSchedules.AsNoTracking().ToListAsync(cancellationToken);
        }

        var infos = new List<ReportScheduleInfo>();
        foreach (var schedule in schedules.OrderBy(s => s.CreatedAt))
        {
            infos.Add(await InfoAsync(schedule, cancellationToken));
        }

        return infos;
    }

    public async Task<Outcome<ReportScheduleInfo>> RemoveAsync(Guid id, CancellationToken cancellationToken)
    {
        ReportScheduleInfo removed;
        await using (var context = catalog.Open())
        {
            if (await context.ReportSchedules.FindAsync([id], cancellationToken) is not { } schedule)
            {
                return Outcome.Fail<ReportScheduleInfo>(StatusCodes.Status404NotFound, $"there is no report schedule {id}");
            }

            removed = await InfoAsync(schedule, cancellationToken) with { NextRunAt = null };
            context.ReportSchedules.Remove(schedule);
            await context.SaveChangesAsync(cancellationToken);
        }

        await scheduler.PlanAsync(cancellationToken);
        return Outcome.Ok(removed);
    }

    /// <summary>The schedule asked for, as the catalog keeps it (recurrence and period written the one way), or why it can't be.</summary>
    private (ReportSchedule? Schedule, string? Problem) Check(NewReportScheduleDto request)
    {
        var reports = renderer.List();
        if (reports.FirstOrDefault(r => r.Name == request.Report) is not { } report)
        {
            return (null, $"there is no report '{request.Report}' (there are: {string.Join(", ", reports.Select(r => r.Name))})");
        }

        var format = request.Format.ToLowerInvariant();
        if (!report.Formats.Select(Name).Contains(format, StringComparer.Ordinal))
        {
            return (null, $"the {report.Name} report has no '{request.Format}' format; it has: {string.Join(", ", report.Formats.Select(Name))}");
        }

        if (!ReportRecurrence.TryParse(request.Recurrence, out var recurrence, out var problem))
        {
            return (null, problem);
        }

        var now = time.GetUtcNow();
        if (recurrence.OnceAt(time.LocalTimeZone) <= now)
        {
            return (null, $"'{recurrence}' is past: it is {TimeZoneInfo.ConvertTime(now, time.LocalTimeZone):yyyy-MM-dd HH:mm} on the server");
        }

        var period = recurrence.DefaultPeriod;
        if (request.Period is not null && !ReportSchedulePeriod.TryParse(request.Period, out period, out problem))
        {
            return (null, problem);
        }

        if (period.Count == 0 && recurrence.At == TimeOnly.MinValue)
        {
            return (null, $"at 00:00 the {period} has only just begun: make the report later in the day, or over the last one ('last 1 {period.Unit.ToString().ToLowerInvariant()}')");
        }

        var (from, until) = period.At(now, time.LocalTimeZone);
        if ((until - from).TotalDays > ReportRenderer.MaxDays)
        {
            return (null, $"a report covers at most {ReportRenderer.MaxDays} days, and '{period}' is longer");
        }

        if (request.To.FirstOrDefault(a => !MailboxAddress.TryParse(a, out var address) || string.IsNullOrEmpty(address.Domain)) is { } wrong)
        {
            return (null, $"'{wrong}' is not an e-mail address");
        }

        if (request.To.Count > 0 && !mailer.IsConfigured)
        {
            return (null, "no SMTP server is configured to e-mail reports (Dpm:Reports:Smtp:Host): schedule the report without recipients, or configure one");
        }

        return (new ReportSchedule
        {
            Report = report.Name,
            Format = format,
            Recurrence = recurrence.ToString(),
            Period = period.ToString(),
            Recipients = string.Join(",", request.To.Select(a => a.Trim())),
            CreatedAt = now,
        }, null);
    }

    private static string Name(ReportFormat format) => format.ToString().ToLowerInvariant();

    private async Task<ReportScheduleInfo> InfoAsync(ReportSchedule s, CancellationToken cancellationToken) => new(
        s.Id, s.Report, s.Format, s.Recurrence, s.Period, s.Recipients.Split(',', StringSplitOptions.RemoveEmptyEntries), s.CreatedAt, await scheduler.NextRunAsync(s.Id, cancellationToken));
}

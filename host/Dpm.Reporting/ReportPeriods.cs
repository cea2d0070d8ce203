using System.Globalization;

namespace Dpm.Reporting;

/// <summary>A report's period, [From, Until), or why the text given for it isn't one.</summary>
public sealed record ReportPeriodChoice(DateTimeOffset From, DateTimeOffset Until, string? Problem);

/// <summary>
/// Reads a report's period as an operator writes it: a date (<c>2026-11-23</c>) is that day in the server's time zone,
/// and as the end it is the last day of the period (included); a time (<c>2026-11-23T12:00</c>, or with an offset) is
/// that instant. With no start the period is the seven days before its end; with no end it ends with today.
/// </summary>
public static class ReportPeriods
{
    /// <summary>The days a period covers when only one end (or neither) is given.</summary>
    public const int DefaultDays = 7;

    public static ReportPeriodChoice Parse(string? from, string? to, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        DateTimeOffset until;
        if (string.IsNullOrWhiteSpace(to))
        {
            until = Midnight(local.Date.AddDays(1), zone);
        }
        else if (Read(to, zone, end: true) is { } end)
        {
            until = end;
        }
        else
        {
            return new(default, default, $"'{to}' is not a date (2026-11-23) or a time (2026-11-23T12:00, 2026-11-23T12:00+01:00)");
        }

        if (string.IsNullOrWhiteSpace(from))
        {
            return new(Midnight(until.AddDays(-DefaultDays).DateTime, zone), until, null);
        }

        return Read(from, zone, end: false) is { } start
            ? new(start, until, null)
            : new(default, default, $"'{from}' is not a date (2026-11-23) or a time (2026-11-23T12:00, 2026-11-23T12:00+01:00)");
    }

    private static DateTimeOffset? Read(string text, TimeZoneInfo zone, bool end)
    {
        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return Midnight(day.ToDateTime(TimeOnly.MinValue).AddDays(end ? 1 : 0), zone);
        }

        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
        {
            return null;
        }

        return time.Kind == DateTimeKind.Unspecified
            ? new DateTimeOffset(time, zone.GetUtcOffset(time))
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    /// <summary>The midnight that starts a day in a time zone.</summary>
    internal static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone) => Midnight(day.ToDateTime(TimeOnly.MinValue), zone);

    private static DateTimeOffset Midnight(DateTime date, TimeZoneInfo zone)
    {
        var midnight = DateTime.SpecifyKind(date.Date, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }
}

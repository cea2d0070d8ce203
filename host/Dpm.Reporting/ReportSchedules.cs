using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Dpm.Reporting;

/// <summary>How often a scheduled report is made.</summary>
public enum ReportRecurrenceKind
{
    /// <summary>Once, on a date at a time.</summary>
    Once,

    /// <summary>Every day at a time.</summary>
    Daily,

    /// <summary>On a day of every week at a time.</summary>
    Weekly,

    /// <summary>On a day of every month (1–28, or the last) at a time.</summary>
    Monthly,
}

/// <summary>
/// When a scheduled report is made, as operators write it, in the server's time zone: <c>Once 2026-12-01 08:00</c>,
/// <c>Daily 07:00</c>, <c>Weekly Mon 08:00</c>, <c>Monthly 1 08:00</c> or <c>Monthly last 18:00</c>.
/// </summary>
/// <param name="Kind">How often.</param>
/// <param name="At">The time of day.</param>
/// <param name="Date">For <see cref="ReportRecurrenceKind.Once"/>, the day.</param>
/// <param name="Weekday">For <see cref="ReportRecurrenceKind.Weekly"/>, the day of the week.</param>
/// <param name="DayOfMonth">For <see cref="ReportRecurrenceKind.Monthly"/>, the day of the month: 1–28, or <see cref="LastDayOfMonth"/>.</param>
public sealed record ReportRecurrence(ReportRecurrenceKind Kind, TimeOnly At, DateOnly? Date = null, DayOfWeek? Weekday = null, int? DayOfMonth = null)
{
    /// <summary>The <see cref="DayOfMonth"/> of a report made on the last day of every month.</summary>
    public const int LastDayOfMonth = 0;

    private const string Forms = "'Once 2026-12-01 08:00', 'Daily 07:00', 'Weekly Mon 08:00', 'Monthly 1 08:00' or 'Monthly last 18:00'";

    /// <summary>
    /// The period a report of this recurrence covers unless the schedule says otherwise: the day, week or month
    /// before the one it is made in; a report made once covers the seven days before its day.
    /// </summary>
    public ReportSchedulePeriod DefaultPeriod => Kind switch
    {
        ReportRecurrenceKind.Daily => new(1, ReportPeriodUnit.Day),
        ReportRecurrenceKind.Weekly => new(1, ReportPeriodUnit.Week),
        ReportRecurrenceKind.Monthly => new(1, ReportPeriodUnit.Month),
        _ => new(7, ReportPeriodUnit.Day),
    };

    /// <summary>Reads a recurrence as operators write it (keywords and day names in any case, days as Mon or Monday).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ReportRecurrence? recurrence, [NotNullWhen(false)] out string? problem)
    {
        recurrence = null;
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length is < 2 or > 3 || !TimeOnly.TryParseExact(parts[^1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            problem = $"'{text}' is not a recurrence: write {Forms} (server time)";
            return false;
        }

        var on = parts.Length == 3 ? parts[1] : null;
        recurrence = (parts[0].ToUpperInvariant(), on) switch
        {
            ("DAILY", null) => new(ReportRecurrenceKind.Daily, at),
            ("ONCE", { } day) when DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) =>
                new(ReportRecurrenceKind.Once, at, Date: date),
            ("WEEKLY", { } day) when WeekdayOf(day) is { } weekday => new(ReportRecurrenceKind.Weekly, at, Weekday: weekday),
            ("MONTHLY", { } day) when string.Equals(day, "last", StringComparison.OrdinalIgnoreCase) => new(ReportRecurrenceKind.Monthly, at, DayOfMonth: LastDayOfMonth),
            ("MONTHLY", { } day) when int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 28 =>
                new(ReportRecurrenceKind.Monthly, at, DayOfMonth: n),
            _ => null,
        };
        problem = recurrence is null ? $"'{text}' is not a recurrence: write {Forms} (server time; a monthly day is 1-28 or last)" : null;
        return recurrence is not null;
    }

    /// <summary>The moment a report made once is due, in the server's time zone.</summary>
    public DateTimeOffset? OnceAt(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (Date is not { } date)
        {
            return null;
        }

        var local = date.ToDateTime(At);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>The recurrence as operators write it (what <see cref="TryParse"/> reads back).</summary>
    public override string ToString()
    {
        var at = At.ToString("HH:mm", CultureInfo.InvariantCulture);
        return Kind switch
        {
            ReportRecurrenceKind.Once => $"Once {Date:yyyy-MM-dd} {at}",
            ReportRecurrenceKind.Daily => $"Daily {at}",
            ReportRecurrenceKind.Weekly => $"Weekly {Weekday?.ToString()[..3]} {at}",
            _ => DayOfMonth == LastDayOfMonth
                ? $"Monthly last {at}"
                : string.Create(CultureInfo.InvariantCulture, $"Monthly {DayOfMonth} {at}"),
        };
    }

    private static DayOfWeek? WeekdayOf(string day) => day.Length < 3 ? null : Enum.GetValues<DayOfWeek>()
        .Where(d => d.ToString().StartsWith(day, StringComparison.OrdinalIgnoreCase)).Select(d => (DayOfWeek?)d).FirstOrDefault();
}

/// <summary>The unit of a scheduled report's period.</summary>
public enum ReportPeriodUnit
{
    /// <summary>Days, from midnight to midnight.</summary>
    Day,

    /// <summary>Weeks, from Monday to Monday (ISO 8601).</summary>
    Week,

    /// <summary>Calendar months.</summary>
    Month,
}

/// <summary>
/// The period a scheduled report covers, reckoned from the moment it is made, in the server's time zone:
/// <c>current week</c> is this week so far (Monday midnight until that moment); <c>last 4 weeks</c> is the four
/// whole weeks before this one; likewise days (<c>last 7 days</c>: the seven days before today) and months.
/// </summary>
/// <param name="Count">How many whole days, weeks or months before the current one; 0 for the current one so far.</param>
/// <param name="Unit">Days, weeks or months.</param>
public sealed record ReportSchedulePeriod(int Count, ReportPeriodUnit Unit)
{
    private const string Forms = "'current day', 'current week', 'current month', or 'last N days', 'last N weeks', 'last N months' ('last week' is 'last 1 week')";

    /// <summary>Reads a period as operators write it: <c>current week</c>, <c>last 4 weeks</c>, <c>last month</c>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ReportSchedulePeriod? period, [NotNullWhen(false)] out string? problem)
    {
        period = null;
        var parts = (text ?? "").ToUpperInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var count = parts switch
        {
            ["CURRENT", _] => 0,
            ["LAST", _] => 1,
            ["LAST", var n, _] when int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c >= 1 => c,
            _ => -1,
        };
        ReportPeriodUnit? unit = count < 0 ? null : parts[^1].TrimEnd('S') switch
        {
            "DAY" => ReportPeriodUnit.Day,
            "WEEK" => ReportPeriodUnit.Week,
            "MONTH" => ReportPeriodUnit.Month,
            _ => null,
        };
        if (unit is null)
        {
            problem = $"'{text}' is not a report period: write {Forms}";
            return false;
        }

        period = new(count, unit.Value);
        problem = null;
        return true;
    }

    /// <summary>The period, [From, Until), of a report made at <paramref name="moment"/>, its days counted in <paramref name="zone"/>.</summary>
    public (DateTimeOffset From, DateTimeOffset Until) At(DateTimeOffset moment, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(moment, zone).DateTime);
        var start = Unit switch
        {
            ReportPeriodUnit.Day => today,
            ReportPeriodUnit.Week => today.AddDays(-(((int)today.DayOfWeek + 6) % 7)), // back to Monday
            _ => new DateOnly(today.Year, today.Month, 1),
        };
        if (Count == 0)
        {
            return (ReportPeriods.Midnight(start, zone), moment);
        }

        var from = Unit switch
        {
            ReportPeriodUnit.Day => start.AddDays(-Count),
            ReportPeriodUnit.Week => start.AddDays(-7 * Count),
            _ => start.AddMonths(-Count),
        };
        return (ReportPeriods.Midnight(from, zone), ReportPeriods.Midnight(start, zone));
    }

    /// <summary>The period as operators write it (what <see cref="TryParse"/> reads back).</summary>
    public override string ToString()
    {
        var unit = Unit.ToString().ToLowerInvariant();
        return Count switch
        {
            0 => $"current {unit}",
            1 => $"last 1 {unit}",
            _ => string.Create(CultureInfo.InvariantCulture, $"last {Count} {unit}s"),
        };
    }
}

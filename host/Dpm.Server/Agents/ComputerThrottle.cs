using System.Globalization;
using Dpm.Catalog;
using Dpm.Management;

namespace Dpm.Server.Agents;

/// <summary>
/// A protected computer's network bandwidth usage throttling between the catalog's columns (a bit mask of work
/// days, work hours in minutes) and the management API's <see cref="AgentThrottle"/> (day names, <c>HH:mm</c>).
/// </summary>
internal static class ComputerThrottle
{
    private const int EndOfDay = 24 * 60;

    /// <summary>The computer's throttle as the management API shows it.</summary>
    public static AgentThrottle Show(Computer computer) => new(
        computer.ThrottleWorkHoursRate,
        computer.ThrottleNonWorkHoursRate,
        [.. Enum.GetValues<DayOfWeek>().Where(d => ((computer.WorkDays >> (int)d) & 1) == 1)],
        Clock(computer.WorkStartMinute),
        Clock(computer.WorkEndMinute));

    /// <summary>Sets <paramref name="throttle"/> on <paramref name="computer"/>; when it isn't sound, says why and changes nothing.</summary>
    public static string? TrySet(Computer computer, AgentThrottle throttle)
    {
        if ((RateProblem("work hours", throttle.WorkHoursRate) ?? RateProblem("non-work hours", throttle.NonWorkHoursRate)) is { } rateProblem)
        {
            return rateProblem;
        }

        if (throttle.WorkDays is null)
        {
            return "say which days are work days (an empty list for none)";
        }

        if (throttle.WorkDays.Any(d => !Enum.IsDefined(d)))
        {
            return "work days are days of the week, Sunday to Saturday";
        }

        if (Minute(throttle.WorkStart, EndOfDay - 1) is not { } start)
        {
            return $"work hours start at a time of day, HH:mm from 00:00 to 23:59, not '{throttle.WorkStart}'";
        }

        if (Minute(throttle.WorkEnd, EndOfDay) is not { } end)
        {
            return $"work hours end at a time of day, HH:mm from 00:01 to 24:00, not '{throttle.WorkEnd}'";
        }

        if (start >= end)
        {
            return $"work hours must start before they end, on the same day ({throttle.WorkStart}-{throttle.WorkEnd} doesn't; 24:00 is the end of the day)";
        }

        computer.ThrottleWorkHoursRate = throttle.WorkHoursRate;
        computer.ThrottleNonWorkHoursRate = throttle.NonWorkHoursRate;
        computer.WorkDays = throttle.WorkDays.Aggregate(0, (mask, day) => mask | (1 << (int)day));
        computer.WorkStartMinute = start;
        computer.WorkEndMinute = end;
        return null;
    }

    private static string? RateProblem(string when, long rate) => rate switch
    {
        0 => null,
        < 0 => $"the {when} rate can't be negative (0 is no limit)",
        < AgentThrottle.MinimumRate => $"the {when} rate is at least {AgentThrottle.MinimumRate / 1024} KiB/s ({AgentThrottle.MinimumRate} bytes/s), or 0 for no limit: a slower transfer stalls",
        > AgentThrottle.MaximumRate => $"the {when} rate is at most {AgentThrottle.MaximumRate} bytes/s (2 GiB/s); set 0 for no limit",
        _ => null,
    };

    /// <summary>Minutes after midnight of an <c>HH:mm</c> time, up to <paramref name="latest"/> (24:00 is midnight at the end of the day).</summary>
    private static int? Minute(string? text, int latest)
    {
        var parts = (text ?? "").Split(':');
        if (parts is not [{ Length: 1 or 2 } h, { Length: 2 } m]
            || !int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || minutes > 59)
        {
            return null;
        }

        var minute = (hours * 60) + minutes;
        return minute <= latest ? minute : null;
    }

    private static string Clock(int minute) => string.Create(CultureInfo.InvariantCulture, $"{minute / 60:00}:{minute % 60:00}");
}

namespace Dpm.Reporting.Tests;

/// <summary>Periods as operators write them: dates in the server's time zone (the end day included), times, and the defaults.</summary>
public sealed class ReportPeriodsTests
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.CreateCustomTimeZone("test+01", TimeSpan.FromHours(1), "test+01", "test+01");
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Parse_Dates_AreWholeDaysInTheServersZone_TheEndDayIncluded()
    {
        var period = ReportPeriods.Parse("2026-11-23", "2026-11-29", Now, Paris);

        Assert.Null(period.Problem);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(1)), period.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.FromHours(1)), period.Until);
    }

    [Fact]
    public void Parse_Times_AreThoseInstants_LocalOrWithTheirOffset()
    {
        var period = ReportPeriods.Parse("2026-11-23T06:30", "2026-11-24T12:00:00Z", Now, Paris);

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 6, 30, 0, TimeSpan.FromHours(1)), period.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), period.Until);
    }

    [Fact]
    public void Parse_Nothing_IsTheLastSevenDays_TodayIncluded_AndAStartAloneEndsToday()
    {
        var week = ReportPeriods.Parse(null, null, Now, Paris);
        var since = ReportPeriods.Parse("2026-11-01", null, Now, Paris);
        var until = ReportPeriods.Parse(null, "2026-11-10", Now, Paris);

        Assert.Equal((new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.FromHours(1)), new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(1))), (week.From, week.Until));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(1)), since.From);
        Assert.Equal(week.Until, since.Until);
        Assert.Equal((new DateTimeOffset(2026, 11, 4, 0, 0, 0, TimeSpan.FromHours(1)), new DateTimeOffset(2026, 11, 11, 0, 0, 0, TimeSpan.FromHours(1))), (until.From, until.Until));
    }

    [Fact]
    public void Parse_NotADate_SaysSo()
    {
        var period = ReportPeriods.Parse("last week", null, Now, Paris);

        Assert.Equal("'last week' is not a date (2026-11-23) or a time (2026-11-23T12:00, 2026-11-23T12:00+01:00)", period.Problem);
    }
}

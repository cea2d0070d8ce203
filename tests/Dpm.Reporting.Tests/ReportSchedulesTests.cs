namespace Dpm.Reporting.Tests;

/// <summary>Scheduled reports' recurrences and periods as operators write them, and the period a report made at a moment covers.</summary>
public sealed class ReportSchedulesTests
{
    private static readonly TimeZoneInfo PlusOne = TimeZoneInfo.CreateCustomTimeZone("test+01", TimeSpan.FromHours(1), "test+01", "test+01");
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Theory]
    [InlineData("Once 2026-12-01 08:00", "Once 2026-12-01 08:00")]
    [InlineData("daily 07:30", "Daily 07:30")]
    [InlineData("Weekly Mon 08:00", "Weekly Mon 08:00")]
    [InlineData("weekly friday 17:45", "Weekly Fri 17:45")]
    [InlineData("Monthly 1 06:00", "Monthly 1 06:00")]
    [InlineData("Monthly LAST 18:00", "Monthly last 18:00")]
    public void Recurrence_TryParse_ReadsWhatOperatorsWrite_AndWritesItBackTheSameWay(string text, string written)
    {
        Assert.True(ReportRecurrence.TryParse(text, out var recurrence, out var problem), problem);
        Assert.Equal(written, recurrence.ToString());
        Assert.True(ReportRecurrence.TryParse(written, out var again, out _));
        Assert.Equal(recurrence, again);
    }

    [Theory]
    [InlineData("Weekly 08:00")]
    [InlineData("Weekly Mo 08:00")]
    [InlineData("Monthly 29 08:00")]
    [InlineData("Monthly 1 8am")]
    [InlineData("Once 2026-13-01 08:00")]
    [InlineData("Hourly 08:00")]
    [InlineData("")]
    public void Recurrence_TryParse_NotARecurrence_SaysWhatToWrite(string text)
    {
        Assert.False(ReportRecurrence.TryParse(text, out _, out var problem));
        Assert.Contains("'Weekly Mon 08:00'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Recurrence_OnceAt_IsThatTimeInTheServersZone_AndEachKindHasItsDefaultPeriod()
    {
        Assert.True(ReportRecurrence.TryParse("Once 2026-12-01 08:00", out var once, out _));

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 0, 0, Hour), once.OnceAt(PlusOne));
        Assert.Equal("last 7 days", once.DefaultPeriod.ToString());
        Assert.Equal("last 1 week", (once with { Kind = ReportRecurrenceKind.Weekly }).DefaultPeriod.ToString());
        Assert.Equal("last 1 month", (once with { Kind = ReportRecurrenceKind.Monthly }).DefaultPeriod.ToString());
    }

    [Theory]
    [InlineData("last 2 weeks", "last 2 weeks")]
    [InlineData("Last Week", "last 1 week")]
    [InlineData("last 7 days", "last 7 days")]
    [InlineData("last 1 month", "last 1 month")]
    [InlineData("current month", "current month")]
    public void Period_TryParse_ReadsWhatOperatorsWrite(string text, string written)
    {
        Assert.True(ReportSchedulePeriod.TryParse(text, out var period, out var problem), problem);
        Assert.Equal(written, period.ToString());
    }

    [Theory]
    [InlineData("last 0 weeks")]
    [InlineData("last -1 weeks")]
    [InlineData("current 2 weeks")]
    [InlineData("last 2 fortnights")]
    [InlineData("previous week")]
    public void Period_TryParse_NotAPeriod_SaysWhatToWrite(string text)
    {
        Assert.False(ReportSchedulePeriod.TryParse(text, out _, out var problem));
        Assert.Contains("'last N weeks'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Period_LastTwoWeeks_OnAWednesday_IsTheTwoWholeWeeksBeforeThisOne_MondayToMonday()
    {
        var wednesday = new DateTimeOffset(2026, 11, 25, 9, 0, 0, Hour);

        var (from, until) = new ReportSchedulePeriod(2, ReportPeriodUnit.Week).At(wednesday, PlusOne);

        Assert.Equal(new DateTimeOffset(2026, 11, 9, 0, 0, 0, Hour), from);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, Hour), until);
    }

    [Fact]
    public void Period_LastWeek_MadeOnMondayMorning_IsThePreviousWeek_CountedInTheServersZone()
    {
        var sundayNightUtc = new DateTimeOffset(2026, 11, 29, 23, 30, 0, TimeSpan.Zero); // already Monday 00:30 in the server's zone

        var (from, until) = new ReportSchedulePeriod(1, ReportPeriodUnit.Week).At(sundayNightUtc, PlusOne);

        Assert.Equal((new DateTimeOffset(2026, 11, 23, 0, 0, 0, Hour), new DateTimeOffset(2026, 11, 30, 0, 0, 0, Hour)), (from, until));
    }

    [Fact]
    public void Period_DaysAndMonths_AreWholeOnesBeforeToday_AndCurrentIsSoFar()
    {
        var moment = new DateTimeOffset(2026, 3, 31, 18, 0, 0, Hour);

        Assert.Equal(
            (new DateTimeOffset(2026, 3, 24, 0, 0, 0, Hour), new DateTimeOffset(2026, 3, 31, 0, 0, 0, Hour)),
            new ReportSchedulePeriod(7, ReportPeriodUnit.Day).At(moment, PlusOne));
        Assert.Equal(
            (new DateTimeOffset(2025, 12, 1, 0, 0, 0, Hour), new DateTimeOffset(2026, 3, 1, 0, 0, 0, Hour)),
            new ReportSchedulePeriod(3, ReportPeriodUnit.Month).At(moment, PlusOne));
        Assert.Equal((new DateTimeOffset(2026, 3, 1, 0, 0, 0, Hour), moment), new ReportSchedulePeriod(0, ReportPeriodUnit.Month).At(moment, PlusOne));
        Assert.Equal((new DateTimeOffset(2026, 3, 30, 0, 0, 0, Hour), moment), new ReportSchedulePeriod(0, ReportPeriodUnit.Week).At(moment, PlusOne));
    }

    [Fact]
    public void Period_AWeekWithTheEndOfSummerTime_StartsAndEndsAtMidnight_AnHourLonger()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var monday = new DateTimeOffset(2026, 10, 26, 8, 0, 0, Hour); // the clocks went back on Sunday the 25th

        var (from, until) = new ReportSchedulePeriod(1, ReportPeriodUnit.Week).At(monday, paris);

        Assert.Equal(new DateTimeOffset(2026, 10, 19, 0, 0, 0, TimeSpan.FromHours(2)), from);
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 0, 0, 0, Hour), until);
        Assert.Equal(TimeSpan.FromHours(7 * 24 + 1), until - from);
    }
}

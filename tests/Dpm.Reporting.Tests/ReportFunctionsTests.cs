namespace Dpm.Reporting.Tests;

/// <summary>The functions templates call: sizes, percentages, durations, CSV and Markdown escaping, charts that refuse mismatched data.</summary>
public sealed class ReportFunctionsTests
{
    [Fact]
    public void HumanSize_BinaryUnits_OneDecimal()
    {
        Assert.Equal(("512 B", "1.5 KiB", "2.0 GiB", ""), (ReportFunctions.HumanSize(512), ReportFunctions.HumanSize(1536), ReportFunctions.HumanSize(2L << 30), ReportFunctions.HumanSize(null)));
    }

    [Fact]
    public void PercentDurationNumber_NoValue_IsADash()
    {
        Assert.Equal(("85.2 %", "–"), (ReportFunctions.Percent(85.24), ReportFunctions.Percent(null)));
        Assert.Equal(("45 s", "3 min 20 s", "2 h 05 min", "–"), (ReportFunctions.Duration(45), ReportFunctions.Duration(200), ReportFunctions.Duration(7500), ReportFunctions.Duration(null)));
        Assert.Equal(("12,345.7", "–"), (ReportFunctions.FormatNumber(12345.67, 1), ReportFunctions.FormatNumber(null)));
    }

    [Fact]
    public void CsvRow_QuotesWhatMustBe_InvariantNumbersAndIsoTimes()
    {
        var row = ReportFunctions.CsvRow(new object?[] { "plain", "a, b", "say \"hi\"", "two\nlines", null, 1.5, true, new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.FromHours(1)) });

        Assert.Equal("plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",,1.5,true,2026-11-23T20:00:00+01:00", row);
    }

    [Fact]
    public void Md_EscapesTableAndMarkupCharacters()
    {
        Assert.Equal("a \\| b \\<c\\> \\*d\\* \\_e\\_ f", ReportFunctions.Md("a | b <c> *d* _e_\nf"));
    }

    [Fact]
    public void Charts_EscapeTheirText_AndRefuseALabelCountThatDiffersFromTheValues()
    {
        var chart = ReportFunctions.BarChart("<b>jobs</b>", new[] { "a&b" }, new object[] { 3 });

        Assert.Contains("&lt;b&gt;jobs&lt;/b&gt;", chart, StringComparison.Ordinal);
        Assert.Contains("a&amp;b", chart, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", chart, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ReportFunctions.LineChart("x", new[] { "a", "b" }, new object[] { 1 }));
        Assert.Throws<ArgumentException>(() => ReportFunctions.LineChart("x", new[] { "a" }, new object[] { 1 }, "%", new object[] { 1, 2 }));
    }
}

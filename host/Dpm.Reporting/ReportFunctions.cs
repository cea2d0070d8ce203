using System.Collections;
using System.Globalization;
using System.Text;

namespace Dpm.Reporting;

/// <summary>
/// The functions a report template may call besides Scriban's own safe built-ins, by their snake_case names
/// (<c>human_size</c>, <c>line_chart</c>…). None of them touches files, the network or the process.
/// </summary>
public static class ReportFunctions
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    private static CultureInfo Invariant => CultureInfo.InvariantCulture;

    /// <summary>Bytes for people: <c>1.5 GiB</c>; empty for none.</summary>
    public static string HumanSize(long? bytes)
    {
        if (bytes is not { } value)
        {
            return "";
        }

        var size = (double)value;
        var unit = 0;
        while (Math.Abs(size) >= 1024 && unit < Units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(Invariant, $"{value} B") : string.Create(Invariant, $"{size:0.0} {Units[unit]}");
    }

    /// <summary>A percentage (0–100) as <c>97.5 %</c>; a dash when there is none.</summary>
    public static string Percent(double? value) => value is { } v ? string.Create(Invariant, $"{v:0.0} %") : "–";

    /// <summary>A number with the given decimals and thousands separators (<c>12,345.6</c>); a dash when there is none.</summary>
    public static string FormatNumber(double? value, int decimals = 0) =>
        value is { } v ? v.ToString("N" + Math.Clamp(decimals, 0, 6).ToString(Invariant), Invariant) : "–";

    /// <summary>A time as <c>2026-11-24 20:00</c>; empty for none.</summary>
    public static string FormatTime(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm", Invariant) ?? "";

    /// <summary>A date as <c>2026-11-24</c>; empty for none.</summary>
    public static string FormatDay(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd", Invariant) ?? "";

    /// <summary>A time with its offset, for the header of a report: <c>2026-11-24 20:00 +01:00</c>.</summary>
    public static string FormatMoment(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm zzz", Invariant) ?? "";

    /// <summary>Seconds for people: <c>45 s</c>, <c>3 min 20 s</c>, <c>2 h 05 min</c>; a dash for none.</summary>
    public static string Duration(double? seconds)
    {
        if (seconds is not { } s)
        {
            return "–";
        }

        var span = TimeSpan.FromSeconds(Math.Round(s));
        return span.TotalHours >= 1 ? string.Create(Invariant, $"{(int)span.TotalHours} h {span.Minutes:00} min")
            : span.TotalMinutes >= 1 ? string.Create(Invariant, $"{span.Minutes} min {span.Seconds:00} s")
            : string.Create(Invariant, $"{span.Seconds} s");
    }

    /// <summary>One CSV line (RFC 4180): each value quoted when it must be, numbers in invariant form, times in ISO 8601.</summary>
    public static string CsvRow(IEnumerable values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return string.Join(',', values.Cast<object?>().Select(v =>
        {
            var text = v switch
            {
                null => "",
                DateTimeOffset t => t.ToString("yyyy-MM-ddTHH:mm:sszzz", Invariant),
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, Invariant),
                _ => v.ToString() ?? "",
            };
            return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
        }));
    }

    /// <summary>Text made safe for a Markdown table cell: pipes, backslashes and markup characters escaped, line breaks made spaces.</summary>
    public static string Md(object? value)
    {
        var text = value switch
        {
            null => "",
            IFormattable f => f.ToString(null, Invariant),
            _ => value.ToString() ?? "",
        };
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\r' or '\n')
            {
                escaped.Append(' ');
                continue;
            }

            if (c is '\\' or '|' or '*' or '_' or '`' or '<' or '>' or '[' or ']' or '#')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <summary>
    /// An inline SVG line chart of the values over the labels (a null value breaks the line), with a dashed trend
    /// line when <paramref name="trend"/> is given. <paramref name="unit"/>: <c>%</c> (axis 0–100), <c>bytes</c>, <c>seconds</c>, or any word.
    /// </summary>
    public static string LineChart(string title, IEnumerable labels, IEnumerable values, string unit = "", IEnumerable? trend = null)
    {
        var (names, numbers) = Series(labels, values);
        var line = trend is null ? null : Numbers(trend);
        return line is null || line.Count == names.Count
            ? SvgChart.Line(title ?? "", names, numbers, unit ?? "", line)
            : throw new ArgumentException($"line_chart: {names.Count} labels but {line.Count} trend values", nameof(trend));
    }

    /// <summary>An inline SVG bar chart of the values over the labels.</summary>
    public static string BarChart(string title, IEnumerable labels, IEnumerable values, string unit = "")
    {
        var (names, numbers) = Series(labels, values);
        return SvgChart.Bars(title ?? "", names, numbers, unit ?? "");
    }

    private static (List<string> Labels, List<double?> Values) Series(IEnumerable labels, IEnumerable values)
    {
        var (names, numbers) = (Labels(labels), Numbers(values));
        return names.Count == numbers.Count ? (names, numbers) : throw new ArgumentException($"a chart needs one label per value, not {names.Count} labels for {numbers.Count} values", nameof(values));
    }

    private static List<string> Labels(IEnumerable labels) =>
        (labels ?? throw new ArgumentNullException(nameof(labels))).Cast<object?>().Select(l => l switch
        {
            null => "",
            DateTimeOffset t => t.ToString("yyyy-MM-dd", Invariant),
            IFormattable f => f.ToString(null, Invariant),
            _ => l.ToString() ?? "",
        }).ToList();

    private static List<double?> Numbers(IEnumerable values) =>
        (values ?? throw new ArgumentNullException(nameof(values))).Cast<object?>().Select(v => v is null ? null : (double?)Convert.ToDouble(v, Invariant)).ToList();
}

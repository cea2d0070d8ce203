using System.Globalization;
using System.Net;
using System.Text;

namespace Dpm.Reporting;

/// <summary>
/// Inline SVG charts for HTML reports: a line chart (with an optional dashed trend line) and a bar chart, drawn
/// with presentation attributes only, so they show anywhere without a style sheet or a script.
/// </summary>
internal static class SvgChart
{
    private const int Width = 760;
    private const int Height = 260;
    private const int Left = 78;
    private const int Right = 16;
    private const int Top = 34;
    private const int Bottom = 44;
    private const int Ticks = 4;
    private const int MaxXLabels = 10;
    private const string SeriesColour = "#1f6fb2";
    private const string TrendColour = "#d9822b";

    /// <summary>A line through the values (a null value breaks it), and the trend's dashed line when given.</summary>
    public static string Line(string title, IReadOnlyList<string> labels, IReadOnlyList<double?> values, string unit, IReadOnlyList<double?>? trend)
    {
        var all = values.Concat(trend ?? []).OfType<double>().ToList();
        var scale = Scale.For(all, unit);
        var svg = Begin(title, labels, scale, "line-chart");
        if (all.Count == 0)
        {
            return End(svg.Append(NoData()));
        }

        svg.Append(Path(values, labels.Count, scale, "series", SeriesColour, dashed: false));
        if (trend is not null)
        {
            svg.Append(Path(trend, labels.Count, scale, "trend", TrendColour, dashed: true));
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } v)
            {
                svg.Append(Invariant($"<circle class=\"point\" cx=\"{X(i, labels.Count):0.#}\" cy=\"{scale.Y(v):0.#}\" r=\"3\" fill=\"{SeriesColour}\"><title>{Escape(labels[i])}: {Escape(scale.Format(v))}</title></circle>\n"));
            }
        }

        return End(svg);
    }

    /// <summary>A bar per value.</summary>
    public static string Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double?> values, string unit)
    {
        var all = values.OfType<double>().ToList();
        var scale = Scale.For(all, unit);
        var svg = Begin(title, labels, scale, "bar-chart");
        if (all.Count == 0)
        {
            return End(svg.Append(NoData()));
        }

        var slot = (double)(Width - Left - Right) / Math.Max(1, labels.Count);
        var width = Math.Max(2, slot * 0.7);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } v)
            {
                var y = scale.Y(v);
                svg.Append(Invariant($"<rect class=\"bar\" x=\"{X(i, labels.Count) - (width / 2):0.#}\" y=\"{y:0.#}\" width=\"{width:0.#}\" height=\"{Height - Bottom - y:0.#}\" fill=\"{SeriesColour}\"><title>{Escape(labels[i])}: {Escape(scale.Format(v))}</title></rect>\n"));
            }
        }

        return End(svg);
    }

    private static StringBuilder Begin(string title, IReadOnlyList<string> labels, Scale scale, string kind)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {kind}\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Escape(title)}\">\n"));
        svg.Append(Invariant($"<title>{Escape(title)}</title>\n"));
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{Escape(title)}</text>\n"));
        for (var t = 0; t <= Ticks; t++)
        {
            var value = scale.Max * t / Ticks;
            var y = scale.Y(value);
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#ddd\" stroke-width=\"1\"/>\n"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">{Escape(scale.Format(value))}</text>\n"));
        }

        svg.Append(Invariant($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#888\" stroke-width=\"1\"/>\n"));
        var every = Math.Max(1, (int)Math.Ceiling(labels.Count / (double)MaxXLabels));
        for (var i = 0; i < labels.Count; i += every)
        {
            svg.Append(Invariant($"<text x=\"{X(i, labels.Count):0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">{Escape(labels[i])}</text>\n"));
        }

        return svg;
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>").ToString();

    private static string NoData() =>
        Invariant($"<text class=\"no-data\" x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#888\">no data in this period</text>\n");

    private static string Path(IReadOnlyList<double?> values, int count, Scale scale, string kind, string colour, bool dashed)
    {
        var d = new StringBuilder();
        var pen = 'M';
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } v)
            {
                pen = 'M';
                continue;
            }

            d.Append(Invariant($"{pen}{X(i, count):0.#} {scale.Y(v):0.#} "));
            pen = 'L';
        }

        var dash = dashed ? " stroke-dasharray=\"6 4\"" : "";
        return Invariant($"<path class=\"{kind}\" d=\"{d.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\n");
    }

    /// <summary>The middle of the value's slot: each of the values gets an equal slot of the plot's width.</summary>
    private static double X(int index, int count) => Left + ((Width - Left - Right) * (index + 0.5) / Math.Max(1, count));

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value axis: from 0 to a round maximum, labelled in the chart's unit.</summary>
    private sealed record Scale(double Max, string Unit)
    {
        public static Scale For(List<double> values, string unit)
        {
            if (unit == "%")
            {
                return new(100, unit);
            }

            var max = values.Count == 0 ? 0 : values.Max();
            if (max <= 0)
            {
                return new(1, unit);
            }

            // Bytes round in their binary unit (200 GiB, not 186.3 GiB).
            var size = unit == "bytes" ? Math.Pow(1024, Math.Floor(Math.Log(max, 1024))) : 1;
            return new(Round(max / size) * size, unit);
        }

        public double Y(double value) => Height - Bottom - ((Height - Top - Bottom) * Math.Clamp(value / Max, 0, 1));

        public string Format(double value) => Unit switch
        {
            "bytes" => ReportFunctions.HumanSize((long)value),
            "seconds" => ReportFunctions.Duration(value),
            "%" => Invariant($"{value:0.#} %"),
            "" => Invariant($"{value:0.##}"),
            _ => Invariant($"{value:0.##} {Unit}"),
        };

        /// <summary>The smallest of 1, 2, 2.5, 5 × 10^n (n ≥ 0) at least as large as the value, so ticks fall on round numbers.</summary>
        private static double Round(double value)
        {
            var magnitude = Math.Pow(10, Math.Max(0, Math.Floor(Math.Log10(value))));
            return new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(candidate => candidate >= value);
        }
    }
}

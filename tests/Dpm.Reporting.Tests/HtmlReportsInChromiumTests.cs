using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Dpm.Reporting.Tests.Support;

namespace Dpm.Reporting.Tests;

/// <summary>
/// Every HTML report opened in a real headless Chromium (Debian's <c>chromium</c>, which the test command installs):
/// the page logs no console message or script error, asks for nothing outside itself, and its charts are there and
/// drawn (a line with points, or bars with a height). The status report's screenshot is
/// <c>docs/screenshots/status-report.png</c>, remade with <c>DPM_UPDATE_GOLDEN=1</c> as the golden files are.
/// </summary>
public sealed partial class HtmlReportsInChromiumTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private SeededCatalog _catalog = null!;

    public static TheoryData<string, int> Reports() => new()
    {
        { "status", 2 },
        { "protection", 2 },
        { "recovery-point", 1 },
        { "recovery", 1 },
        { "disk-utilization", 1 },
        { "licence", 1 },
        { "tape", 1 },
    };

    public async Task InitializeAsync() => _catalog = await SeededCatalog.CreateAsync();

    public Task DisposeAsync()
    {
        _catalog.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task HtmlReport_InHeadlessChromium_NoScriptErrors_ChartsDrawn(string report, int charts)
    {
        var page = await RenderAsync(report);

        var (dom, log) = await ChromiumAsync(page, "--dump-dom", "--enable-logging=stderr", "--v=0");

        Assert.DoesNotContain("CONSOLE", log, StringComparison.Ordinal); // Chromium logs every console message and uncaught error so
        Assert.DoesNotContain("Uncaught", log, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", dom); // self-contained: nothing to fetch
        var svgs = Svg().Matches(dom).Select(m => m.Value).ToList();
        Assert.Equal(charts, svgs.Count);
        foreach (var svg in svgs)
        {
            var line = Series().Match(svg);
            var bars = Bar().Matches(svg).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.True(
                (line.Success && line.Groups[1].Value.Contains('L', StringComparison.Ordinal)) || bars.Any(h => h > 0),
                $"a chart of the {report} report draws nothing: {svg[..Math.Min(400, svg.Length)]}");
        }
    }

    [Fact]
    public async Task StatusReport_Screenshot_IsAPicture()
    {
        var page = await RenderAsync("status");
        var png = Path.Combine(_catalog.Root, "status-report.png");

        await ChromiumAsync(page, $"--screenshot={png}", "--window-size=1200,1600", "--hide-scrollbars");

        var bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.True(bytes.Length > 20_000, $"the screenshot is {bytes.Length} bytes: a blank page?");
        if (Environment.GetEnvironmentVariable("DPM_UPDATE_GOLDEN") == "1")
        {
            File.Copy(png, ScreenshotPath(), overwrite: true);
        }
    }

    private static string ScreenshotPath([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "docs", "screenshots", "status-report.png"));

    private async Task<string> RenderAsync(string report)
    {
        var result = await _catalog.Renderer().RenderAsync(report, SeededCatalog.From, SeededCatalog.Until, ReportFormat.Html, CancellationToken.None);
        Assert.True(result.Succeeded, result.Problem?.Message);
        var path = Path.Combine(_catalog.Root, result.Report!.FileName);
        await File.WriteAllBytesAsync(path, result.Report.Content);
        return path;
    }

    /// <summary>Runs headless Chromium on a page; returns what it wrote and what it logged.</summary>
    private async Task<(string Output, string Log)> ChromiumAsync(string page, params string[] options)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (tools/test.sh does)");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var option in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={Path.Combine(_catalog.Root, "chromium")}" }.Concat(options))
        {
            start.ArgumentList.Add(option);
        }

        start.ArgumentList.Add(new Uri(page).AbsoluteUri);
        using var chromium = Process.Start(start)!;
        var output = chromium.StandardOutput.ReadToEndAsync();
        var log = chromium.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await chromium.WaitForExitAsync(patience.Token);
        Assert.True(chromium.ExitCode == 0, $"chromium exited with {chromium.ExitCode}: {await log}");
        return (await output, await log);
    }

    [GeneratedRegex("<svg[^>]*class=\"chart[^\"]*\"[^>]*>.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex Svg();

    [GeneratedRegex("<path class=\"series\" d=\"([^\"]*)\"")]
    private static partial Regex Series();

    [GeneratedRegex("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"")]
    private static partial Regex Bar();
}

using System.Runtime.CompilerServices;
using System.Text;
using Dpm.Reporting.Tests.Support;

namespace Dpm.Reporting.Tests;

/// <summary>
/// Every built-in report in every format, rendered from the seeded catalog on a fixed clock, is exactly its golden
/// file in <c>Golden/</c>. After a deliberate change to a template or to the report data, regenerate them with
/// <c>DPM_UPDATE_GOLDEN=1 dotnet test tests/Dpm.Reporting.Tests --filter ReportRendererGoldenTests</c> and read the diff.
/// </summary>
public sealed class ReportRendererGoldenTests : IAsyncLifetime
{
    private SeededCatalog _catalog = null!;

    public static TheoryData<string, ReportFormat> Reports()
    {
        var data = new TheoryData<string, ReportFormat>();
        foreach (var report in new[] { "status", "protection", "recovery-point", "recovery", "disk-utilization", "licence", "tape" })
        {
            foreach (var format in Enum.GetValues<ReportFormat>())
            {
                data.Add(report, format);
            }
        }

        return data;
    }

    public async Task InitializeAsync() => _catalog = await SeededCatalog.CreateAsync();

    public Task DisposeAsync()
    {
        _catalog.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task RenderAsync_SeededCatalog_IsTheGoldenFile(string report, ReportFormat format)
    {
        var result = await _catalog.Renderer().RenderAsync(report, SeededCatalog.From, SeededCatalog.Until, format, CancellationToken.None);

        Assert.True(result.Succeeded, result.Problem?.Message);
        var extension = format.ToString().ToLowerInvariant();
        Assert.Equal($"{report}-20261123-20261129.{extension}", result.Report!.FileName);
        Assert.StartsWith(format switch { ReportFormat.Html => "text/html", ReportFormat.Csv => "text/csv", _ => "text/markdown" }, result.Report.ContentType, StringComparison.Ordinal);
        AssertGolden($"{report}.{extension}", Encoding.UTF8.GetString(result.Report.Content));
    }

    [Fact]
    public void List_BuiltInTemplates_EveryReportInEveryFormat()
    {
        var reports = _catalog.Renderer().List();

        Assert.Equal(["disk-utilization", "licence", "protection", "recovery", "recovery-point", "status", "tape"], reports.Select(r => r.Name));
        Assert.All(reports, r => Assert.Equal([ReportFormat.Html, ReportFormat.Csv, ReportFormat.Md], r.Formats));
        Assert.All(reports, r => Assert.True(r.BuiltIn));
        Assert.Equal("Disk Utilization Report", reports.Single(r => r.Name == "disk-utilization").Title);
    }

    /// <summary>The golden file's folder in the source tree (so that an update writes there).</summary>
    private static string GoldenFolder([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Golden");

    internal static void AssertGolden(string name, string actual)
    {
        var path = Path.Combine(GoldenFolder(), name);
        if (Environment.GetEnvironmentVariable("DPM_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(GoldenFolder());
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"there is no golden file {path}: make it with DPM_UPDATE_GOLDEN=1");
        var expected = File.ReadAllText(path).Split('\n');
        var lines = actual.Split('\n');
        for (var i = 0; i < Math.Min(expected.Length, lines.Length); i++)
        {
            Assert.True(expected[i] == lines[i], $"{name}, line {i + 1}:\n expected: {expected[i]}\n   actual: {lines[i]}");
        }

        Assert.Equal(expected.Length, lines.Length);
    }
}

using System.Text;
using Dpm.Catalog;
using Dpm.Reporting.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Reporting.Tests;

/// <summary>
/// Where templates come from (built in, then plugins' <c>reports</c> folders, then the deployment's folder, a later
/// one replacing an earlier one by name), what a broken template says, and the reports that can't be rendered.
/// </summary>
public sealed class ReportTemplatesTests : IAsyncLifetime
{
    private SeededCatalog _catalog = null!;

    public async Task InitializeAsync() => _catalog = await SeededCatalog.CreateAsync();

    public Task DisposeAsync()
    {
        _catalog.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RenderAsync_OverrideFolder_ReplacesABuiltInTemplate_AndAddsANewReport()
    {
        Override("status.md.scriban", "Our status: {{ status.failed }} of {{ status.total }} jobs failed.");
        Override("capacity.csv.scriban", "{{ csv_row ['pool', 'free', 'rpo_missed'] }}\n{{ csv_row [disk.pool, disk.free_bytes, protection.rpo_missed] }}\n");

        var status = await RenderAsync("status", ReportFormat.Md);
        var statusHtml = await RenderAsync("status", ReportFormat.Html);
        var capacity = await RenderAsync("capacity", ReportFormat.Csv);
        var listed = _catalog.Renderer().List();

        Assert.Equal("Our status: 8 of 56 jobs failed.", status);
        Assert.Contains("<h1>Status Report</h1>", statusHtml, StringComparison.Ordinal); // the other formats stay built in
        Assert.Equal("pool,free,rpo_missed\ndisk:/var/lib/dpm/pool,1649267441664,2\n", capacity);
        var added = listed.Single(r => r.Name == "capacity");
        Assert.Equal(("Capacity Report", false), (added.Title, added.BuiltIn));
        Assert.Equal([ReportFormat.Csv], added.Formats);
        Assert.Equal("capacity", listed[^1].Name); // the deployment's reports after DPM's
    }

    [Fact]
    public async Task RenderAsync_OverriddenPart_ChangesEveryReportThatIncludesIt()
    {
        Override("_footer.html.scriban", "<footer>Contoso IT, backup team</footer>");

        foreach (var report in new[] { "status", "protection", "licence" })
        {
            var html = await RenderAsync(report, ReportFormat.Html);

            Assert.Contains("<footer>Contoso IT, backup team</footer>", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("_footer", _catalog.Renderer().List().Select(r => r.Name));
    }

    [Fact]
    public async Task RenderAsync_PluginTemplates_FoundAfterTheBuiltInOnes_AndTheOverrideFolderWins()
    {
        var plugin = Directory.CreateDirectory(Path.Combine(_catalog.Root, "plugins", "Dpm.Workloads.Sql", "reports")).FullName;
        _catalog.PluginFolders.Add(plugin);
        File.WriteAllText(Path.Combine(plugin, "sql-backups.md.scriban"), "{{ for g in protection.groups; if g.name == 'Databases'; for d in g.members }}{{ d.name }}: {{ d.rpo_met ? 'met' : 'missed' }}\n{{ end; end; end }}");
        File.WriteAllText(Path.Combine(plugin, "recovery.md.scriban"), "recoveries as the SQL plugin shows them: {{ recovery.total }}");

        var sql = await RenderAsync("sql-backups", ReportFormat.Md);
        var byPlugin = await RenderAsync("recovery", ReportFormat.Md);
        Override("recovery.md.scriban", "recoveries as the deployment shows them: {{ recovery.succeeded }}");
        var byDeployment = await RenderAsync("recovery", ReportFormat.Md);

        Assert.Equal("crm <prod>: missed\nsales: met\n", sql);
        Assert.Equal("recoveries as the SQL plugin shows them: 5", byPlugin);
        Assert.Equal("recoveries as the deployment shows them: 2", byDeployment);
        Assert.Contains(_catalog.Renderer().List(), r => r is { Name: "sql-backups", BuiltIn: false });
    }

    [Fact]
    public async Task RenderAsync_SyntaxError_SaysFileLineAndColumn()
    {
        var path = Override("status.html.scriban", "<html>\n<body>\n  {{ for g in }}\n</body>\n");

        var problem = await RenderBrokenAsync("status", ReportFormat.Html);

        Assert.Equal(new TemplateLocation(path, 3, 15), problem.Location);
        Assert.StartsWith($"{path}:3:15: Error while parsing for statement: Expecting <expression> instead of `}}}}`", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_UnknownFunction_IsAnErrorInStrictMode_AtItsPlace()
    {
        var path = Override("status.md.scriban", "# Status\n\nFailed: {{ human_sise status.failed }}\n");

        var problem = await RenderBrokenAsync("status", ReportFormat.Md);

        Assert.Equal($"{path}:3:12: The variable or function `human_sise` was not found", problem.Message);
    }

    [Fact]
    public async Task RenderAsync_ErrorInAnIncludedPart_NamesThePartsFile()
    {
        var part = Override("_head.html.scriban", "<title>{{ report.title | html.escape }}</title>\n<style>{{ if }}</style>\n");
        var runtime = Override("_footer.html.scriban", "<footer>{{ report.no_such_member }}</footer>\n");

        var parse = await RenderBrokenAsync("status", ReportFormat.Html);
        File.Delete(part);
        var member = await RenderBrokenAsync("protection", ReportFormat.Html);

        Assert.Equal(part, parse.Location!.File);
        Assert.Equal(2, parse.Location.Line);
        Assert.Equal(new TemplateLocation(runtime, 1, 19), member.Location);
        Assert.Contains("no_such_member", member.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_FunctionGivenBadArguments_IsATemplateError()
    {
        var path = Override("status.html.scriban", "{{ line_chart 'Rate' period.days [1, 2] '%' }}");
        var problem = await RenderBrokenAsync("status", ReportFormat.Html);

        Assert.Equal(path, problem.Location!.File);
        Assert.Contains("a chart needs one label per value, not 7 labels for 2 values", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_ReportsThatCannotBeRendered_SayWhy()
    {
        var renderer = _catalog.Renderer();
        Override("capacity.csv.scriban", "x");

        var unknown = await renderer.RenderAsync("statuss", SeededCatalog.From, SeededCatalog.Until, ReportFormat.Html, CancellationToken.None);
        var noFormat = await renderer.RenderAsync("capacity", SeededCatalog.From, SeededCatalog.Until, ReportFormat.Html, CancellationToken.None);
        var reversed = await renderer.RenderAsync("status", SeededCatalog.Until, SeededCatalog.From, ReportFormat.Html, CancellationToken.None);
        var tooLong = await renderer.RenderAsync("status", SeededCatalog.From.AddDays(-500), SeededCatalog.Until, ReportFormat.Html, CancellationToken.None);

        Assert.Equal(ReportProblemKind.UnknownReport, unknown.Problem!.Kind);
        Assert.StartsWith("there is no report 'statuss' (there are: capacity, disk-utilization, licence, ", unknown.Problem.Message, StringComparison.Ordinal);
        Assert.Equal(ReportProblemKind.NoTemplateForFormat, noFormat.Problem!.Kind);
        Assert.Equal("the capacity report has no html template (capacity.html.scriban); it has: csv", noFormat.Problem.Message);
        Assert.Equal(ReportProblemKind.BadPeriod, reversed.Problem!.Kind);
        Assert.Equal(ReportProblemKind.BadPeriod, tooLong.Problem!.Kind);
        Assert.Contains("at most 400 days", tooLong.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_Tape_OnlyWhenSomeRecoveryPointHasACopyOnTape()
    {
        await using (var catalog = _catalog.OpenCatalog())
        {
            foreach (var point in await catalog.RecoveryPoints.ToListAsync())
            {
                point.Copies.RemoveAll(c => c.Location == CopyLocation.Tape);
            }

            await catalog.SaveChangesAsync();
        }

        var tape = await _catalog.Renderer().RenderAsync("tape", SeededCatalog.From, SeededCatalog.Until, ReportFormat.Html, CancellationToken.None);
        var points = await RenderAsync("recovery-point", ReportFormat.Csv);

        Assert.Equal(ReportProblemKind.NoData, tape.Problem!.Kind);
        Assert.Equal("there is no tape data: no recovery point has a copy on tape", tape.Problem.Message);
        Assert.Contains("Finance,21,7,", points, StringComparison.Ordinal);
        Assert.DoesNotContain(",3,4\n", points, StringComparison.Ordinal); // the ledger's three tape copies are gone
    }

    private string Override(string name, string text)
    {
        var path = Path.Combine(_catalog.OverrideFolder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<string> RenderAsync(string report, ReportFormat format)
    {
        var result = await _catalog.Renderer().RenderAsync(report, SeededCatalog.From, SeededCatalog.Until, format, CancellationToken.None);
        Assert.True(result.Succeeded, result.Problem?.Message);
        return Encoding.UTF8.GetString(result.Report!.Content);
    }

    private async Task<ReportProblem> RenderBrokenAsync(string report, ReportFormat format)
    {
        var result = await _catalog.Renderer().RenderAsync(report, SeededCatalog.From, SeededCatalog.Until, format, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Equal(ReportProblemKind.TemplateError, result.Problem!.Kind);
        return result.Problem;
    }
}

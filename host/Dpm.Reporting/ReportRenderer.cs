using System.Globalization;
using System.Reflection;
using System.Text;
using Scriban;
using Scriban.Functions;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Dpm.Reporting;

/// <summary>What a template knows about the report it renders.</summary>
public sealed record ReportHeader(string Name, string Title, string Format);

/// <summary>
/// Renders reports with Scriban templates in a sandbox: a template sees the report's data, Scriban's pure built-ins
/// (string, array, math, date, html, regex with a time-out) and <see cref="ReportFunctions"/>, nothing else. It can't
/// read files (an include reaches only the report templates, by name), the environment or the network, can't reach
/// .NET types through the data (only plain properties are visible, never methods), and runs within limits on loop
/// iterations, recursion, string length, output length and time. A broken template, or one that breaks a limit, is
/// a <see cref="ReportProblemKind.TemplateError"/> that says file:line:column and why.
/// </summary>
public sealed class ReportRenderer(IReportSources sources, ReportOptions options, TimeProvider time) : IReportRenderer
{
    /// <summary>The longest period a report covers.</summary>
    public const int MaxDays = 400;

    private static readonly Dictionary<string, string> BuiltInTitles = new(StringComparer.Ordinal)
    {
        ["status"] = "Status Report",
        ["protection"] = "Protection Report",
        ["recovery-point"] = "Recovery Point Report",
        ["recovery"] = "Recovery Report",
        ["disk-utilization"] = "Disk Utilization Report",
        ["licence"] = "Licence Usage Report",
        ["tape"] = "Tape Report",
    };

    /// <summary>Where the built-in templates are: <c>reports/templates</c> beside the assemblies.</summary>
    public static string BuiltInTemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "reports", "templates");

    /// <inheritdoc/>
    public IReadOnlyList<ReportInfo> List() =>
        Templates().Reports()
            .Select(r => new ReportInfo(r.Key, Title(r.Key), r.Value, BuiltInTitles.ContainsKey(r.Key)))
            .OrderBy(r => !r.BuiltIn).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

    /// <inheritdoc/>
    public async Task<ReportResult> RenderAsync(string report, DateTimeOffset from, DateTimeOffset until, ReportFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (until <= from)
        {
            return ReportResult.Failed(ReportProblemKind.BadPeriod, $"the period ends ({until:u}) before it starts ({from:u})");
        }

        if ((until - from).TotalDays > MaxDays)
        {
            return ReportResult.Failed(ReportProblemKind.BadPeriod, $"a report covers at most {MaxDays} days, not {(until - from).TotalDays:0.#}");
        }

        var templates = Templates(); // read on every report, so a changed template counts at once
        var reports = templates.Reports();
        if (!reports.TryGetValue(report, out var formats))
        {
            return ReportResult.Failed(
                ReportProblemKind.UnknownReport,
                $"there is no report '{report}' (there are: {string.Join(", ", reports.Keys.Order(StringComparer.Ordinal))})");
        }

        if (!formats.Contains(format))
        {
            return ReportResult.Failed(
                ReportProblemKind.NoTemplateForFormat,
                $"the {report} report has no {ReportTemplates.FormatName(format)} template ({ReportTemplates.FileName(report, format)}); it has: {string.Join(", ", formats.Select(ReportTemplates.FormatName))}");
        }

        var data = await new ReportDataBuilder(sources, time).BuildAsync(from, until, cancellationToken);
        if (report == "tape" && data.Tape.Tapes == 0)
        {
            return ReportResult.Failed(ReportProblemKind.NoData, "there is no tape data: no recovery point has a copy on tape");
        }

        var header = new ReportHeader(report, Title(report), ReportTemplates.FormatName(format));
        var rendered = Render(templates, templates.Files[ReportTemplates.FileName(report, format)], header, data, cancellationToken);
        if (rendered.Problem is not null)
        {
            return new(null, rendered.Problem);
        }

        var days = data.Period.Days;
        var fileName = FormattableString.Invariant($"{report}-{days[0].Replace("-", "", StringComparison.Ordinal)}-{days[^1].Replace("-", "", StringComparison.Ordinal)}.{header.Format}");
        return new(new RenderedReport(fileName, ContentType(format), Encoding.UTF8.GetBytes(rendered.Text!)), null);
    }

    /// <summary>The media type of a format, with its charset.</summary>
    public static string ContentType(ReportFormat format) => format switch
    {
        ReportFormat.Html => "text/html; charset=utf-8",
        ReportFormat.Csv => "text/csv; charset=utf-8",
        _ => "text/markdown; charset=utf-8",
    };

    /// <summary>Runs one template file on the data in the sandbox.</summary>
    internal (string? Text, ReportProblem? Problem) Render(ReportTemplates templates, string path, ReportHeader header, ReportData data, CancellationToken cancellationToken)
    {
        var template = Template.Parse(File.ReadAllText(path), path);
        if (template.Messages.FirstOrDefault(m => m.Type == ParserMessageType.Error) is { } error)
        {
            return (null, Problem(error.Span, error.Message));
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.TimeLimit);
        var context = Sandbox(templates, limit.Token);
        context.PushGlobal(Globals(header, data));
        try
        {
            return (template.Render(context), null);
        }
        catch (ScriptAbortException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception ex) when (ex is ScriptAbortException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, Problem(context.CurrentSpan, $"the template ran longer than its time limit ({options.TimeLimit.TotalSeconds:0.#} s)"));
        }
        catch (ScriptParserRuntimeException ex) when (ex.ParserMessages.FirstOrDefault(m => m.Type == ParserMessageType.Error) is { } inner)
        {
            return (null, Problem(inner.Span, inner.Message)); // an included template that doesn't parse
        }
        catch (ScriptRuntimeException ex)
        {
            return (null, Problem(ex.Span, ex.InnerException is { } inner && !ex.OriginalMessage.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.OriginalMessage}: {inner.Message}" : ex.OriginalMessage));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidCastException or FormatException or OverflowException or IOException or NullReferenceException or IndexOutOfRangeException)
        {
            return (null, Problem(context.CurrentSpan, ex.Message)); // a built-in function refused what the template gave it
        }
    }

    private TemplateContext Sandbox(ReportTemplates templates, CancellationToken cancellationToken)
    {
        var builtins = new BuiltinFunctions();
        if (builtins["object"] is ScriptObject objectFunctions)
        {
            // They run text as a template: a template's own code is all it runs.
            objectFunctions.Remove("eval");
            objectFunctions.Remove("eval_template");
        }

        var context = new TemplateContext(builtins)
        {
            TemplateLoader = templates.Loader(),
            MemberFilter = IsPlainMember,
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            EnableRelaxedIndexerAccess = false,
            LoopLimit = options.LoopLimit,
            RecursiveLimit = options.RecursionLimit,
            LimitToString = options.StringLimit,
            OutputLimit = options.OutputLimit,
            OnStringLimit = ScriptLimitBehavior.Throw, // an error, not a quietly cut report
            OnOutputLimit = ScriptLimitBehavior.Throw,
            RegexTimeOut = TimeSpan.FromSeconds(1),
            NewLine = "\n",
            CancellationToken = cancellationToken,
        };
        context.PushCulture(CultureInfo.InvariantCulture);
        return context;
    }

    private static ScriptObject Globals(ReportHeader header, ReportData data)
    {
        var globals = new ScriptObject();
        globals.Import(typeof(ReportFunctions));
        foreach (var (name, value) in new (string, object)[]
        {
            ("report", header), ("period", data.Period), ("generated_at", data.GeneratedAt), ("status", data.Status), ("protection", data.Protection),
            ("recovery_points", data.RecoveryPoints), ("recovery", data.Recovery), ("disk", data.Disk), ("licence", data.Licence), ("tape", data.Tape),
        })
        {
            globals.SetValue(name, value, readOnly: true);
        }

        return globals;
    }

    /// <summary>Only the data's plain properties are visible to a template: no method, and nothing that leads to reflection.</summary>
    private static bool IsPlainMember(MemberInfo member) => member switch
    {
        PropertyInfo p => p.GetMethod is { IsPublic: true, IsStatic: false } && p.GetIndexParameters().Length == 0 && IsPlainType(p.PropertyType),
        FieldInfo f => f is { IsPublic: true, IsStatic: false } && IsPlainType(f.FieldType),
        _ => false,
    };

    private static bool IsPlainType(Type type) =>
        !typeof(MemberInfo).IsAssignableFrom(type) && !typeof(Assembly).IsAssignableFrom(type) && !typeof(Module).IsAssignableFrom(type)
        && !typeof(Delegate).IsAssignableFrom(type) && type != typeof(object) && !type.IsPointer && type != typeof(IntPtr);

    private static ReportProblem Problem(SourceSpan span, string message)
    {
        var location = new TemplateLocation(span.FileName ?? "(template)", span.Start.Line + 1, span.Start.Column + 1);
        return new(ReportProblemKind.TemplateError, $"{location}: {message}", location);
    }

    private ReportTemplates Templates() =>
        ReportTemplates.Find([BuiltInTemplatesDirectory, .. sources.GetPluginTemplateFolders(), options.TemplatesDirectory]);

    private static string Title(string report) =>
        BuiltInTitles.TryGetValue(report, out var title) ? title : CultureInfo.InvariantCulture.TextInfo.ToTitleCase(report.Replace('-', ' ')) + " Report";
}

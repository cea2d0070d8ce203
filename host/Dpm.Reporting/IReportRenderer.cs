namespace Dpm.Reporting;

/// <summary>The formats a report can be rendered in; each is one template file, <c>NAME.FORMAT.scriban</c>.</summary>
public enum ReportFormat
{
    /// <summary>A self-contained page: inline CSS and SVG charts, no scripts, nothing fetched.</summary>
    Html,

    /// <summary>Comma-separated values for a spreadsheet.</summary>
    Csv,

    /// <summary>Markdown, for a wiki or an e-mail.</summary>
    Md,
}

/// <summary>A report the server can render, and the formats it has templates for.</summary>
/// <param name="Name">The report's name, as <c>dpm report NAME</c> takes it (for example <c>status</c>).</param>
/// <param name="Title">The report's title.</param>
/// <param name="Formats">The formats it has a template for.</param>
/// <param name="BuiltIn">Whether it is one of DPM's reports (otherwise a deployment or a plugin added it).</param>
public sealed record ReportInfo(string Name, string Title, IReadOnlyList<ReportFormat> Formats, bool BuiltIn);

/// <summary>A rendered report: a file to save, serve or attach to an e-mail.</summary>
/// <param name="FileName">A file name for it, such as <c>status-20261101-20261201.html</c>.</param>
/// <param name="ContentType">Its media type, with the charset (UTF-8).</param>
/// <param name="Content">The file's bytes.</param>
public sealed record RenderedReport(string FileName, string ContentType, byte[] Content);

/// <summary>Why a report was not rendered.</summary>
public enum ReportProblemKind
{
    /// <summary>No template makes a report of that name.</summary>
    UnknownReport,

    /// <summary>The report has no template for that format.</summary>
    NoTemplateForFormat,

    /// <summary>The period is empty, reversed or too long.</summary>
    BadPeriod,

    /// <summary>The report has nothing to show (the tape report when no recovery point has a copy on tape).</summary>
    NoData,

    /// <summary>The template is broken or broke a limit of the sandbox; the message says where (file:line:column) and why.</summary>
    TemplateError,
}

/// <summary>What went wrong with a report, in words an operator can act on.</summary>
/// <param name="Kind">What kind of problem it is.</param>
/// <param name="Message">The whole message; for a template error it starts with <c>file:line:column:</c>.</param>
/// <param name="Location">For a template error, where in which template file it happened.</param>
public sealed record ReportProblem(ReportProblemKind Kind, string Message, TemplateLocation? Location = null);

/// <summary>A place in a template file (line and column count from 1).</summary>
public sealed record TemplateLocation(string File, int Line, int Column)
{
    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A rendered report, or the problem that kept it from being rendered.</summary>
/// <param name="Report">The report, when it was rendered.</param>
/// <param name="Problem">Why it wasn't.</param>
public sealed record ReportResult(RenderedReport? Report, ReportProblem? Problem)
{
    /// <summary>Whether the report was rendered.</summary>
    public bool Succeeded => Problem is null;

    internal static ReportResult Failed(ReportProblemKind kind, string message, TemplateLocation? location = null) => new(null, new(kind, message, location));
}

/// <summary>
/// Renders DPM's reports, and those a deployment or a plugin adds, from the catalog for a period. What the
/// management API, the shell and scheduled reports call.
/// </summary>
public interface IReportRenderer
{
    /// <summary>The reports there are templates for (built-in, plugins', the deployment's), by name.</summary>
    IReadOnlyList<ReportInfo> List();

    /// <summary>
    /// Renders a report over [<paramref name="from"/>, <paramref name="until"/>): days are counted in the offset of
    /// <paramref name="from"/>. A broken template, a template that breaks a sandbox limit, an unknown report or
    /// format, a bad period, or a report with no data is a <see cref="ReportResult.Problem"/>, never an exception.
    /// </summary>
    Task<ReportResult> RenderAsync(string report, DateTimeOffset from, DateTimeOffset until, ReportFormat format, CancellationToken cancellationToken);
}

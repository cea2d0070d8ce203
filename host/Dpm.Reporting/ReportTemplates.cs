using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Dpm.Reporting;

/// <summary>
/// The report templates in force: the built-in ones, then the plugins' <c>reports</c> folders, then the deployment's
/// folder; a later file replaces an earlier one of the same name. A report is <c>NAME.FORMAT.scriban</c> (FORMAT:
/// html, csv or md); a file whose name starts with <c>_</c> is a part that others include by name.
/// </summary>
internal sealed class ReportTemplates
{
    public const string Extension = ".scriban";

    private ReportTemplates(IReadOnlyDictionary<string, string> files) => Files = files;

    /// <summary>Template file name → its full path.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The templates of the folders, in order (missing folders are skipped).</summary>
    public static ReportTemplates Find(IEnumerable<string> folders)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*" + Extension).Order(StringComparer.Ordinal))
            {
                files[Path.GetFileName(path)] = Path.GetFullPath(path);
            }
        }

        return new(files);
    }

    /// <summary>The reports there are templates for, and their formats.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ReportFormat>> Reports() =>
        Files.Keys
            .Select(Parse)
            .OfType<(string Report, ReportFormat Format)>()
            .GroupBy(t => t.Report, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<ReportFormat>)g.Select(t => t.Format).Order().ToList(), StringComparer.Ordinal);

    public static string FileName(string report, ReportFormat format) => $"{report}.{FormatName(format)}{Extension}";

    public static string FormatName(ReportFormat format) => format.ToString().ToLowerInvariant();

    private static (string Report, ReportFormat Format)? Parse(string fileName)
    {
        var parts = fileName[..^Extension.Length].Split('.');
        return parts is [{ Length: > 0 } report, var format] && report[0] != '_' && Enum.TryParse<ReportFormat>(format, ignoreCase: true, out var f) && FormatName(f) == format
            ? (report, f)
            : null;
    }

    /// <summary>An include finds only templates of this set, by file name: no path reaches any other file.</summary>
    public ITemplateLoader Loader() => new SetLoader(this);

    private sealed class SetLoader(ReportTemplates templates) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
            templateName is not null && templates.Files.TryGetValue(templateName, out var path)
                ? path
                : throw new ScriptRuntimeException(callerSpan, $"no report template is named '{templateName}': include names a template of the report folders, such as '_style.html.scriban'");

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            templates.Files.Values.Contains(templatePath, StringComparer.Ordinal)
                ? File.ReadAllText(templatePath)
                : throw new ScriptRuntimeException(callerSpan, $"'{templatePath}' is not a report template");

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) => new(Load(context, callerSpan, templatePath));
    }
}

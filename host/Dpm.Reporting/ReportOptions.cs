using System.ComponentModel.DataAnnotations;

namespace Dpm.Reporting;

/// <summary>Where a deployment's report templates are, and the limits every template runs within.</summary>
public sealed class ReportOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Dpm:Reports";

    /// <summary>
    /// The deployment's template folder: its templates replace built-in and plugins' ones of the same name and add new
    /// reports. Default <c>&lt;data directory&gt;/reports/templates</c>.
    /// </summary>
    public string TemplatesDirectory { get; set; } = "";

    /// <summary>Loop iterations a template may run in all (its loops and the functions it calls that iterate).</summary>
    [Range(1, int.MaxValue)]
    public int LoopLimit { get; set; } = 200_000;

    /// <summary>How deep a template's functions and includes may call one another.</summary>
    [Range(1, 1000)]
    public int RecursionLimit { get; set; } = 64;

    /// <summary>The longest string a template may build (characters).</summary>
    [Range(1, int.MaxValue)]
    public int StringLimit { get; set; } = 1 << 20;

    /// <summary>The longest report a template may write (characters).</summary>
    [Range(1, int.MaxValue)]
    public int OutputLimit { get; set; } = 16 << 20;

    /// <summary>How long a template may run.</summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(60);
}

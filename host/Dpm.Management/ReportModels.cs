namespace Dpm.Management;

/// <summary>A report the server can render: its name (for <c>dpm report NAME</c>), title, and the formats it has templates for (html, csv, md).</summary>
public sealed record ReportSummary(string Name, string Title, IReadOnlyList<string> Formats, bool BuiltIn);

/// <summary>A rendered report as the server sent it.</summary>
public sealed record ReportFile(string FileName, string ContentType, byte[] Content);

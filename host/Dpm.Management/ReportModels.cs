namespace Dpm.Management;

/// <summary>A report the server can render: its name (for <c>dpm report NAME</c>), title, and the formats it has templates for (html, csv, md).</summary>
public sealed record ReportSummary(string Name, string Title, IReadOnlyList<string> Formats, bool BuiltIn);

/// <summary>A rendered report as the server sent it.</summary>
public sealed record ReportFile(string FileName, string ContentType, byte[] Content);

/// <summary>A report to make on a schedule: rendered over a period, written to the report folder, and e-mailed.</summary>
public sealed record NewReportScheduleDto
{
    /// <summary>The report (status, protection, recovery-point, … or one of the deployment's).</summary>
    public required string Report { get; init; }

    /// <summary>html (default), csv or md.</summary>
    public string Format { get; init; } = "html";

    /// <summary>When, in server time: <c>Once 2026-12-01 08:00</c>, <c>Daily 07:00</c>, <c>Weekly Mon 08:00</c>, <c>Monthly 1 08:00</c>, <c>Monthly last 18:00</c>.</summary>
    public required string Recurrence { get; init; }

    /// <summary>
    /// The period each report covers: <c>current week</c> (so far), <c>last 4 weeks</c> (whole weeks before this
    /// one), days or months likewise; by default the day, week or month before (a report made once: the last 7 days).
    /// </summary>
    public string? Period { get; init; }

    /// <summary>The e-mail addresses it goes to (the server's SMTP settings send it); none: the report folder only.</summary>
    public IReadOnlyList<string> To { get; init; } = [];
}

/// <summary>A scheduled report, and when it is next made (none when a report made once has been made).</summary>
public sealed record ReportScheduleInfo(
    Guid Id, string Report, string Format, string Recurrence, string Period, IReadOnlyList<string> To, DateTimeOffset CreatedAt, DateTimeOffset? NextRunAt);

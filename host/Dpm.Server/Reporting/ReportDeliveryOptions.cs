using Dpm.Reporting;

namespace Dpm.Server.Reporting;

/// <summary>Where scheduled reports go: the report folder, and the SMTP server that e-mails them.</summary>
public sealed class ReportDeliveryOptions
{
    /// <summary>The configuration section (the reports' own).</summary>
    public const string Section = ReportOptions.Section;

    /// <summary>The folder scheduled reports are written to. Default <c>&lt;data directory&gt;/reports/out</c>.</summary>
    public string OutputDirectory { get; set; } = "";

    /// <summary>The SMTP server that e-mails scheduled reports to their recipients.</summary>
    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>How the connection to the SMTP server is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it, plain otherwise (TLS from the start on port 465).</summary>
    Auto,

    /// <summary>Plain SMTP, never TLS.</summary>
    None,

    /// <summary>STARTTLS, or no message at all.</summary>
    StartTls,

    /// <summary>TLS from the start (SMTPS, usually port 465).</summary>
    Tls,
}

/// <summary>The SMTP server scheduled reports are e-mailed through (<c>Dpm:Reports:Smtp</c>).</summary>
public sealed class SmtpOptions
{
    /// <summary>Its host name or address; none (the default): scheduled reports are not e-mailed.</summary>
    public string Host { get; set; } = "";

    /// <summary>Its port.</summary>
    public int Port { get; set; } = 25;

    /// <summary>How the connection is secured.</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>The sender's address; default <c>dpm@&lt;computer name&gt;</c>.</summary>
    public string From { get; set; } = "";

    /// <summary>The user to log in as, when the server asks for one.</summary>
    public string? User { get; set; }

    /// <summary>That user's password.</summary>
    public string? Password { get; set; }

    /// <summary>How long the server may take to answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}

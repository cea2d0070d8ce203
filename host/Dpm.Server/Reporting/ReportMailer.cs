using System.Net.Sockets;
using System.Text;
using Dpm.Core.Hosting;
using Dpm.Reporting;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dpm.Server.Reporting;

/// <summary>
/// E-mails reports through the deployment's SMTP server (<c>Dpm:Reports:Smtp</c>): an HTML report is the message's
/// body and its attachment; a CSV or Markdown report is attached to a line that says what it is.
/// </summary>
internal sealed class ReportMailer(IOptions<ReportDeliveryOptions> options, IOptions<DpmHostOptions> host, TimeProvider time)
{
    private SmtpOptions Smtp => options.Value.Smtp;

    /// <summary>Whether an SMTP server is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Smtp.Host);

    /// <summary>The message that carries a report to its recipients.</summary>
    public MimeMessage Compose(RenderedReport report, string subject, IEnumerable<MailboxAddress> to)
    {
        var computer = host.Value.ComputerName;
        var message = new MimeMessage { Subject = subject, Date = time.GetUtcNow() };
        message.From.Add(string.IsNullOrWhiteSpace(Smtp.From) ? new MailboxAddress("DPM", $"dpm@{computer.ToLowerInvariant()}") : MailboxAddress.Parse(Smtp.From));
        message.To.AddRange(to);
        var body = new BodyBuilder { TextBody = $"{subject}, from the DPM server {computer}: {report.FileName}, attached.\n" };
        var type = ContentType.Parse(report.ContentType);
        if (type.IsMimeType("text", "html"))
        {
            body.HtmlBody = Encoding.UTF8.GetString(report.Content);
        }

        body.Attachments.Add(report.FileName, report.Content, type);
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>Sends a message; returns null, or why the SMTP server didn't take it.</summary>
    public async Task<string?> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)Smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(Smtp.Host, Smtp.Port, Security(Smtp.Security), cancellationToken);
            if (!string.IsNullOrEmpty(Smtp.User))
            {
                await client.AuthenticateAsync(Smtp.User, Smtp.Password ?? "", cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or NotSupportedException
            or CommandException or ProtocolException or AuthenticationException or SslHandshakeException or ServiceNotConnectedException)
        {
            return $"the SMTP server {Smtp.Host}:{Smtp.Port} did not take it: {ex.Message}";
        }
    }

    private static SecureSocketOptions Security(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };
}

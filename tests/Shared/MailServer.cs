using System.Diagnostics;
using System.Net.Sockets;
using MimeKit;

namespace Dpm.Tests;

/// <summary>
/// A real SMTP server for the tests: aiosmtpd (Debian's python3-aiosmtpd, installed by the test command) on a free
/// loopback port, keeping every message it accepts in a Maildir of its own. Stopped and deleted at the end.
/// </summary>
public sealed class MailServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private MailServer(Process process, string folder, int port) => (_process, _folder, Port) = (process, folder, port);

    public int Port { get; }

    /// <summary>Where the messages are: a Maildir, one file per message in <c>new/</c>.</summary>
    public string Maildir => Path.Combine(_folder, "mail");

    public static async Task<MailServer> StartAsync()
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; // Debian's, which has python3-aiosmtpd
        var folder = Directory.CreateTempSubdirectory("dpm-smtp-").FullName;
        var port = PostgresServer.FreePort();
        var start = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(folder, "mail") })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.BeginOutputReadLine();
        var server = new MailServer(process, folder, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException(
                    $"aiosmtpd did not start listening on port {port} (the test command installs python3-aiosmtpd: tools/test.sh): {(process.HasExited ? await error : "")}");
            }
        }
    }

    /// <summary>The messages received so far, oldest first.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var arrived = Path.Combine(Maildir, "new");
        return Directory.Exists(arrived)
            ? [.. new DirectoryInfo(arrived).EnumerateFiles().OrderBy(f => f.LastWriteTimeUtc).Select(f => MimeMessage.Load(f.FullName))]
            : [];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

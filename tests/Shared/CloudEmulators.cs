using System.Diagnostics;
using System.Net.Sockets;

namespace Dpm.Tests;

/// <summary>
/// The real object storage emulators the cloud tests run against, from npm (installed by the test command
/// into <c>/var/cache/dpm-tests/node</c>, or where <c>DPM_TEST_NODE_MODULES</c> says): Azurite (Microsoft's
/// Azure Storage emulator) and s3rver (an S3-compatible server). Each starts on a free loopback port with its
/// own data folder, and is stopped and deleted at the end.
/// </summary>
public sealed class CloudEmulator : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string AzuriteAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _folder;

    private CloudEmulator(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Azurite: a connection string for its development account.</summary>
    public string AzureConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteAccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>s3rver: its URL (it knows the access key id S3RVER and checks no signature, so any secret passes).</summary>
    public string S3Url => $"http://127.0.0.1:{Port}";

    public static Task<CloudEmulator> StartAzuriteAsync() =>
        StartAsync("azurite-blob", (folder, port) => ["--blobHost", "127.0.0.1", "--blobPort", $"{port}", "--location", folder, "--skipApiVersionCheck", "--disableTelemetry", "--silent"]);

    public static Task<CloudEmulator> StartS3rverAsync() =>
        StartAsync("s3rver", (folder, port) => ["--address", "127.0.0.1", "--port", $"{port}", "--directory", folder, "--silent"]);

    private static async Task<CloudEmulator> StartAsync(string tool, Func<string, int, string[]> arguments)
    {
        var modules = Environment.GetEnvironmentVariable("DPM_TEST_NODE_MODULES") ?? "/var/cache/dpm-tests/node/node_modules";
        var program = Path.Combine(modules, ".bin", tool);
        if (!File.Exists(program))
        {
            throw new InvalidOperationException($"{program} is missing: the test command installs azurite and s3rver from npm (tools/test.sh)");
        }

        var folder = Directory.CreateTempSubdirectory($"dpm-{tool}-").FullName;
        var port = PostgresServer.FreePort();
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments(folder, port))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var emulator = new CloudEmulator(process, folder, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return emulator;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                await emulator.DisposeAsync();
                throw new InvalidOperationException($"{tool} did not start listening on port {port}");
            }
        }
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

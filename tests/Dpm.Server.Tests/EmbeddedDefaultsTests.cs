using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Dpm.Management;

namespace Dpm.Server.Tests;

/// <summary>The server as a newcomer runs it: a separate process, no configuration at all.</summary>
public sealed class EmbeddedDefaultsTests
{
    [Fact]
    public async Task Server_NoConfiguration_StartsInEvaluationWithEverythingUnderOneDataDirectory()
    {
        var home = Path.Combine(Path.GetTempPath(), "dpm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dpm.Server.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["HOME"] = home;
        start.Environment["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share");
        using var process = Process.Start(start)!;
        var log = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var health = await WaitForHealthAsync(http, process);

            var dataDirectory = Path.Combine(home, ".local", "share", "dpm");
            Assert.Equal(dataDirectory, health.DataDirectory);
            Assert.Equal(Path.Combine(AppContext.BaseDirectory, "plugins"), health.PluginsDirectory);
            Assert.True(File.Exists(Path.Combine(dataDirectory, "licences", "evaluation.json")));
            var licences = await http.GetFromJsonAsync<LicenceState>("/api/licences", ManagementJson.Options);
            Assert.Equal(LicenceMode.Evaluation, licences!.Mode);
            var plugins = await http.GetFromJsonAsync<List<PluginInfo>>("/api/plugins", ManagementJson.Options);
            Assert.Contains(plugins!, p => p.Id == "Fixture.Workload.Enterprise" && p.Status == PluginStatus.Active);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Contains("Licence: Evaluation mode", await log, StringComparison.Ordinal);
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<ServerHealth> WaitForHealthAsync(HttpClient http, Process process)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            Assert.False(process.HasExited, "the server exited during start-up");
            try
            {
                return (await http.GetFromJsonAsync<ServerHealth>("/api/health", ManagementJson.Options))!;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("the server did not answer /api/health");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

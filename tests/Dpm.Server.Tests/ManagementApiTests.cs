using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Server.Tests;

public sealed class ManagementApiTests
{
    [Fact]
    public async Task OpenApi_Document_DescribesTheManagementApi()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));

        var paths = doc.RootElement.GetProperty("paths");
        Assert.All(["/api/health", "/api/plugins", "/api/licences", "/api/licences/{id}", "/api/datasources", "/api/reports", "/api/reports/{name}", "/api/report-schedules", "/api/report-schedules/{id}"], p => Assert.True(paths.TryGetProperty(p, out _), p));
    }

    [Fact]
    public async Task Datasources_OneWorkloadThrows_OthersStillAnswerAndFailureIsReported()
    {
        await using var server = await RunningServer.StartAsync("Fixture.Workload.Standard", "Fixture.Faulty");
        await File.WriteAllTextAsync(Path.Combine(server.PluginsDirectory, "Fixture.Faulty", "fault.txt"), "throw-in-discovery");
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        var report = await http.GetFromJsonAsync<DataSourceInquiry>("/api/datasources", ManagementJson.Options);

        Assert.Equal("Fixture.Workload.Standard", Assert.Single(report!.DataSources).PluginId);
        Assert.Contains("fixture fault: discovery", Assert.Single(report.Failures), StringComparison.Ordinal);
        var plugins = await http.GetFromJsonAsync<List<PluginInfo>>("/api/plugins", ManagementJson.Options);
        Assert.Equal(PluginStatus.Malfunctioned, plugins!.Single(p => p.Id == "Fixture.Faulty").Status);
    }

    [Fact]
    public async Task InstallLicence_Oversized_Refused()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.PostAsync("/api/licences", new StringContent(new string('x', 100_000), Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 65536 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallThenRemoveLicence_EnterprisePluginFollowsTheLicence()
    {
        await using var server = await RunningServer.StartAsync("Fixture.Workload.Enterprise");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        var standardOnly = await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(0, 1, 0)), CancellationToken.None);
        Assert.True(standardOnly.Succeeded);
        Assert.Equal(PluginStatus.DisabledByLicence, Assert.Single((await client.GetPluginsAsync(CancellationToken.None)).Value!).Status);

        var enterprise = await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(0, 0, 1)), CancellationToken.None);

        Assert.True(enterprise.Succeeded);
        Assert.Equal(PluginStatus.Active, Assert.Single((await client.GetPluginsAsync(CancellationToken.None)).Value!).Status);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/licences/{enterprise.Value!.Id}")).StatusCode);
        Assert.Equal(PluginStatus.DisabledByLicence, Assert.Single((await client.GetPluginsAsync(CancellationToken.None)).Value!).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/api/licences/no-such-licence")).StatusCode);
    }
}

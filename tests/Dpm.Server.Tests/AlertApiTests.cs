using System.Net;
using System.Net.Http.Json;
using Dpm.Catalog;
using Dpm.Management;
using Dpm.Server.Protection;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Dpm.Server.Tests;

/// <summary>An operator resolving alerts over the management API.</summary>
public sealed class AlertApiTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static Task<Alert> RaiseAsync(RunningServer server, AlertType type, string subject) =>
        server.App.Services.GetRequiredService<CatalogHost>().Alerts.RaiseAsync(type, AlertSeverity.Critical, subject, "no recovery point for 30 hours", CancellationToken.None);

    [Fact]
    public async Task ResolveAlert_Active_ResolvedWithTheOperatorsResolution_AndListedSo()
    {
        await using var server = await RunningServer.StartAsync(settings: [RunningServer.Unscheduled]);
        var alert = await RaiseAsync(server, AlertType.SlaMissed, "fs1/folder:/srv/finance");
        var other = await RaiseAsync(server, AlertType.SlaMissed, "fs1/folder:/srv/payroll");

        var resolved = await Client(server).ResolveAlertAsync(alert.Id, "  the agent on fs1 was reinstalled ", CancellationToken.None);

        Assert.True(resolved.Succeeded, resolved.Problem?.Detail);
        Assert.Equal((alert.Id, false, "the agent on fs1 was reinstalled"), (resolved.Value!.Id, resolved.Value.IsActive, resolved.Value.Resolution));
        Assert.NotNull(resolved.Value.ResolvedAt);
        var active = (await Client(server).GetAlertsAsync(includeInactive: false, CancellationToken.None)).Value!;
        Assert.Equal(other.Id, Assert.Single(active).Id);
    }

    [Fact]
    public async Task ResolveAlert_UnknownAlreadyResolvedNoResolutionOrNotAnId_RefusedWithTheReason_AndNothingChanges()
    {
        await using var server = await RunningServer.StartAsync(settings: [RunningServer.Unscheduled]);
        var resolvedBefore = await RaiseAsync(server, AlertType.PoolAlmostFull, "disk:/srv/pool");
        await Client(server).ResolveAlertAsync(resolvedBefore.Id, "the pool got a bigger disk", CancellationToken.None);
        var active = await RaiseAsync(server, AlertType.SlaMissed, "fs1/folder:/srv/finance");
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        var unknown = await Client(server).ResolveAlertAsync(Guid.NewGuid(), "nothing", CancellationToken.None);
        var again = await Client(server).ResolveAlertAsync(resolvedBefore.Id, "resolved twice", CancellationToken.None);
        var blank = await Client(server).ResolveAlertAsync(active.Id, "   ", CancellationToken.None);
        using var notAnId = await http.PostAsJsonAsync("/api/alerts/42/resolve", new ResolveAlertDto { Resolution = "x" }, ManagementJson.Options);

        Assert.Equal(404, unknown.Problem!.Status);
        Assert.Contains("there is no alert", unknown.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(409, again.Problem!.Status);
        Assert.Contains("is not active: it was resolved on", again.Problem.Detail, StringComparison.Ordinal);
        Assert.Contains("the pool got a bigger disk", again.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(400, blank.Problem!.Status);
        Assert.Contains("say how the alert was resolved", blank.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notAnId.StatusCode);
        var all = (await Client(server).GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!;
        Assert.Equal("the pool got a bigger disk", all.Single(a => a.Id == resolvedBefore.Id).Resolution);
        Assert.True(all.Single(a => a.Id == active.Id).IsActive);
    }
}

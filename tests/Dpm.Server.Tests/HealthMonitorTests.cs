using System.Net;
using Dpm.Contracts;
using Dpm.Management;
using Dpm.Server.Health;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Server.Tests;

/// <summary>
/// The health monitor of a real server on a clock the test moves: each condition raises its alert while it holds
/// and resolves it, with why, once it no longer does.
/// </summary>
public sealed class HealthMonitorTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static Task<HealthReport> CheckAsync(RunningServer server) => server.App.Services.GetRequiredService<HealthMonitor>().RunAsync(CancellationToken.None);

    private static async Task<List<AlertInfo>> AlertsAsync(RunningServer server, string type) =>
        [.. (await Client(server).GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!.Where(a => a.Type == type)];

    [Fact]
    public async Task Sla_NoRecoveryPointNewerThanTheSla_CriticalAlertPerMember_ResolvedByANewPointOrLeavingTheGroup()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-30));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        var computer = server.App.Services.GetRequiredService<ProtectedComputer>().Name;
        var finance = Directory.CreateDirectory(Path.Combine(server.Root, "finance")).FullName;
        File.WriteAllText(Path.Combine(finance, "ledger.txt"), "numbers");
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Finance", Policy = new ProtectionPolicyDto { SlaHours = 12 } }, CancellationToken.None);
        await client.AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:" + finance }, CancellationToken.None);
        await client.AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:/srv/never-synchronized" }, CancellationToken.None);
        await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + finance }, CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(11));

        var withinSla = await CheckAsync(server);
        clock.Advance(TimeSpan.FromHours(2));
        var missed = await CheckAsync(server);
        await CheckAsync(server);

        Assert.Empty(withinSla.Raised); // the group is younger than its SLA, and the synchronized member's point is 11 hours old
        Assert.Equal(2, missed.Raised.Count);
        var alerts = await AlertsAsync(server, "SlaMissed");
        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a => Assert.Equal(("Critical", true, 2), (a.Severity, a.IsActive, a.Occurrences)));
        Assert.Contains("is newer than the SLA of 12 hours", alerts.Single(a => a.Subject == $"{computer}/folder:{finance}").Message, StringComparison.Ordinal);
        Assert.Contains("has no recovery point", alerts.Single(a => a.Subject == $"{computer}/folder:/srv/never-synchronized").Message, StringComparison.Ordinal);

        var point = (await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + finance }, CancellationToken.None)).Value!.RecoveryPoint;
        await client.RemoveFromProtectionGroupAsync("Finance", "folder:/srv/never-synchronized", CancellationToken.None);
        var settled = await CheckAsync(server);

        Assert.Empty(settled.Raised);
        Assert.Equal(2, settled.Resolved.Count);
        alerts = await AlertsAsync(server, "SlaMissed");
        Assert.All(alerts, a => Assert.False(a.IsActive));
        Assert.Contains($"recovery point {point.Id}", alerts.Single(a => a.Subject == $"{computer}/folder:{finance}").Resolution, StringComparison.Ordinal);
        Assert.Contains("no longer in a protection group", alerts.Single(a => a.Subject == $"{computer}/folder:/srv/never-synchronized").Resolution, StringComparison.Ordinal);
    }

    [LoopMountFact]
    public async Task PoolAlmostFull_DiskOver90PercentUsed_Warning_ResolvedOnceThereIsRoomAgain()
    {
        using var disk = LoopFileSystem.Create(128L << 20);
        await using var server = await RunningServer.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), [RunningServer.Unscheduled, $"--Dpm:Pool:Path={Path.Combine(disk.MountPoint, "pool")}"], "Dpm.Storage.Disk");
        var pool = (await Client(server).GetPoolAsync(CancellationToken.None)).Value!;
        Assert.True(pool.IsOpen, pool.Problem);

        var roomy = await CheckAsync(server);
        var drive = new DriveInfo(disk.MountPoint);
        var filler = Path.Combine(disk.MountPoint, "filler.bin");
        var fill = LoopFileSystem.Run("fallocate", "-l", (drive.AvailableFreeSpace - (drive.TotalSize / 20)).ToString(System.Globalization.CultureInfo.InvariantCulture), filler);
        Assert.True(fill.ExitCode == 0, fill.Output);
        var full = await CheckAsync(server);
        File.Delete(filler);
        var roomAgain = await CheckAsync(server);

        Assert.Empty(roomy.Raised);
        Assert.Equal([$"PoolAlmostFull {pool.Location}"], full.Raised);
        Assert.Equal([$"PoolAlmostFull {pool.Location}"], roomAgain.Resolved);
        var alert = Assert.Single(await AlertsAsync(server, "PoolAlmostFull"));
        Assert.Equal(("Warning", false), (alert.Severity, alert.IsActive));
        Assert.Matches(@"almost full: 9\d% used", alert.Message);
        Assert.Contains("below 90% used again", alert.Resolution, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Licences_NearTheirEndOrOverCounted_AlertsFollowWhatIsInstalledAndHeld()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-400));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled]);
        var client = Client(server);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        // Evaluation mode with 20 days left.
        clock.Advance(TimeSpan.FromDays(160));
        var evaluationEnding = await CheckAsync(server);
        Assert.Equal(["LicenceNearExpiry evaluation"], evaluationEnding.Raised);

        // Licensed: two Standard licences held; one licence of the two ends in 20 days.
        await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(0, 2, 0), id: "lic-main"), CancellationToken.None);
        await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(0, 1, 0), validDays: 20, id: "lic-short"), CancellationToken.None);
        Assert.True(server.Licences.Consume("fs1", LicenceTier.Standard).Granted);
        Assert.True(server.Licences.Consume("fs2", LicenceTier.Standard).Granted);
        var licensed = await CheckAsync(server);
        Assert.Equal(["LicenceNearExpiry licence lic-short"], licensed.Raised);
        Assert.Equal(["LicenceNearExpiry evaluation"], licensed.Resolved);

        // The main licence removed: two computers hold Standard, one is covered.
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/licences/lic-main")).StatusCode);
        var overCounted = await CheckAsync(server);
        Assert.Contains("LicenceOverCount S-DPML", overCounted.Raised);
        var over = Assert.Single(await AlertsAsync(server, "LicenceOverCount"));
        Assert.Equal(("Critical", true), (over.Severity, over.IsActive));
        Assert.Contains("2 computers hold S-DPML licences, but the valid licences installed cover 1", over.Message, StringComparison.Ordinal);

        // A renewal covers both computers for a year, and the short licence goes.
        await client.InstallLicenceAsync(server.IssueLicence(new ComputerCounts(0, 2, 0), id: "lic-renewal"), CancellationToken.None);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/licences/lic-short")).StatusCode);
        var settled = await CheckAsync(server);

        Assert.Empty(settled.Raised);
        Assert.Equal(["LicenceOverCount S-DPML", "LicenceNearExpiry licence lic-short"], settled.Resolved);
        Assert.All(await AlertsAsync(server, "LicenceOverCount"), a => Assert.False(a.IsActive));
        Assert.All(await AlertsAsync(server, "LicenceNearExpiry"), a => Assert.False(a.IsActive));
    }

    [Fact]
    public async Task Licences_EvaluationEndedWithComputersHoldingLicences_BothAlertsStayUntilALicenceIsInstalled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(-400));
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled]);
        Assert.True(server.Licences.Consume("fs1", LicenceTier.Client).Granted);
        clock.Advance(TimeSpan.FromDays(181));

        var ended = await CheckAsync(server);
        var licence = await Client(server).InstallLicenceAsync(server.IssueLicence(new ComputerCounts(1, 0, 0)), CancellationToken.None);
        var licensed = await CheckAsync(server);

        Assert.Equal(["LicenceOverCount C-DPML", "LicenceNearExpiry evaluation"], ended.Raised);
        Assert.Contains("evaluation period ended", (await AlertsAsync(server, "LicenceNearExpiry")).Single().Message, StringComparison.Ordinal);
        Assert.True(licence.Succeeded, licence.Problem?.Detail);
        Assert.Equal(["LicenceOverCount C-DPML", "LicenceNearExpiry evaluation"], licensed.Resolved);
    }
}

using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Dpm.Server.Tests;

/// <summary>Protection groups over the management API, kept in the server's catalog.</summary>
public sealed class ProtectionGroupApiTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task ProtectionGroup_CreateAddListRemove_KeptAcrossARestart()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var policy = new ProtectionPolicyDto { RetentionDays = 10, SynchronizationMinutes = 15, RecoveryPointTimes = ["Daily 08:00", "Fri 20:00"], SlaHours = 12 };

        var created = await Client(server).CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Finance", Policy = policy }, CancellationToken.None);
        var added = await Client(server).AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:/srv/finance" }, CancellationToken.None);
        await Client(server).AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:/srv/payroll" }, CancellationToken.None);
        await server.RestartAsync();
        var removed = await Client(server).RemoveFromProtectionGroupAsync("Finance", "folder:/srv/payroll", CancellationToken.None);
        var listed = await Client(server).GetProtectionGroupsAsync(CancellationToken.None);

        Assert.True(created.Succeeded, created.Problem?.Detail);
        Assert.True(added.Succeeded, added.Problem?.Detail);
        Assert.True(removed.Succeeded, removed.Problem?.Detail);
        var group = Assert.Single(listed.Value!);
        Assert.Equal("Finance", group.Name);
        Assert.Equal(["Daily 08:00", "Fri 20:00"], group.Policy.RecoveryPointTimes);
        Assert.Equal((10, 15, 12), (group.Policy.RetentionDays, group.Policy.SynchronizationMinutes, group.Policy.SlaHours));
        Assert.Single(group.Members);
        Assert.EndsWith("/folder:/srv/finance", group.Members[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 15, "Daily 20:00", "retention range is 1 to 448 days")]
    [InlineData(5, 25, "Daily 20:00", "synchronization frequency must be one of 15, 30, 45")]
    [InlineData(5, 15, "Someday 20:00", "a recovery point time is 'Daily HH:MM'")]
    [InlineData(5, 15, "Mon 25:00", "a recovery point time is 'Daily HH:MM'")]
    public async Task ProtectionGroup_PolicyOutsideWhatDpmOffers_RefusedWithTheReason(int retention, int minutes, string time, string reason)
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");

        var result = await Client(server).CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = "G", Policy = new ProtectionPolicyDto { RetentionDays = retention, SynchronizationMinutes = minutes, RecoveryPointTimes = [time] } }, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(400, result.Problem!.Status);
        Assert.Contains(reason, result.Problem.Detail, StringComparison.Ordinal);
        Assert.Empty((await Client(server).GetProtectionGroupsAsync(CancellationToken.None)).Value!);
    }

    [Fact]
    public async Task ProtectionGroup_SameNameTwiceOrADataSourceInTwoGroups_Refused()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "A" }, CancellationToken.None);
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "B" }, CancellationToken.None);
        await client.AddToProtectionGroupAsync("A", new GroupMemberDto { DataSourceId = "folder:/srv/x" }, CancellationToken.None);

        var sameName = await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "A" }, CancellationToken.None);
        var twoGroups = await client.AddToProtectionGroupAsync("B", new GroupMemberDto { DataSourceId = "folder:/srv/x" }, CancellationToken.None);
        var noGroup = await client.AddToProtectionGroupAsync("C", new GroupMemberDto { DataSourceId = "folder:/srv/y" }, CancellationToken.None);
        var notMember = await client.RemoveFromProtectionGroupAsync("B", "folder:/srv/x", CancellationToken.None);

        Assert.Equal(409, sameName.Problem!.Status);
        Assert.Equal(409, twoGroups.Problem!.Status);
        Assert.Contains("already protected by the group 'A'", twoGroups.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(404, noGroup.Problem!.Status);
        Assert.Equal(404, notMember.Problem!.Status);
    }

    [Fact]
    public async Task ProtectionGroup_NoNameOrADataSourceNoPluginIsKnownFor_RefusedAndNothingKept()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "A" }, CancellationToken.None);

        var noName = await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "  " }, CancellationToken.None);
        var unknownKind = await client.AddToProtectionGroupAsync("A", new GroupMemberDto { DataSourceId = "mailbox:alice" }, CancellationToken.None);
        var hostileName = await client.AddToProtectionGroupAsync("A'; DROP TABLE \"Alerts\"; --", new GroupMemberDto { DataSourceId = "folder:/srv/x" }, CancellationToken.None);

        Assert.Equal(400, noName.Problem!.Status);
        Assert.Contains("needs a name", noName.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(400, unknownKind.Problem!.Status);
        Assert.Contains("say which workload plugin protects 'mailbox:alice'", unknownKind.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal(404, hostileName.Problem!.Status);
        var group = Assert.Single((await client.GetProtectionGroupsAsync(CancellationToken.None)).Value!);
        Assert.Empty(group.Members);
        Assert.Empty((await client.GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!); // the alerts table is still there
    }

    [Fact]
    public async Task ProtectionGroupSet_ChangesOnlyTheGivenValues_KeptAcrossARestart()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        await client.CreateProtectionGroupAsync(
            new NewProtectionGroupDto { Name = "Finance", Policy = new ProtectionPolicyDto { RetentionDays = 10, SynchronizationMinutes = 30, RecoveryPointTimes = ["Daily 08:00"], SlaHours = 12 } },
            CancellationToken.None);
        await client.AddToProtectionGroupAsync("Finance", new GroupMemberDto { DataSourceId = "folder:/srv/finance" }, CancellationToken.None);

        var changed = await client.ChangeProtectionGroupAsync(
            "Finance", new ProtectionPolicyChangeDto { RetentionDays = 20, MaxFileRecoveryPoints = 32, ConsistencyCheckWindowStart = "22:30", ConsistencyCheckWindowMinutes = 180 }, CancellationToken.None);
        var beforePoint = await client.ChangeProtectionGroupAsync("Finance", new ProtectionPolicyChangeDto { SynchronizeBeforeRecoveryPoint = true, RecoveryPointTimes = ["Mon 20:00", "Thu 20:00"] }, CancellationToken.None);
        await client.RemoveFromProtectionGroupAsync("Finance", "folder:/srv/finance", CancellationToken.None);
        await server.RestartAsync();
        var policy = Assert.Single((await Client(server).GetProtectionGroupsAsync(CancellationToken.None)).Value!).Policy;

        Assert.True(changed.Succeeded, changed.Problem?.Detail);
        Assert.True(beforePoint.Succeeded, beforePoint.Problem?.Detail);
        Assert.Equal((20, 30, 12, 32, 448), (changed.Value!.Policy.RetentionDays, changed.Value.Policy.SynchronizationMinutes, changed.Value.Policy.SlaHours, changed.Value.Policy.MaxFileRecoveryPoints, changed.Value.Policy.MaxExpressFulls));
        Assert.Single(changed.Value.Members);
        Assert.Equal(
            policy,
            new ProtectionPolicyDto
            {
                RetentionDays = 20, SynchronizationMinutes = null, RecoveryPointTimes = policy.RecoveryPointTimes, SlaHours = 12,
                MaxFileRecoveryPoints = 32, MaxExpressFulls = 448, ConsistencyCheckWindowStart = "22:30", ConsistencyCheckWindowMinutes = 180,
            });
        Assert.Equal(["Mon 20:00", "Thu 20:00"], policy.RecoveryPointTimes);
    }

    [Theory]
    [InlineData("retention", "the retention range is 1 to 448 days (got 0)")]
    [InlineData("frequency", "synchronization frequency must be one of 15, 30, 45")]
    [InlineData("both-frequencies", "give either a synchronization frequency or synchronization just before each recovery point, not both")]
    [InlineData("time", "a recovery point time is 'Daily HH:MM'")]
    [InlineData("no-times", "needs at least one recovery point time")]
    [InlineData("sla", "the SLA is at least 1 hour")]
    [InlineData("file-limit", "a file data source keeps 1 to 64 recovery points (got 65)")]
    [InlineData("express-fulls", "an application data source keeps 1 to 448 express fulls (got 0)")]
    [InlineData("window", "the consistency-check window starts at HH:MM (got '24:00')")]
    [InlineData("window-length", "the consistency-check window lasts 1 to 24 hours (got 30 minutes)")]
    [InlineData("nothing", "nothing to change")]
    public async Task ProtectionGroupSet_ValueOutsideWhatDpmOffers_RefusedWithTheReason_AndNothingChanges(string bad, string reason)
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        var before = (await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Finance", Policy = new ProtectionPolicyDto { RetentionDays = 10 } }, CancellationToken.None)).Value!.Policy;
        var change = bad switch
        {
            "retention" => new ProtectionPolicyChangeDto { RetentionDays = 0, SlaHours = 48 },
            "frequency" => new ProtectionPolicyChangeDto { SynchronizationMinutes = 25, RetentionDays = 20 },
            "both-frequencies" => new ProtectionPolicyChangeDto { SynchronizationMinutes = 60, SynchronizeBeforeRecoveryPoint = true },
            "time" => new ProtectionPolicyChangeDto { RecoveryPointTimes = ["Daily 20:00", "Someday 20:00"] },
            "no-times" => new ProtectionPolicyChangeDto { RecoveryPointTimes = [] },
            "sla" => new ProtectionPolicyChangeDto { SlaHours = 0 },
            "file-limit" => new ProtectionPolicyChangeDto { MaxFileRecoveryPoints = 65 },
            "express-fulls" => new ProtectionPolicyChangeDto { MaxExpressFulls = 0 },
            "window" => new ProtectionPolicyChangeDto { ConsistencyCheckWindowStart = "24:00" },
            "window-length" => new ProtectionPolicyChangeDto { ConsistencyCheckWindowStart = "22:00", ConsistencyCheckWindowMinutes = 30 },
            _ => new ProtectionPolicyChangeDto(),
        };

        var result = await client.ChangeProtectionGroupAsync("Finance", change, CancellationToken.None);

        Assert.Equal(400, result.Problem!.Status);
        Assert.Contains(reason, result.Problem.Detail, StringComparison.Ordinal);
        var after = Assert.Single((await client.GetProtectionGroupsAsync(CancellationToken.None)).Value!).Policy;
        Assert.Equal(before.RecoveryPointTimes, after.RecoveryPointTimes);
        Assert.Equal(before with { RecoveryPointTimes = after.RecoveryPointTimes }, after);
    }

    [Fact]
    public async Task ProtectionGroup_SynchronizedJustBeforeEachRecoveryPoint_KeptAndListedSo()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");

        var created = await Client(server).CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Mail", Policy = new ProtectionPolicyDto { SynchronizationMinutes = null } }, CancellationToken.None);

        Assert.Null(created.Value!.Policy.SynchronizationMinutes);
        Assert.Null(Assert.Single((await Client(server).GetProtectionGroupsAsync(CancellationToken.None)).Value!).Policy.SynchronizationMinutes);
    }

    [Fact]
    public async Task ProtectionGroupSet_NoSuchGroup_NotFound()
    {
        await using var server = await RunningServer.StartAsync("Dpm.Storage.Disk", "Dpm.Workloads.Files");

        var result = await Client(server).ChangeProtectionGroupAsync("Nobody", new ProtectionPolicyChangeDto { RetentionDays = 10 }, CancellationToken.None);

        Assert.Equal(404, result.Problem!.Status);
        Assert.Contains("there is no protection group named 'Nobody'", result.Problem.Detail, StringComparison.Ordinal);
    }
}

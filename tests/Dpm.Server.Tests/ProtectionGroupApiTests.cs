using Dpm.Management;
using Dpm.Tests;

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
}

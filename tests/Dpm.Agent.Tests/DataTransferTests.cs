using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Dpm.Agent.Tests;

/// <summary>
/// Agents protecting their own data through a server over the data API, all as separate processes on loopback:
/// only what the server lacks goes over the wire, each agent sees its own recovery points only, and recovery
/// gives back the bytes that were protected.
/// </summary>
public sealed class DataTransferTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-transfer-").FullName;
    private AgentFixture? _agentsOnce;

    private AgentFixture Agents => _agentsOnce ??= new AgentFixture(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static DpmManagementClient Client(ServerProcess server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task TwoAgents_ProtectTheirOwnFolders_SendOnlyWhatChanged_SeeOnlyTheirOwn_AndRecoverExactly()
    {
        using var server = await Agents.StartServerAsync("--Dpm:Agents:Url=https://127.0.0.1:0");
        var client = Client(server);
        var files = AgentFixture.RandomFolder(Path.Combine(_root, "fileserver1-data"), files: 4, bytesEach: 2 << 20, seed: 1);
        var laptop = AgentFixture.RandomFolder(Path.Combine(_root, "laptop7-data"), files: 2, bytesEach: 1 << 20, seed: 2);
        await Agents.AttachAsync(client, "fileserver1");
        await Agents.AttachAsync(client, "laptop7");

        var first = await Agents.SynchronizeAsync("fileserver1", files);
        var original = Path.Combine(_root, "fileserver1-original");
        CopyFolder(files, original);
        var fromLaptop = await Agents.SynchronizeAsync("laptop7", laptop);
        var changed = new byte[100_000];
        new Random(3).NextBytes(changed);
        await using (var file = File.OpenWrite(Path.Combine(files, "file-002.bin")))
        {
            file.Position = 1 << 20;
            file.Write(changed);
        }

        var second = await Agents.SynchronizeAsync("fileserver1", files);

        Assert.True(first.GetProperty("bytesSent").GetInt64() >= 8 << 20, first.ToString()); // the replica: everything once
        Assert.True(second.GetProperty("bytesSent").GetInt64() < 2 << 20, second.ToString()); // the express full: the chunks around the change
        Assert.True(fromLaptop.GetProperty("bytesSent").GetInt64() >= 2 << 20, fromLaptop.ToString());

        var mine = await Agents.RunAsync("fileserver1", "recovery-points", "--json");
        var theirs = await Agents.RunAsync("laptop7", "recovery-points", "--json");
        var minePoints = JsonDocument.Parse(mine.Output).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        var theirPoints = JsonDocument.Parse(theirs.Output).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal([first.GetProperty("recoveryPointId").GetString(), second.GetProperty("recoveryPointId").GetString()], minePoints);
        Assert.Equal([fromLaptop.GetProperty("recoveryPointId").GetString()], theirPoints);

        var target = Path.Combine(_root, "recovered");
        var recovered = await Agents.RunAsync("fileserver1", "recover", "--recovery-point", minePoints[0]!, "--to", target);
        Assert.True(recovered.ExitCode == 0, recovered.Error);
        AgentFixture.AssertSameFiles(original, target);

        var catalog = (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!;
        Assert.Equal(["fileserver1", "fileserver1", "laptop7"], catalog.Select(p => p.Computer).Order(StringComparer.Ordinal));
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal(3, verify.RecoveryPoints);
        Assert.Empty(verify.Damaged);
    }

    /// <summary>
    /// On-the-wire compression follows the protection group's policy: text from a data source of a compressing
    /// group goes over compressed; the same text from a data source outside it does not.
    /// </summary>
    [Fact]
    public async Task CompressionOnTheWire_FollowsTheProtectionGroupsPolicy()
    {
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        await Agents.AttachAsync(client, "mail2");
        var text = string.Concat(Enumerable.Range(0, 60_000).Select(i => $"{i:D8} Dear customer, your invoice {i * 7 % 1000} is attached.\n"));
        var compressed = Directory.CreateDirectory(Path.Combine(_root, "letters")).FullName;
        var plain = Directory.CreateDirectory(Path.Combine(_root, "drafts")).FullName;
        File.WriteAllText(Path.Combine(compressed, "letters.txt"), text);
        File.WriteAllText(Path.Combine(plain, "drafts.txt"), text.Replace("Dear", "Hello", StringComparison.Ordinal));
        Assert.True((await client.CreateProtectionGroupAsync(new NewProtectionGroupDto { Name = "Mail", Policy = new ProtectionPolicyDto { CompressOnTheWire = true } }, CancellationToken.None)).Succeeded);
        Assert.True((await client.AddToProtectionGroupAsync("Mail", new GroupMemberDto { DataSourceId = "folder:" + compressed, Computer = "mail2" }, CancellationToken.None)).Succeeded);

        var inGroup = await Agents.SynchronizeAsync("mail2", compressed);
        var outside = await Agents.SynchronizeAsync("mail2", plain);

        var size = new FileInfo(Path.Combine(compressed, "letters.txt")).Length;
        Assert.True(inGroup.GetProperty("bytesSent").GetInt64() < size / 4, inGroup.ToString());
        Assert.True(outside.GetProperty("bytesSent").GetInt64() >= size, outside.ToString());
    }

    /// <summary>
    /// What an express full puts on the wire: a 1 GiB data source, replica made, then 1% of its bytes rewritten
    /// in place (eight runs of 1.3 MiB in eight files); every byte that goes from the agent to the server is
    /// counted by a proxy between them, TLS and HTTP/2 included.
    /// </summary>
    [Fact]
    public async Task ExpressFull_OfAGigabyte_AfterAOnePercentChange_SendsAtMostTwoPercentOverTheWire()
    {
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        await Agents.AttachAsync(client, "sql7");
        await using var proxy = new FaultProxy(new Uri(Agents.ServerUrl("sql7")).Port, drop: 0, busy: 0);
        Agents.Redirect("sql7", $"https://127.0.0.1:{proxy.Port}/");
        var data = AgentFixture.RandomFolder(Path.Combine(_root, "big"), files: 16, bytesEach: 64 << 20, seed: 5);
        const long size = 1L << 30;

        var replica = await Agents.SynchronizeAsync("sql7", data);
        var afterReplica = proxy.BytesUp;
        var random = new Random(6);
        var run = new byte[1_363_149]; // 8 × 1.3 MiB = 1.016% of 1 GiB
        for (var i = 0; i < 8; i++)
        {
            random.NextBytes(run);
            await using var file = File.OpenWrite(Path.Combine(data, $"file-{i * 2:D3}.bin"));
            file.Position = random.NextInt64((64 << 20) - run.Length);
            await file.WriteAsync(run);
        }

        var expressFull = await Agents.SynchronizeAsync("sql7", data);
        var wire = proxy.BytesUp - afterReplica;

        output.WriteLine($"replica creation: {afterReplica} bytes over the wire for {size} bytes ({100.0 * afterReplica / size:0.00}%)");
        output.WriteLine($"express full after 8 x {run.Length} bytes changed ({100.0 * 8 * run.Length / size:0.000}%): {wire} bytes over the wire ({100.0 * wire / size:0.000}%), {expressFull.GetProperty("bytesSent").GetInt64()} bytes of chunks, {expressFull.GetProperty("bytesRead").GetInt64()} bytes read");
        Assert.True(replica.GetProperty("bytesSent").GetInt64() >= size);
        Assert.True(wire <= size / 50, $"{wire} bytes went over the wire, more than 2% of {size}");
    }

    /// <summary>
    /// A running agent on btrfs (its change journal lives as long as the agent runs): the file workload knows the
    /// changed extents of a large file, so the agent reads only those and rebuilds the touched chunks from their
    /// old content, which it fetches from the server (its own latest point); only the rebuilt chunks and the
    /// growth go back.
    /// </summary>
    [LoopMountFact]
    public async Task ExpressFull_OnBtrfs_TheRunningAgentReadsOnlyTheChangedRanges()
    {
        using var volume = LoopFileSystem.Create(256L << 20, type: "btrfs");
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        await Agents.AttachAsync(client, "hyperv3");
        var log = new System.Text.StringBuilder();
        using var running = ProcessRunner.Start("dpm-agent.dll", Agents.Environment("hyperv3"), log, "run");
        var dispatcher = server.App.Services.GetRequiredService<Dpm.Server.Agents.AgentDispatcher>();
        for (var waited = 0; !dispatcher.IsConnected("hyperv3"); waited++)
        {
            Assert.True(waited < 600, $"the agent didn't take work: {log}");
            await Task.Delay(100);
        }

        var disk = AgentFixture.RandomFolder(Directory.CreateDirectory(Path.Combine(volume.MountPoint, "vms")).FullName, files: 1, bytesEach: 48 << 20, seed: 21);
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + disk, Computer = "hyperv3" };
        Assert.True((await client.SynchronizeAsync(request, CancellationToken.None)).Succeeded);
        await using (var image = File.OpenWrite(Path.Combine(disk, "file-000.bin")))
        {
            var page = new byte[8192];
            foreach (var at in new[] { 3, 1000, 2500, 4000 })
            {
                Random.Shared.NextBytes(page);
                image.Position = at * 8192L;
                image.Write(page);
            }

            image.Position = image.Length;
            image.Write(new byte[300_000]); // and it grows
        }

        var kept = Path.Combine(_root, "kept");
        CopyFolder(disk, kept);
        var second = await client.SynchronizeAsync(request, CancellationToken.None);

        Assert.True(second.Succeeded, second.Problem?.Detail);
        var point = second.Value!.RecoveryPoint;
        Assert.True(point.BytesRead < (48 << 20) / 20, $"read {point.BytesRead} bytes of 48 MiB");
        Assert.True(point.BytesRead >= (4 * 8192) + 300_000, $"read only {point.BytesRead} bytes");
        Assert.True(point.NewBytes < 8 << 20, $"{point.NewBytes} new bytes");
        running.Kill(entireProcessTree: true);
        var target = Path.Combine(_root, "recovered");
        var recovered = await Agents.RunAsync("hyperv3", "recover", "--recovery-point", point.Id, "--to", target);
        Assert.True(recovered.ExitCode == 0, recovered.Error);
        AgentFixture.AssertSameFiles(kept, target);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}

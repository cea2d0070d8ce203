using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Agent.Tests;

/// <summary>
/// A synchronization survives the network and the server: a connection cut in the middle of the transfer is
/// picked up again without resending what the server has; a server killed in the middle of it is run again
/// after the restart, sending only what the server hadn't made durable. No half recovery point ever appears,
/// and the pool verifies clean afterwards.
/// </summary>
public sealed class NetworkFaultTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-faults-").FullName;

    private AgentFixture Agents => _agentsOnce ??= new AgentFixture(_root);

    private AgentFixture? _agentsOnce;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ConnectionCutMidTransfer_TheSynchronizationGoesOn_WithoutResendingWhatTheServerHas()
    {
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled, "--Dpm:Agents:CheckpointMegabytes=16"], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        await Agents.AttachAsync(client, "branch1");
        var data = AgentFixture.RandomFolder(Path.Combine(_root, "data"), files: 6, bytesEach: 16 << 20, seed: 11);
        await using var proxy = new FaultProxy(new Uri(Agents.ServerUrl("branch1")).Port, drop: 0, busy: 0, cut: 1, cutAfterBytes: 40 * MiB);
        Agents.Redirect("branch1", $"https://127.0.0.1:{proxy.Port}/");

        var synchronized = await Agents.SynchronizeAsync("branch1", data);

        output.WriteLine($"96 MiB protected over a connection cut after 40 MiB: {proxy.BytesUp} bytes over the wire, {synchronized.GetProperty("bytesSent").GetInt64()} bytes of chunks sent");
        Assert.Equal(1, proxy.Spoiled); // the connection was cut once, 40 MiB into the transfer
        // Everything once, plus at most the batch that was on its way when the cut came (8 MiB), plus TLS and HTTP/2 framing.
        Assert.True(proxy.BytesUp < (96 + 8 + 4) * MiB, $"{proxy.BytesUp} bytes went over the wire for 96 MiB");
        await AssertOnePointThatRecoversAsync(client, "branch1", data, synchronized);
    }

    [Fact]
    public async Task ServerKilledMidTransfer_TheSynchronizationRunsAgainAfterTheRestart_SendingOnlyWhatWasNotDurable()
    {
        var agentsUrl = $"https://127.0.0.1:{PostgresServer.FreePort()}";
        var server = await Agents.StartServerAsync($"--Dpm:Agents:Url={agentsUrl}", "--Dpm:Agents:CheckpointMegabytes=16");
        try
        {
            var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
            await Agents.AttachAsync(client, "branch2");
            var data = AgentFixture.RandomFolder(Path.Combine(_root, "data"), files: 12, bytesEach: 16 << 20, seed: 12);
            var synchronizing = Agents.RunAsync("branch2", "synchronize", "--datasource", "folder:" + data, "--json");

            // Once the server made at least 64 MiB durable (its resume journal lists their chunks), kill it.
            var journal = Path.Combine(_root, "server", "agents", "resume");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (JournalBytes(journal) < 64 * MiB / (256 << 10) * 32 && !synchronizing.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.False(synchronizing.IsCompleted, "the synchronization ended before the server could be killed");
            var killedAt = JournalBytes(journal);
            await server.KillAsync();
            server.Dispose();
            server = await Agents.StartServerAsync($"--Dpm:Agents:Url={agentsUrl}", "--Dpm:Agents:CheckpointMegabytes=16");

            var run = await synchronizing;
            Assert.True(run.ExitCode == 0, run.Error);
            var synchronized = JsonDocument.Parse(run.Output).RootElement;
            output.WriteLine($"192 MiB protected across a server kill at {killedAt} journal bytes: {synchronized.GetProperty("bytesSent").GetInt64()} bytes of chunks sent in all");
            // Without the journal the second run would send all 192 MiB again after at least 64 MiB: 256 MiB or more.
            Assert.True(synchronized.GetProperty("bytesSent").GetInt64() < 224 * MiB, synchronized.ToString());
            Assert.Contains("running the synchronization again", run.Error, StringComparison.Ordinal);
            await AssertOnePointThatRecoversAsync(new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) }), "branch2", data, synchronized);
        }
        finally
        {
            server.Dispose();
        }
    }

    private static long JournalBytes(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length) : 0;

    /// <summary>The computer has exactly one recovery point, it recovers to the protected bytes, and the pool verifies clean.</summary>
    private async Task AssertOnePointThatRecoversAsync(DpmManagementClient client, string computer, string data, JsonElement synchronized)
    {
        var points = (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!;
        Assert.Equal([synchronized.GetProperty("recoveryPointId").GetString()], points.Where(p => p.Computer == computer).Select(p => p.Id));
        var target = Path.Combine(_root, "recovered-" + computer);
        var recovered = await Agents.RunAsync(computer, "recover", "--recovery-point", points.Single(p => p.Computer == computer).Id, "--to", target);
        Assert.True(recovered.ExitCode == 0, recovered.Error);
        AgentFixture.AssertSameFiles(data, target);
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Empty(verify.Damaged);
        Assert.Empty(verify.Problems);
    }
}

using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Agent.Tests;

/// <summary>
/// Agents protecting their own data through a server over the data API, all as separate processes on loopback:
/// only what the server lacks goes over the wire, each agent sees its own recovery points only, and recovery
/// gives back the bytes that were protected.
/// </summary>
public sealed class DataTransferTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-transfer-").FullName;
    private readonly AgentFixture _agents;

    public DataTransferTests() => _agents = new AgentFixture(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<ServerProcess> StartServerAsync(params string[] settings)
    {
        var plugins = Path.Combine(_root, "server-plugins");
        if (!Directory.Exists(plugins))
        {
            FixturePlugins.CopyTo(plugins, "Dpm.Storage.Disk");
            FixturePlugins.CopyTo(plugins, "Dpm.Workloads.Files");
        }

        return await ServerProcess.StartAsync(Path.Combine(_root, "server.log"),
        [
            $"--Dpm:DataDirectory={Path.Combine(_root, "server")}", $"--Dpm:Plugins:Directory={plugins}", "--Dpm:ComputerName=backupserver",
            $"--Dpm:Pool:Path={Path.Combine(_root, "pool")}", $"--Dpm:Pool:KeyFile={Path.Combine(_root, "pool.key")}", RunningServer.Unscheduled, .. settings,
        ]);
    }

    private static DpmManagementClient Client(ServerProcess server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task TwoAgents_ProtectTheirOwnFolders_SendOnlyWhatChanged_SeeOnlyTheirOwn_AndRecoverExactly()
    {
        using var server = await StartServerAsync("--Dpm:Agents:Url=https://127.0.0.1:0");
        var client = Client(server);
        var files = AgentFixture.RandomFolder(Path.Combine(_root, "fileserver1-data"), files: 4, bytesEach: 2 << 20, seed: 1);
        var laptop = AgentFixture.RandomFolder(Path.Combine(_root, "laptop7-data"), files: 2, bytesEach: 1 << 20, seed: 2);
        await _agents.AttachAsync(client, "fileserver1");
        await _agents.AttachAsync(client, "laptop7");

        var first = await _agents.SynchronizeAsync("fileserver1", files);
        var original = Path.Combine(_root, "fileserver1-original");
        CopyFolder(files, original);
        var fromLaptop = await _agents.SynchronizeAsync("laptop7", laptop);
        var changed = new byte[100_000];
        new Random(3).NextBytes(changed);
        await using (var file = File.OpenWrite(Path.Combine(files, "file-002.bin")))
        {
            file.Position = 1 << 20;
            file.Write(changed);
        }

        var second = await _agents.SynchronizeAsync("fileserver1", files);

        Assert.True(first.GetProperty("bytesSent").GetInt64() >= 8 << 20, first.ToString()); // the replica: everything once
        Assert.True(second.GetProperty("bytesSent").GetInt64() < 2 << 20, second.ToString()); // the express full: the chunks around the change
        Assert.True(fromLaptop.GetProperty("bytesSent").GetInt64() >= 2 << 20, fromLaptop.ToString());

        var mine = await _agents.RunAsync("fileserver1", "recovery-points", "--json");
        var theirs = await _agents.RunAsync("laptop7", "recovery-points", "--json");
        var minePoints = JsonDocument.Parse(mine.Output).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        var theirPoints = JsonDocument.Parse(theirs.Output).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal([first.GetProperty("recoveryPointId").GetString(), second.GetProperty("recoveryPointId").GetString()], minePoints);
        Assert.Equal([fromLaptop.GetProperty("recoveryPointId").GetString()], theirPoints);

        var target = Path.Combine(_root, "recovered");
        var recovered = await _agents.RunAsync("fileserver1", "recover", "--recovery-point", minePoints[0]!, "--to", target);
        Assert.True(recovered.ExitCode == 0, recovered.Error);
        AgentFixture.AssertSameFiles(original, target);

        var catalog = (await client.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!;
        Assert.Equal(["fileserver1", "fileserver1", "laptop7"], catalog.Select(p => p.Computer).Order(StringComparer.Ordinal));
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal(3, verify.RecoveryPoints);
        Assert.Empty(verify.Damaged);
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

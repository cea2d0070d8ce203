using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;
using Dpm.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.Agent.Tests;

/// <summary>
/// Agents as dpm-agent processes on this machine, each with its own data directory and the file workload, and
/// the test's own view of an agent's identity (its certificate) for calls an agent would make by hand.
/// </summary>
public sealed class AgentFixture(string root)
{
    private readonly Lazy<string> _plugins = new(() =>
    {
        var folder = Path.Combine(root, "agent-plugins");
        FixturePlugins.CopyTo(folder, "Dpm.Workloads.Files");
        return folder;
    });

    public Dictionary<string, string?> Environment(string name) => new()
    {
        ["Dpm__DataDirectory"] = Path.Combine(root, name),
        ["Dpm__Plugins__Directory"] = _plugins.Value,
        ["Dpm__ComputerName"] = name,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public Task<ProcessRunner.Result> RunAsync(string name, params string[] args) => ProcessRunner.RunAsync("dpm-agent.dll", Environment(name), args);

    /// <summary>
    /// Starts a server as a process of its own on embedded defaults under the fixture's folder (its pool there too),
    /// unscheduled, with the disk and file workload plugins; <paramref name="settings"/> add to that.
    /// </summary>
    public async Task<ServerProcess> StartServerAsync(params string[] settings)
    {
        var plugins = Path.Combine(root, "server-plugins");
        if (!Directory.Exists(plugins))
        {
            FixturePlugins.CopyTo(plugins, "Dpm.Storage.Disk");
            FixturePlugins.CopyTo(plugins, "Dpm.Workloads.Files");
        }

        return await ServerProcess.StartAsync(Path.Combine(root, "server.log"),
        [
            $"--Dpm:DataDirectory={Path.Combine(root, "server")}", $"--Dpm:Plugins:Directory={plugins}", "--Dpm:ComputerName=backupserver",
            $"--Dpm:Pool:Path={Path.Combine(root, "pool")}", $"--Dpm:Pool:KeyFile={Path.Combine(root, "pool.key")}", RunningServer.Unscheduled, .. settings,
        ]);
    }

    /// <summary>Issues a token for <paramref name="name"/> and attaches its agent with it.</summary>
    public async Task AttachAsync(DpmManagementClient client, string name)
    {
        var token = (await client.IssueAttachTokenAsync(name, CancellationToken.None)).Value!;
        var attached = await RunAsync(name, "attach", "--server", token.AgentUrl, "--token", token.Token);
        Assert.True(attached.ExitCode == 0, attached.Error);
    }

    /// <summary>Runs <c>dpm-agent synchronize</c> of a folder and returns what it printed as JSON.</summary>
    public async Task<JsonElement> SynchronizeAsync(string name, string folder)
    {
        var run = await RunAsync(name, "synchronize", "--datasource", "folder:" + folder, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        return JsonDocument.Parse(run.Output).RootElement;
    }

    /// <summary>The server address the agent was attached to.</summary>
    public string ServerUrl(string name) => File.ReadAllText(Path.Combine(root, name, "identity", "server.url"));

    /// <summary>Points the agent at another address of its server (a proxy in front of it).</summary>
    public void Redirect(string name, string url) => File.WriteAllText(Path.Combine(root, name, "identity", "server.url"), url);

    /// <summary>The data API as the agent of <paramref name="name"/> reaches it: its certificate, its server.</summary>
    public ReplicaConnection Connect(string name)
    {
        var identity = Path.Combine(root, name, "identity");
        return new ReplicaConnection(
            new Uri(File.ReadAllText(Path.Combine(identity, "server.url"))),
            System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.Combine(identity, "agent.crt"), Path.Combine(identity, "agent.key")),
            System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(identity, "authority.crt"))),
            NullLogger.Instance) { RetryWindow = TimeSpan.FromSeconds(5) };
    }

    /// <summary>A folder of files of random (incompressible) bytes.</summary>
    public static string RandomFolder(string path, int files, int bytesEach, int seed)
    {
        Directory.CreateDirectory(path);
        var random = new Random(seed);
        var buffer = new byte[bytesEach];
        for (var i = 0; i < files; i++)
        {
            random.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(path, $"file-{i:D3}.bin"), buffer);
        }

        return path;
    }

    /// <summary>Whether two folders hold the same files with the same bytes.</summary>
    public static void AssertSameFiles(string expected, string actual)
    {
        var want = Directory.GetFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order(StringComparer.Ordinal).ToList();
        var got = Directory.GetFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(want, got);
        foreach (var file in want)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), $"{file} differs");
        }
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dpm.Management;
using Dpm.Server.Agents;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Agent.Tests;

/// <summary>
/// Agents attaching to a real server (in the test process) as separate dpm-agent processes: a one-time token
/// for a client certificate, then mutual TLS; tokens that are reused, expired, altered or from another server,
/// a removed agent and a certificate of another authority are all refused with the reason.
/// </summary>
public sealed class AttachTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-agents-").FullName;

    private AgentFixture? _agents;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string?> Agent(string name) => (_agents ??= new AgentFixture(_root)).Environment(name);

    private static Task<ProcessRunner.Result> AgentAsync(Dictionary<string, string?> agent, params string[] args) => ProcessRunner.RunAsync("dpm-agent.dll", agent, args);

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task TwoAgents_AttachWithTheirTokens_ThenTalkMutualTls_AndARemovedOneIsRefusedAtOnce()
    {
        await using var server = await RunningServer.StartAsync();
        var tokens = new Dictionary<string, AttachTokenInfo>();
        foreach (var name in new[] { "fileserver1", "laptop7" })
        {
            tokens[name] = (await Client(server).IssueAttachTokenAsync(name, CancellationToken.None)).Value!;
            var attached = await AgentAsync(Agent(name), "attach", "--server", tokens[name].AgentUrl, "--token", tokens[name].Token);
            Assert.True(attached.ExitCode == 0, attached.Error);
            Assert.Contains($"as {name}", attached.Output, StringComparison.Ordinal);
        }

        var beats = await Task.WhenAll(tokens.Keys.Select(name => AgentAsync(Agent(name), "heartbeat", "--json")));
        var agents = (await Client(server).GetAgentsAsync(CancellationToken.None)).Value!;

        Assert.All(beats, b => Assert.True(b.ExitCode == 0, b.Error));
        Assert.Equal(["fileserver1", "laptop7"], agents.Select(a => a.ComputerName));
        Assert.All(agents, a => Assert.True(a.Attached && a.LastHeartbeat is not null && a.Version is not null));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_root, "laptop7", "identity", "agent.key")));

        var removed = await Client(server).RemoveAgentAsync("laptop7", CancellationToken.None);
        var refused = await AgentAsync(Agent("laptop7"), "heartbeat");
        var stillFine = await AgentAsync(Agent("fileserver1"), "heartbeat");

        Assert.True(removed.Value!.Revoked);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the agent of laptop7 was removed", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, stillFine.ExitCode);
    }

    [Fact]
    public async Task Tokens_Reused_Expired_Altered_OrOfAnotherServer_Refused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, []);
        var used = (await Client(server).IssueAttachTokenAsync("db1", CancellationToken.None)).Value!;
        Assert.Equal(0, (await AgentAsync(Agent("db1"), "attach", "--server", used.AgentUrl, "--token", used.Token)).ExitCode);
        var expiring = (await Client(server).IssueAttachTokenAsync("db2", CancellationToken.None)).Value!;
        var fresh = (await Client(server).IssueAttachTokenAsync("db3", CancellationToken.None)).Value!;
        var (id, secret, pin) = AttachTokenFormat.Parse(fresh.Token)!.Value;
        clock.Advance(TimeSpan.FromMinutes(61));

        var reused = await AgentAsync(Agent("thief"), "attach", "--server", used.AgentUrl, "--token", used.Token);
        var expired = await AgentAsync(Agent("db2"), "attach", "--server", expiring.AgentUrl, "--token", expiring.Token);
        var altered = await AgentAsync(Agent("db3"), "attach", "--server", fresh.AgentUrl, "--token", AttachTokenFormat.Format(id, (secret[0] == 'x' ? "y" : "x") + secret[1..], pin));
        var otherServer = await AgentAsync(Agent("db3"), "attach", "--server", fresh.AgentUrl, "--token", AttachTokenFormat.Format(id, secret, new string('0', 64)));
        var garbage = await AgentAsync(Agent("db3"), "attach", "--server", fresh.AgentUrl, "--token", "hello");

        Assert.Contains("the server refused to attach this agent: the attach token was used already", reused.Error, StringComparison.Ordinal);
        Assert.Contains("the attach token expired at", expired.Error, StringComparison.Ordinal);
        Assert.Contains("unknown, or it was altered", altered.Error, StringComparison.Ordinal);
        Assert.Contains("is not the one the token was made by", otherServer.Error, StringComparison.Ordinal);
        Assert.Contains("this is not an attach token", garbage.Error, StringComparison.Ordinal);
        Assert.All(new[] { reused, expired, altered, otherServer, garbage }, r => Assert.Equal(1, r.ExitCode));
        Assert.False(Directory.Exists(Path.Combine(_root, "thief", "identity")));
        Assert.Equal(1, (await AgentAsync(Agent("db3"), "attach", "--server", fresh.AgentUrl, "--token", fresh.Token)).ExitCode); // its hour is over too
    }

    [Fact]
    public async Task CertificateOfAnotherAuthority_Refused()
    {
        await using var server = await RunningServer.StartAsync();
        var token = (await Client(server).IssueAttachTokenAsync("web1", CancellationToken.None)).Value!;
        Assert.Equal(0, (await AgentAsync(Agent("web1"), "attach", "--server", token.AgentUrl, "--token", token.Token)).ExitCode);

        // The agent's files now hold a certificate for the same name from an authority of its own making.
        var identity = Path.Combine(_root, "web1", "identity");
        using var forger = CertificateAuthority.LoadOrCreate(Path.Combine(_root, "forger"), "forger", TimeProvider.System);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var forged = forger.IssueClientCertificate(new CertificateRequest("CN=web1", key, HashAlgorithmName.SHA256).CreateSigningRequest(), "web1");
        File.WriteAllText(Path.Combine(identity, "agent.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(identity, "agent.crt"), forged.ExportCertificatePem());

        var refused = await AgentAsync(Agent("web1"), "heartbeat");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not one this server issued", refused.Error, StringComparison.Ordinal);
        Assert.Null((await Client(server).GetAgentsAsync(CancellationToken.None)).Value!.Single().LastHeartbeat);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Dpm.Catalog;
using Dpm.Core.Hosting;
using Dpm.Management;
using Dpm.Server.Health;
using Dpm.Server.Protection;
using Dpm.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Agent.Tests;

/// <summary>
/// Agent health on a real server (in the test process) with agents as dpm-agent processes: what an agent's
/// heartbeat tells the server, the AgentNotResponding alert the health check raises for an agent gone silent and
/// a heartbeat resolves, and the heartbeats a running agent sends on its own.
/// </summary>
public sealed class AgentHealthTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-agent-health-").FullName;

    private AgentFixture? _agents;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string?> Agent(string name, string? plugins = null)
    {
        var agent = (_agents ??= new AgentFixture(_root)).Environment(name);
        agent["Dpm__Plugins__Directory"] = plugins ?? Path.Combine(_root, "no-plugins");
        return agent;
    }

    private static Task<ProcessRunner.Result> AgentAsync(Dictionary<string, string?> agent, params string[] args) => ProcessRunner.RunAsync("dpm-agent.dll", agent, args);

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static Task<HealthReport> CheckAsync(RunningServer server) => server.App.Services.GetRequiredService<HealthMonitor>().RunAsync(CancellationToken.None);

    private static async Task<List<AlertInfo>> AgentAlertsAsync(RunningServer server) =>
        [.. (await Client(server).GetAlertsAsync(includeInactive: true, CancellationToken.None)).Value!.Where(a => a.Type == "AgentNotResponding")];

    private static async Task AttachAsync(RunningServer server, Dictionary<string, string?> agent)
    {
        var token = (await Client(server).IssueAttachTokenAsync(agent["Dpm__ComputerName"]!, CancellationToken.None)).Value!;
        var attached = await AgentAsync(agent, "attach", "--server", token.AgentUrl, "--token", token.Token);
        Assert.True(attached.ExitCode == 0, attached.Error);
    }

    private static async Task BeatAsync(Dictionary<string, string?> agent)
    {
        var beat = await AgentAsync(agent, "heartbeat");
        Assert.True(beat.ExitCode == 0, beat.Error);
    }

    [Fact]
    public async Task HealthCheck_AgentSilentLongerThanTheTimeout_CriticalAlertNamingItsLastHeartbeat_ResolvedAtOnceByTheNextHeartbeat()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled]);
        var (fileserver, laptop, db) = (Agent("fileserver1"), Agent("laptop7"), Agent("db1"));
        foreach (var agent in new[] { fileserver, laptop, db })
        {
            await AttachAsync(server, agent);
        }

        await BeatAsync(fileserver);
        await BeatAsync(laptop); // db1 never sends one: its attach counts instead
        var lastBeat = clock.GetUtcNow();
        Assert.True((await Client(server).RemoveAgentAsync("laptop7", CancellationToken.None)).Succeeded);

        // The server's own computer is in the catalog once its data is protected; its agent runs in the server.
        var own = server.App.Services.GetRequiredService<IOptions<DpmHostOptions>>().Value.ComputerName;
        await using (var catalog = server.App.Services.GetRequiredService<CatalogHost>().Open())
        {
            catalog.Computers.Add(new Computer { Name = own, AttachedAt = clock.GetUtcNow() });
            await catalog.SaveChangesAsync();
        }

        clock.Advance(TimeSpan.FromMinutes(29));
        var withinTimeout = await CheckAsync(server);
        clock.Advance(TimeSpan.FromMinutes(2));
        var silent = await CheckAsync(server);

        Assert.DoesNotContain(withinTimeout.Raised, r => r.StartsWith("AgentNotResponding", StringComparison.Ordinal));
        Assert.Equal(["AgentNotResponding db1", "AgentNotResponding fileserver1"], silent.Raised.Where(r => r.StartsWith("AgentNotResponding", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var alerts = await AgentAlertsAsync(server);
        Assert.All(alerts, a => Assert.Equal(("Critical", true), (a.Severity, a.IsActive)));
        Assert.Equal(["db1", "fileserver1"], alerts.Select(a => a.Subject).Order(StringComparer.Ordinal));
        var message = alerts.Single(a => a.Subject == "fileserver1").Message;
        Assert.Contains("the agent of fileserver1 is not responding", message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"its last heartbeat was at {lastBeat:u}, more than 30 minutes ago"), message, StringComparison.Ordinal);
        Assert.Contains("it has sent no heartbeat since it attached at", alerts.Single(a => a.Subject == "db1").Message, StringComparison.Ordinal);

        await BeatAsync(fileserver);
        var answered = (await AgentAlertsAsync(server)).Single(a => a.Subject == "fileserver1");
        var settled = await CheckAsync(server);

        Assert.False(answered.IsActive); // at the heartbeat, before any health check
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"the agent of fileserver1 sent a heartbeat at {clock.GetUtcNow():u}"), answered.Resolution);
        Assert.Contains("AgentNotResponding db1", settled.Raised);
        Assert.DoesNotContain("AgentNotResponding fileserver1", settled.Raised);
        Assert.DoesNotContain("AgentNotResponding fileserver1", settled.Resolved);
    }

    [Fact]
    public async Task AgentGet_AfterAHeartbeat_ShowsVersionLastHeartbeatAndTheLoadedPlugins()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(clock, [RunningServer.Unscheduled]);
        var plugins = Path.Combine(_root, "fileserver1-plugins");
        FixturePlugins.CopyTo(plugins, "Dpm.Workloads.Files");
        var agent = Agent("fileserver1", plugins);
        await AttachAsync(server, agent);
        var before = (await Client(server).GetAgentsAsync(CancellationToken.None)).Value!.Single();

        await BeatAsync(agent);
        var shell = await ProcessRunner.RunAsync("dpm.dll", new Dictionary<string, string?> { ["DPM_SERVER"] = null }, "--server", server.Url, "agent", "get", "--json");

        Assert.Empty(before.Plugins);
        Assert.True(shell.ExitCode == 0, shell.Error);
        var listed = JsonSerializer.Deserialize<List<AgentInfo>>(shell.Output, ManagementJson.Options)!;
        var seen = Assert.Single(listed);
        Assert.Equal("fileserver1", seen.ComputerName);
        Assert.Equal(["Dpm.Workloads.Files"], seen.Plugins);
        Assert.Equal(clock.GetUtcNow(), seen.LastHeartbeat);
        Assert.False(string.IsNullOrEmpty(seen.Version));
        using var json = JsonDocument.Parse(shell.Output);
        Assert.Equal("Dpm.Workloads.Files", json.RootElement[0].GetProperty("plugins")[0].GetString());
    }

    [Fact]
    public async Task Run_Attached_SendsHeartbeatsOnItsOwn_AndGoesOnLoggingWhenRefused()
    {
        await using var server = await RunningServer.StartAsync();
        var agent = Agent("fileserver1");
        await AttachAsync(server, agent);
        agent["Dpm__Agent__HeartbeatSeconds"] = "1";
        var log = new StringBuilder();
        string Log()
        {
            lock (log)
            {
                return log.ToString();
            }
        }

        using var running = ProcessRunner.Start("dpm-agent.dll", agent, log, "run");
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            var seen = new List<DateTimeOffset>();
            while (seen.Count < 3)
            {
                Assert.True(DateTime.UtcNow < deadline && !running.HasExited, $"heartbeats seen at {string.Join(", ", seen)}; the agent wrote: {Log()}");
                if ((await Client(server).GetAgentsAsync(CancellationToken.None)).Value!.Single().LastHeartbeat is { } last && !seen.Contains(last))
                {
                    seen.Add(last); // the first heartbeat, then two changes
                }

                await Task.Delay(200);
            }

            Assert.True((await Client(server).RemoveAgentAsync("fileserver1", CancellationToken.None)).Succeeded);
            while (!Log().Contains("Heartbeat not sent: the server refused this agent: the agent of fileserver1 was removed", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline && !running.HasExited, $"the agent wrote: {Log()}");
                await Task.Delay(200);
            }

            await Task.Delay(1500); // another refused heartbeat, and it still runs
            Assert.False(running.HasExited, Log());
        }
        finally
        {
            running.Kill(entireProcessTree: true);
            await running.WaitForExitAsync();
        }
    }
}

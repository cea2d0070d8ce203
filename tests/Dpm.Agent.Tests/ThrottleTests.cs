using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;
using Xunit.Abstractions;

namespace Dpm.Agent.Tests;

/// <summary>
/// Network bandwidth usage throttling, measured: an agent (a dpm-agent process) reaches its server through a
/// proxy that times the bytes on the wire, and synchronizes random data at its computer's work-hours rate, then
/// at its non-work-hours rate. Alone in its collection: other tests on the same cores would slow the agent down.
/// </summary>
[Collection(nameof(ThrottleTests))]
public sealed class ThrottleTests(ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1 << 20;
    private const string Computer = "fileserver1";

    private readonly string _root = Directory.CreateTempSubdirectory("dpm-throttle-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    [Fact]
    public async Task Synchronize_ThrottledComputer_SendsAtTheWorkHoursRateInWorkHours_AndAtTheNonWorkHoursRateOutside()
    {
        await using var server = await RunningServer.StartAsync([RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = Client(server);
        var token = (await client.IssueAttachTokenAsync(Computer, CancellationToken.None)).Value!;
        await using var link = new FaultProxy(new Uri(token.AgentUrl).Port, drop: 0, busy: 0);
        var agent = new Dictionary<string, string?>
        {
            ["Dpm__DataDirectory"] = Path.Combine(_root, "agent"),
            ["Dpm__Plugins__Directory"] = Path.GetDirectoryName(FixturePlugins.CopyTo(Path.Combine(_root, "plugins"), "Dpm.Workloads.Files")),
            ["Dpm__ComputerName"] = Computer,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var attached = await ProcessRunner.RunAsync("dpm-agent.dll", agent, "attach", "--server", $"https://127.0.0.1:{link.Port}", "--token", token.Token);
        Assert.True(attached.ExitCode == 0, attached.Error);

        // Unthrottled first: a server's first synchronization pays for its start (compiling the data path, the
        // pool's first pack), which is no part of a rate.
        await SynchronizeAsync(agent, link, RandomFolder("warm-up", 4 * MiB));

        // Work hours all day, every day: the work-hours rate applies now.
        // Rates low enough that the agent's own work between batches (chunking, hashing, TLS) stays a small part of the
        // time even when the test runs beside others on a busy machine: at 2 and 6 MiB/s it measured 20% low under load.
        var allWork = await client.SetThrottleAsync(Computer, new AgentThrottle(1 * MiB, 0, Enum.GetValues<DayOfWeek>(), "00:00", "24:00"), CancellationToken.None);
        Assert.True(allWork.Succeeded, allWork.Problem?.Detail);
        var atWorkRate = await SynchronizeAsync(agent, link, RandomFolder("projects", 12 * MiB));

        // No work days: the non-work-hours rate applies now.
        var noWork = await client.SetThrottleAsync(Computer, new AgentThrottle(1 * MiB, 3 * MiB, [], "00:00", "24:00"), CancellationToken.None);
        Assert.True(noWork.Succeeded, noWork.Problem?.Detail);
        var atNonWorkRate = await SynchronizeAsync(agent, link, RandomFolder("archive", 12 * MiB));

        Assert.InRange(atWorkRate, 0.8 * 1 * MiB, 1.2 * 1 * MiB);
        Assert.InRange(atNonWorkRate, 0.8 * 3 * MiB, 1.2 * 3 * MiB);
    }

    /// <summary>
    /// Synchronizes a folder of the agent's and returns the rate its data went over the wire at, in bytes per
    /// second: what passed the proxy from the agent's first byte to its last. The agent process's start (the
    /// runtime, its host and plugins: most of a second, a fifth of the whole transfer at 3 MiB/s) comes before
    /// its first byte and isn't counted, nor is its exit; everything the synchronization does on the network is:
    /// the TLS handshake, opening the session, chunking between batches, the throttle's waits, sending and
    /// committing.
    /// </summary>
    private async Task<double> SynchronizeAsync(Dictionary<string, string?> agent, FaultProxy link, string folder)
    {
        var size = Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);
        link.TakeTrafficUp();
        var started = Stopwatch.GetTimestamp();
        var run = await ProcessRunner.RunAsync("dpm-agent.dll", agent, "synchronize", "--datasource", "folder:" + folder, "--json");
        var (bytes, elapsed) = link.TakeTrafficUp();
        output.WriteLine($"{folder}: {bytes} bytes on the wire in {elapsed.TotalSeconds:0.000} s: {bytes / elapsed.TotalSeconds / MiB:0.000} MiB/s; the process ran {Stopwatch.GetElapsedTime(started).TotalSeconds:0.000} s");

        Assert.True(run.ExitCode == 0, run.Error);
        using var report = JsonDocument.Parse(run.Output);
        var sent = report.RootElement.GetProperty("bytesSent").GetInt64();
        Assert.True(sent >= size && bytes >= sent, $"{sent} bytes of chunks sent, {bytes} bytes on the wire: the random data went whole");
        return bytes / elapsed.TotalSeconds;
    }

    /// <summary>A folder of <paramref name="bytes"/> of random data (which no chunk of another folder and no compression can save) in four files.</summary>
    private string RandomFolder(string name, long bytes)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        for (var i = 0; i < 4; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"part{i}.bin"), RandomNumberGenerator.GetBytes((int)(bytes / 4)));
        }

        return folder;
    }
}

/// <summary>Throttle measurements run alone: their rates are timed.</summary>
[CollectionDefinition(nameof(ThrottleTests), DisableParallelization = true)]
public sealed class ThrottleMeasurements;

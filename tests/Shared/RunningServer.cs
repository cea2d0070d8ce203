using System.Security.Cryptography;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Dpm.Tests;

/// <summary>
/// A real server (Kestrel on a free loopback port) in the test process, with its own data directory, the
/// fixture plugins built beside the tests, and a licence key pair the test owns.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly ECDsa _issuer = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private readonly TimeProvider? _time;
    private readonly IReadOnlyList<string> _settings;

    private RunningServer(string root, TimeProvider? time, IReadOnlyList<string> settings) => (Root, _time, _settings) = (root, time, settings);

    /// <summary>The setting that leaves the schedule alone, for a test that runs the work it checks by hand.</summary>
    public const string Unscheduled = "--Dpm:Scheduler:Enabled=false";

    public string Root { get; }

    /// <summary>This server's own schedule name: servers in one test process must not share one.</summary>
    public string SchedulerName => "test-" + Path.GetFileName(Root);

    public string DataDirectory => Path.Combine(Root, "data");

    public string PluginsDirectory => Path.Combine(Root, "plugins");

    public WebApplication App { get; private set; } = null!;

    public string Url { get; private set; } = "";

    public PluginManager Plugins => App.Services.GetRequiredService<PluginManager>();

    public LicenceService Licences => App.Services.GetRequiredService<LicenceService>();

    /// <summary>Starts a server whose plugins folder holds copies of the named fixture plugins.</summary>
    public static Task<RunningServer> StartAsync(params string[] fixtures) => StartAsync(null, [], fixtures);

    /// <summary>Starts a server with more configuration (<c>--Key=value</c> arguments) and copies of the named fixture plugins.</summary>
    public static Task<RunningServer> StartAsync(IReadOnlyList<string> settings, params string[] fixtures) => StartAsync(null, settings, fixtures);

    /// <summary>
    /// Starts a server as <see cref="StartAsync(IReadOnlyList{string}, string[])"/> does, on the given clock (the
    /// scheduler's too).
    /// </summary>
    public static async Task<RunningServer> StartAsync(TimeProvider? time, IReadOnlyList<string> settings, params string[] fixtures)
    {
        var server = new RunningServer(Path.Combine(Path.GetTempPath(), "dpm-tests", Guid.NewGuid().ToString("N")), time, settings);
        Directory.CreateDirectory(server.PluginsDirectory);
        foreach (var fixture in fixtures)
        {
            FixturePlugins.CopyTo(server.PluginsDirectory, fixture);
        }

        await server.RunAsync();
        return server;
    }

    /// <summary>Stops the server and starts it again on the same data and plugins (a new address), doing <paramref name="whileStopped"/> in between.</summary>
    public async Task RestartAsync(Action? whileStopped = null)
    {
        await App.StopAsync();
        await App.DisposeAsync();
        whileStopped?.Invoke();
        await RunAsync();
    }

    private async Task RunAsync()
    {
        var trust = LicenceTrust.FromPem(_issuer.ExportSubjectPublicKeyInfoPem());
        App = DpmServer.Build(
            ["--urls", "http://127.0.0.1:0", $"--Dpm:DataDirectory={DataDirectory}", $"--Dpm:Plugins:Directory={PluginsDirectory}", "--Logging:LogLevel:Default=Warning", "--Dpm:Agents:Url=https://127.0.0.1:0", $"--Dpm:Scheduler:Name={SchedulerName}", .. _settings],
            builder =>
            {
                builder.Services.AddSingleton(trust);
                if (_time is not null)
                {
                    builder.Services.AddSingleton(_time);
                }
            });
        await App.StartAsync();
        Url = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>A licence signed with the key this server trusts.</summary>
    public string IssueLicence(ComputerCounts computers, string licensee = "Contoso", int validDays = 365, string? id = null) =>
        LicenceFile.Sign(
            new LicenceContent
            {
                Id = id ?? $"lic-{Guid.NewGuid():N}",
                Licensee = licensee,
                IssuedAt = Now.AddMinutes(-1),
                ExpiresAt = Now.AddDays(validDays),
                Computers = computers,
            },
            _issuer);

    private DateTimeOffset Now => (_time ?? TimeProvider.System).GetUtcNow();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _issuer.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

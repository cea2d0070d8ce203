using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dpm.Catalog;
using Dpm.Core.Hosting;
using Dpm.Management;
using Dpm.Server.Protection;
using Dpm.Transfer;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Agents;

/// <summary>Where agents reach the server.</summary>
public sealed class AgentOptions
{
    public const string Section = "Dpm:Agents";

    /// <summary>The agents' address (HTTPS, mutual TLS): a loopback or interface address and a port; 0 picks a free port.</summary>
    public string Url { get; set; } = "https://127.0.0.1:5719";

    /// <summary>How long an attach token works.</summary>
    public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>How many megabytes of chunks an agent sends between two checkpoints (what a cut-off synchronization never sends again).</summary>
    public int CheckpointMegabytes { get; set; } = 64;

    /// <summary>How long a synchronization an agent stopped sending for is kept before it is dropped.</summary>
    public double SessionIdleMinutes { get; set; } = 10;

    /// <summary>
    /// How long an attached agent may go without a heartbeat before the health check raises AgentNotResponding.
    /// Agents send one every 5 minutes (Dpm:Agent:HeartbeatSeconds, 300), so 30 minutes is six missed in a row:
    /// a restart of the agent or the server, or a short network outage, passes without an alert; an agent that
    /// stopped is found within this time and one health check (every 15 minutes) more.
    /// </summary>
    [Range(1, 7 * 24 * 60)]
    public int HeartbeatTimeoutMinutes { get; set; } = 30;
}

/// <summary>
/// The agents' endpoint: a Kestrel of its own on <see cref="AgentOptions.Url"/>, TLS with a certificate from the
/// server's authority. Attaching (with a one-time token) is the one call without a client certificate; every
/// other call must present the certificate this server gave that computer's agent, not revoked since.
/// </summary>
internal sealed partial class AgentListener(
    IOptions<AgentOptions> options, IOptions<DpmHostOptions> host, CatalogHost catalog, ReplicaSessions sessions, AgentDispatcher dispatcher, TimeProvider time, ILoggerFactory logging, ILogger<AgentListener> logger)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;
    private ReplicaConnection? _local;

    /// <summary>
    /// The server's own, in-process agent's connection to this endpoint: it protects and recovers the server's
    /// computer through the same data API as any attached agent.
    /// </summary>
    public ReplicaConnection LocalAgent => _local ?? throw new InvalidOperationException("the agents' endpoint is not listening yet");

    public CertificateAuthority Authority { get; private set; } = null!;

    /// <summary>The address agents use, once listening (the real port when 0 was asked for).</summary>
    public string Url { get; private set; } = "";

    public AttachTokenBook Tokens => new(catalog.Open, time);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Authority = CertificateAuthority.LoadOrCreate(Path.Combine(host.Value.DataDirectory, "agents"), host.Value.ComputerName, time);
        var uri = new Uri(options.Value.Url);
        var serverCertificate = Authority.IssueServerCertificate(["localhost", "127.0.0.1", host.Value.ComputerName, uri.Host]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton(this);
        builder.Services.AddSingleton(sessions);
        builder.Services.AddSingleton(dispatcher);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = ReplicaConnection.MaxMessageSize;
            grpc.MaxSendMessageSize = ReplicaConnection.MaxMessageSize;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 << 20;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 << 20;
            kestrel.Listen(IPAddress.Parse(uri.Host == "localhost" ? "127.0.0.1" : uri.Host), uri.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    ServerCertificateChain = [Authority.Certificate],
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true, // checked per call below: attaching has no certificate yet
                });
            });
        });
        _app = builder.Build();
        _app.MapGrpcService<ReplicaService>();
        _app.MapGet("/agent/authority", () => Results.Text(Authority.Certificate.ExportCertificatePem(), "application/x-pem-file")); // public: an agent checks it against its token's pin
        _app.MapPost("/agent/attach", AttachAsync);
        _app.MapPost("/agent/heartbeat", HeartbeatAsync);
        _app.MapFallback(() => Results.Problem(
            title: "not an agent's call",
            detail: "this endpoint only takes recovery points from agents and gives them their own back: it can't list other computers' data, delete, prune or change policies (the management API does that, for the administrator)",
            statusCode: StatusCodes.Status403Forbidden));
        await _app.StartAsync(cancellationToken);
        Url = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        _local = new ReplicaConnection(new Uri(Url), Authority.IssueLocalAgentCertificate(host.Value.ComputerName), Authority.Certificate, logging.CreateLogger<ReplicaConnection>(), time);
        Listening(logger, Url);
    }

    private async Task<IResult> AttachAsync(AttachRequest request, CancellationToken cancellationToken)
    {
        var redeemed = await Tokens.RedeemAsync(request.Token, cancellationToken);
        if (!redeemed.Succeeded)
        {
            return Results.Problem(title: "attach refused", detail: redeemed.Problem, statusCode: StatusCodes.Status403Forbidden);
        }

        X509Certificate2 issued;
        try
        {
            issued = Authority.IssueClientCertificate(PemEncoding.Find(request.CertificateRequestPem) is var pem ? Convert.FromBase64String(request.CertificateRequestPem[pem.Base64Data]) : [], redeemed.ComputerName!);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return Results.Problem(title: "attach refused", detail: ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        using (issued)
        {
            await using var context = catalog.Open();
            var computer = await context.Computers.FindAsync([redeemed.ComputerName!], cancellationToken);
            if (computer is null)
            {
                computer = context.Computers.Add(new Computer { Name = redeemed.ComputerName!, AttachedAt = time.GetUtcNow() }).Entity;
            }

            computer.AttachedAt = time.GetUtcNow();
            computer.CertificateThumbprint = issued.GetCertHashString(HashAlgorithmName.SHA256);
            computer.RevokedAt = null;
            await context.SaveChangesAsync(cancellationToken);
            return Results.Ok(new AttachResponse(redeemed.ComputerName!, issued.ExportCertificatePem(), Authority.Certificate.ExportCertificatePem()));
        }
    }

    private async Task<IResult> HeartbeatAsync(HttpContext http, AgentHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        var (computer, problem) = await IdentifyAsync(await http.Connection.GetClientCertificateAsync(cancellationToken), cancellationToken);
        if (computer is null)
        {
            return Results.Problem(title: "refused", detail: problem, statusCode: StatusCodes.Status403Forbidden);
        }

        await using var context = catalog.Open();
        var row = await context.Computers.SingleAsync(c => c.Name == computer, cancellationToken);
        var now = time.GetUtcNow();
        row.LastHeartbeat = now;
        row.AgentVersion = heartbeat.Version;
        row.AgentPlugins = string.Join(',', heartbeat.Plugins ?? []);
        await context.SaveChangesAsync(cancellationToken);

        // The agent answers again: the operator sees that now, not at the next health check.
        await catalog.Alerts.ResolveAsync(AlertType.AgentNotResponding, row.Name, HeartbeatResolution(row.Name, now), cancellationToken);
        return Results.Ok(ToInfo(row));
    }

    /// <summary>A computer's agent as the management API and the agent itself see it.</summary>
    public static AgentInfo ToInfo(Computer computer) =>
        new(computer.Name, computer.RevokedAt is null, computer.RevokedAt is not null, computer.AgentVersion, computer.LastHeartbeat, computer.CertificateThumbprint)
        {
            Plugins = computer.AgentPlugins?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [],
        };

    /// <summary>Why an AgentNotResponding alert was resolved: the agent sent a heartbeat again.</summary>
    public static string HeartbeatResolution(string computer, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"the agent of {computer} sent a heartbeat at {at:u}");

    /// <summary>
    /// The computer a call comes from: its client certificate must be from this server's authority, in its time,
    /// and the very one its agent was given at its latest attach, not revoked since (or the server's own agent's).
    /// </summary>
    public async Task<(string? Computer, string? Problem)> IdentifyAsync(X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        var (computer, problem) = Authority.Validate(certificate);
        if (computer is null)
        {
            return (null, problem);
        }

        if (CertificateAuthority.IsLocalAgent(certificate!))
        {
            return computer == host.Value.ComputerName ? (computer, null) : (null, $"'{certificate!.Subject}' is not this server's own agent");
        }

        await using var context = catalog.Open();
        var row = await context.Computers.AsNoTracking().SingleOrDefaultAsync(c => c.Name == computer, cancellationToken);
        if (row?.RevokedAt is { } revoked)
        {
            return (null, $"the agent of {computer} was removed at {revoked:u}: attach it again to use it");
        }

        return row?.CertificateThumbprint == certificate!.GetCertHashString(HashAlgorithmName.SHA256)
            ? (computer, null)
            : (null, $"this certificate of {computer} was replaced by a later attach");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _local?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Authority?.Dispose();
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Agents connect at {Url} (mutual TLS; attach with a one-time token)")]
    private static partial void Listening(ILogger logger, string url);
}

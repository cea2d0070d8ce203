using System.Security.Cryptography.X509Certificates;
using Dpm.Transfer.Wire;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Dpm.Transfer;

/// <summary>The session a synchronization was writing is gone (the server restarted, or dropped it): run it again.</summary>
public sealed class ReplicaSessionLostException(string message, Exception innerException) : IOException(message, innerException);

/// <summary>
/// An agent's connection to its server's data API: mutual TLS with the agent's certificate, the server's
/// authority as the only trusted root. A call cut off by the network is tried again on a new connection for
/// a while (<see cref="RetryWindow"/>); every call of the API can safely be sent twice.
/// </summary>
public sealed partial class ReplicaConnection : IDisposable
{
    /// <summary>The largest message either side sends: a batch of chunks.</summary>
    public const int MaxMessageSize = 32 << 20;

    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;

    /// <summary>A connection to <paramref name="server"/> as the holder of <paramref name="certificate"/>, trusting <paramref name="authority"/> alone; certificates are checked against <paramref name="time"/> (the server's own clock, for its in-process agent).</summary>
    public ReplicaConnection(Uri server, X509Certificate2 certificate, X509Certificate2 authority, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        time ??= TimeProvider.System;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            SslOptions =
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is X509Certificate2 x && ChainsTo(x, authority, time.GetUtcNow()),
            },
        };
        _channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = MaxMessageSize,
            MaxSendMessageSize = MaxMessageSize,
        });
        Client = new Replica.ReplicaClient(_channel);
        Server = server;
        _logger = logger;
    }

    public Uri Server { get; }

    public Replica.ReplicaClient Client { get; }

    /// <summary>How long a call cut off by the network is tried again before the work fails.</summary>
    public TimeSpan RetryWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Bytes of chunk data sent (after compression), for the job's report.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    private long _bytesSent;

    internal void CountSent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    /// <summary>
    /// Runs a call, trying it again while the server can't be reached or the connection drops; a session the
    /// server no longer knows becomes <see cref="ReplicaSessionLostException"/>; a refusal an
    /// <see cref="InvalidOperationException"/> with the server's reason.
    /// </summary>
    public async Task<T> CallAsync<T>(string what, Func<CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(new CallOptions(cancellationToken: cancellationToken));
            }
            catch (RpcException ex) when (IsTransient(ex, cancellationToken) && DateTimeOffset.UtcNow - started < RetryWindow)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(5000, 100 << Math.Min(attempt, 6)));
                Log.Retrying(_logger, what, Server, ex.Status.Detail, attempt, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && ex.Trailers.GetValue("dpm-session-lost") is not null)
            {
                throw new ReplicaSessionLostException($"the server at {Server} no longer has this synchronization's session ({ex.Status.Detail})", ex);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(ex.Status.Detail, ex, cancellationToken);
            }
            catch (RpcException ex) when (!IsTransient(ex, cancellationToken) || ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
            {
                throw new InvalidOperationException(Describe(what, ex), ex);
            }
        }
    }

    /// <summary>The error an agent's user reads for a refused or failed call.</summary>
    public string Describe(string what, RpcException ex) => ex.StatusCode switch
    {
        StatusCode.PermissionDenied => $"the server at {Server} refused to {what}: {ex.Status.Detail}",
        StatusCode.Unavailable => $"can't {what}: the server at {Server} can't be reached ({ex.Status.Detail}); if it answers other agents, this agent's certificate may have been refused (removed, or from another server): attach it again",
        _ => $"can't {what}: {ex.Status.Detail} ({ex.StatusCode})",
    };

    private static bool IsTransient(RpcException ex, CancellationToken cancellationToken) =>
        ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown
        || (ex.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested)
        || (ex.StatusCode == StatusCode.Aborted && ex.Trailers.GetValue("dpm-retry") is not null);

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> alone, valid at <paramref name="at"/> (now when not given).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority, DateTimeOffset? at = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.VerificationTime = (at ?? DateTimeOffset.UtcNow).UtcDateTime;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose() => _channel.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 70, Level = LogLevel.Warning, Message = "Can't {What} at {Server} ({Problem}); attempt {Attempt}, trying again in {Seconds:0.0} s")]
        public static partial void Retrying(ILogger logger, string what, Uri server, string problem, int attempt, double seconds);
    }
}

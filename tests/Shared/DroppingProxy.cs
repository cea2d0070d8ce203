using System.Net;
using System.Net.Sockets;

namespace Dpm.Tests;

/// <summary>
/// A TCP proxy on a free loopback port in front of a real server that cuts connections on purpose: while
/// <see cref="DropAfterBytes"/> is set, each connection is reset once that many bytes went through it in either
/// direction (the client sees a dropped connection mid-request or mid-response). Counts the drops.
/// </summary>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _drops;

    public DroppingProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes after which a connection is cut; null lets everything through.</summary>
    public long? DropAfterBytes { get; set; }

    /// <summary>How many connections were cut so far.</summary>
    public int Drops => Volatile.Read(ref _drops);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                var budget = DropAfterBytes;
                long passed = 0;
                using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                async Task PumpAsync(NetworkStream from, NetworkStream to)
                {
                    var buffer = new byte[16 * 1024];
                    int read;
                    while ((read = await from.ReadAsync(buffer, cut.Token)) > 0)
                    {
                        if (budget is { } limit && Interlocked.Add(ref passed, read) > limit)
                        {
                            Interlocked.Increment(ref _drops);
                            client.Client.LingerState = new LingerOption(true, 0); // a reset, not a clean close
                            server.Client.LingerState = new LingerOption(true, 0);
                            await cut.CancelAsync();
                            return;
                        }

                        await to.WriteAsync(buffer.AsMemory(0, read), cut.Token);
                    }

                    await cut.CancelAsync();
                }

                await Task.WhenAll(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // the connection ended (or was cut): nothing more to relay
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

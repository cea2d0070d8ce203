using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dpm.Tests;

/// <summary>
/// A TCP proxy in front of a real server (Azurite, s3rver) that spoils the first connections it is given: it
/// drops them (reset before any answer, as a broken network does), cuts them in the middle of a transfer (reset
/// after <c>cutAfterBytes</c> bytes of the request went through), or answers their request with 503 (as a
/// throttled account does). Connections after those are passed through untouched. It counts the bytes clients
/// send through it, and times them: what went over the wire, and how fast.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _dropsLeft;
    private int _busyLeft;
    private int _cutsLeft;
    private readonly long _cutAfterBytes;
    private int _spoiled;

    public FaultProxy(int targetPort, int drop, int busy, int cut = 0, long cutAfterBytes = 1 << 20)
    {
        _targetPort = targetPort;
        _dropsLeft = drop;
        _busyLeft = busy;
        _cutsLeft = cut;
        _cutAfterBytes = cutAfterBytes;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were dropped, cut or answered busy so far.</summary>
    public int Spoiled => Volatile.Read(ref _spoiled);

    /// <summary>Bytes the clients sent through the proxy (TLS and HTTP/2 framing included).</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    private long _bytesUp;

    private readonly Lock _traffic = new();
    private long _trafficBytes;
    private long _trafficFirst;
    private long _trafficLast;

    /// <summary>
    /// Bytes the clients sent through the proxy since the last call (or since it started), and the time from the
    /// first of them to the last: a client's rate as the network saw it, whatever the client took to start.
    /// </summary>
    public (long Bytes, TimeSpan Elapsed) TakeTrafficUp()
    {
        lock (_traffic)
        {
            var taken = (_trafficBytes, _trafficBytes == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_trafficFirst, _trafficLast));
            _trafficBytes = 0;
            return taken;
        }
    }

    private void CountUp(int bytes)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_traffic)
        {
            if (_trafficBytes == 0)
            {
                _trafficFirst = now;
            }

            _trafficLast = now;
            _trafficBytes += bytes;
        }

        Interlocked.Add(ref _bytesUp, bytes);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                if (Interlocked.Decrement(ref _dropsLeft) >= 0)
                {
                    Interlocked.Increment(ref _spoiled);
                    client.Client.LingerState = new LingerOption(true, 0); // close with a reset
                    return;
                }

                if (Interlocked.Decrement(ref _busyLeft) >= 0)
                {
                    Interlocked.Increment(ref _spoiled);
                    await AnswerBusyAsync(client.GetStream());
                    return;
                }

                using var target = new TcpClient();
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                if (Interlocked.Decrement(ref _cutsLeft) >= 0)
                {
                    await CutAsync(client, target);
                    return;
                }

                var upstream = CountingCopyAsync(client.GetStream(), target.GetStream());
                var downstream = target.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                await Task.WhenAny(upstream, downstream);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // a connection the client or the stop ended
            }
        }
    }

    private async Task CountingCopyAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            CountUp(read);
        }
    }

    /// <summary>Passes the request on until <c>cutAfterBytes</c> went through, then resets both sides.</summary>
    private async Task CutAsync(TcpClient client, TcpClient target)
    {
        var downstream = target.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
        var buffer = new byte[16 * 1024];
        long passed = 0;
        while (passed < _cutAfterBytes)
        {
            var read = await client.GetStream().ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, _cutAfterBytes - passed)), _stop.Token);
            if (read == 0)
            {
                return; // the request ended before the cut: nothing to spoil
            }

            await target.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            passed += read;
            CountUp(read);
        }

        Interlocked.Increment(ref _spoiled);
        client.Client.LingerState = new LingerOption(true, 0);
        target.Client.LingerState = new LingerOption(true, 0);
        _ = downstream;
    }

    /// <summary>Reads the request head, then answers as the service does when an account is over its limits.</summary>
    private async Task AnswerBusyAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return;
            }

            head.Add(one[0]);
        }

        const string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>";
        var answer = "HTTP/1.1 503 The server is busy.\r\nx-ms-error-code: ServerBusy\r\nContent-Type: application/xml\r\n"
            + $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(answer), _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

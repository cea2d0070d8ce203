namespace Dpm.Storage.Cloud;

/// <summary>
/// A token bucket shared by every upload of one store: at most <c>bytesPerSecond</c> on average, with bursts of
/// up to one second's worth. A rate of 0 lets everything through.
/// </summary>
public sealed class UploadThrottle(long bytesPerSecond, TimeProvider time)
{
    private readonly Lock _gate = new();
    private double _tokens = bytesPerSecond;
    private long _last = time.GetTimestamp();

    public long BytesPerSecond => bytesPerSecond;

    /// <summary>Waits until <paramref name="bytes"/> may be sent.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytesPerSecond <= 0 || bytes <= 0)
        {
            return;
        }

        TimeSpan wait;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(bytesPerSecond, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * bytesPerSecond));
            _last = now;
            _tokens -= bytes; // may go below zero: the debt is what this caller waits off
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / bytesPerSecond);
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }
}
